"""Contract terms: boundaries, renewal date and notice deadline.

A contract started on ``start`` with a term of ``interval`` ``unit``s has its
boundaries at ``start + k * interval units`` (k = 0, 1, 2, ...). Boundaries are
always computed from ``start`` (anchored), never stepped from the previous one,
so a term of 1 month from 31 January gives 29 Feb 2024, 31 Mar, 30 Apr, ...
"""

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from .errors import RuleError

UNITS = ("day", "week", "month", "year")
# subscription_oca spells its units in the plural ("months"); accept both.
_UNIT_ALIASES = {unit + "s": unit for unit in UNITS}


def _check_recurrence(interval: int, unit: str) -> str:
    """Validate ``interval`` and ``unit``; return the unit in its singular form."""
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise RuleError("interval", f"must be a whole number >= 1, got {interval!r}")
    unit = _UNIT_ALIASES.get(unit, unit)
    if unit not in UNITS:
        raise RuleError("unit", f"must be one of {', '.join(UNITS)}, got {unit!r}")
    return unit


def _boundary(start: date, interval: int, unit: str, index: int) -> date:
    return start + relativedelta(**{unit + "s": index * interval})


def term_boundary(start: date, interval: int, unit: str, index: int) -> date:
    """Return ``start + index * interval units``, computed from ``start``.

    >>> term_boundary(date(2024, 1, 31), 1, "month", 1)
    datetime.date(2024, 2, 29)
    """
    unit = _check_recurrence(interval, unit)
    return _boundary(start, interval, unit, index)


def _index_estimate(start: date, interval: int, unit: str, on: date) -> int:
    """A term index close to the one containing ``on`` (off by at most one)."""
    if unit == "day":
        return (on - start).days // interval
    if unit == "week":
        return (on - start).days // (7 * interval)
    if unit == "month":
        return ((on.year - start.year) * 12 + on.month - start.month) // interval
    return (on.year - start.year) // interval


def term_bounds(start: date, interval: int, unit: str, on: date) -> tuple[date, date]:
    """Return ``(term_start, renewal)``: the term ``[term_start, renewal)`` containing ``on``.

    A date before ``start`` belongs to the first term.
    """
    unit = _check_recurrence(interval, unit)
    index = max(0, _index_estimate(start, interval, unit, on))
    while index > 0 and _boundary(start, interval, unit, index) > on:
        index -= 1
    while _boundary(start, interval, unit, index + 1) <= on:
        index += 1
    return (
        _boundary(start, interval, unit, index),
        _boundary(start, interval, unit, index + 1),
    )


def renewal_date(start: date, interval: int, unit: str, after: date) -> date:
    """Return the first renewal strictly after ``after``.

    A boundary equal to ``after`` starts a term, so the renewal is the next one.
    ``start`` itself is not a renewal: before it, the renewal ends the first term.
    """
    return term_bounds(start, interval, unit, after)[1]


def _check_notice_days(notice_days: int) -> None:
    if (
        isinstance(notice_days, bool)
        or not isinstance(notice_days, int)
        or notice_days < 0
    ):
        raise RuleError(
            "notice_days", f"must be a whole number >= 0, got {notice_days!r}"
        )


def notice_deadline(renewal: date, notice_days: int) -> date:
    """Return the last day a reduction or cancellation is accepted: renewal − notice_days."""
    _check_notice_days(notice_days)
    return renewal - timedelta(days=notice_days)


@dataclass(frozen=True)
class Term:
    """A contract's term: started on ``start``, renewing every ``interval``
    ``unit``s. Its renewals are its boundaries after ``start``.

    >>> term = Term(date(2024, 1, 6), 12, "month")
    >>> term.renewal_to_meet(date(2024, 7, 10), date(2024, 7, 10))
    datetime.date(2025, 1, 6)
    """

    start: date
    interval: int
    unit: str

    def __post_init__(self):
        object.__setattr__(self, "unit", _check_recurrence(self.interval, self.unit))

    def renewal_after(self, day: date) -> date:
        """The first renewal strictly after ``day`` (``renewal_date``);
        RuleError("effective_date") when it is beyond the calendar (year 9999)."""
        try:
            return term_bounds(self.start, self.interval, self.unit, day)[1]
        except (ValueError, OverflowError):
            raise RuleError(
                "effective_date", f"no renewal after {day} in the calendar"
            ) from None

    def is_renewal(self, day: date) -> bool:
        """``day`` is a renewal: a boundary of the term after its start."""
        try:
            bounds = term_bounds(self.start, self.interval, self.unit, day)
        except (ValueError, OverflowError):
            bounds = (None, None)  # the last term of the calendar: no renewal
        return day > self.start and bounds[0] == day

    def renewal_to_meet(self, effective: date, request: date) -> date:
        """The renewal a change effective on ``effective`` and requested on
        ``request`` must meet: the first renewal on or after ``effective``
        that is after ``request`` (a renewal on the request day has happened)."""
        return self.renewal_after(max(effective - timedelta(days=1), request))

    def first_renewal_meeting(self, request: date, notice_days: int) -> date:
        """The first renewal whose notice deadline ``request`` meets: the
        first renewal on or after ``request + notice_days`` (and after it)."""
        _check_notice_days(notice_days)
        return self.renewal_after(request + timedelta(days=max(notice_days - 1, 0)))
