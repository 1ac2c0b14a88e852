"""When a reduction takes effect: the timing of a contract's template.

- ``IMMEDIATE``: on the effective date asked, with a prorated credit of what
  was billed from then on (the default);
- ``PERIOD_END``: from the first billing period not yet invoiced: what was
  billed stays billed, nothing is credited;
- ``RENEWAL``: from the renewal date: the term ends as billed.

The timing sets the effective date of a reduction: a change that lowers a line
(a downgrade, a mixed change as a whole, or a cancellation that also lowers
lines); an earlier date is refused, a later one only when it is a later
renewal. Upgrades and plain cancellations keep the date asked: an upgrade is
immediate whatever the timing, a cancellation takes effect at a renewal anyway.
When the first period not invoiced starts after the renewal (the next term is
invoiced already), a ``PERIOD_END`` reduction waits for the first renewal on or
after it: a change beyond the term takes effect on a renewal date only.
"""

from collections.abc import Hashable, Mapping
from datetime import date
from decimal import Decimal
from enum import Enum

from .calendar import Term
from .errors import RuleError
from .notice import AmendmentKind, classify


class ReductionTiming(str, Enum):
    IMMEDIATE = "immediate"
    PERIOD_END = "period_end"
    RENEWAL = "renewal"


#: the kinds of line changes an amendment's timing applies to
TIMED_KINDS = frozenset({AmendmentKind.DOWNGRADE, AmendmentKind.MIXED})


def is_timed(old: Mapping[Hashable, Decimal], new: Mapping[Hashable, Decimal]) -> bool:
    """The change of quantities ``old`` → ``new`` lowers a line: the timing
    applies to it, whether or not it also stops the renewal."""
    return classify(old, new) in TIMED_KINDS


def _timing(value) -> ReductionTiming:
    try:
        return ReductionTiming(value)
    except ValueError:
        raise RuleError("timing", f"unknown reduction timing {value!r}") from None


def timed_effective_date(
    timing: ReductionTiming | str,
    *,
    request_date: date,
    renewal: date | None,
    first_unbilled: date | None,
    term: Term | None = None,
) -> date | None:
    """The effective date ``timing`` gives a reduction requested on
    ``request_date``: None for ``IMMEDIATE`` (the date asked); the first day
    not yet invoiced (``first_unbilled``; None: nothing invoiced ahead of the
    request date) for ``PERIOD_END``; the ``renewal`` it must meet for
    ``RENEWAL`` (without a renewal, as ``PERIOD_END``). Never before
    ``request_date``; beyond the ``renewal``, a renewal of ``term``."""
    timing = _timing(timing)
    if timing is ReductionTiming.IMMEDIATE:
        return None
    if timing is ReductionTiming.RENEWAL and renewal is not None:
        return max(renewal, request_date)
    timed = max(first_unbilled or request_date, request_date)
    if renewal is not None and timed > renewal and term is not None:
        # the next term is invoiced already: a renewal date, beyond the term
        return term.renewal_to_meet(timed, request_date)
    return timed


def check_timing(
    timing: ReductionTiming | str,
    timed_change: bool,
    effective_date: date,
    *,
    request_date: date,
    renewal: date | None,
    first_unbilled: date | None,
    term: Term | None = None,
) -> None:
    """Refuse (``RuleError("effective_date")``) a reduction (``timed_change``:
    ``is_timed``) whose effective date is not the one ``timing`` gives it,
    unless it is a later renewal of ``term``. Other changes are not timed."""
    timing = _timing(timing)
    if not timed_change:
        return
    timed = timed_effective_date(
        timing,
        request_date=request_date,
        renewal=renewal,
        first_unbilled=first_unbilled,
        term=term,
    )
    if timed is None or effective_date == timed:
        return
    if effective_date > timed and term is not None and term.is_renewal(effective_date):
        return
    raise RuleError(
        "effective_date",
        f"a reduction takes effect on {timed} ({timing.value}), not {effective_date}",
    )
