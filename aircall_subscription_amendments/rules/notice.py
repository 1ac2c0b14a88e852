"""What kind of amendment is this, and may it still be accepted?

Upgrades are accepted at any time. A downgrade, a mixed change or a
cancellation must be submitted on or before the notice deadline (renewal date −
notice days); later it is refused, and the contract renews under its current terms.
"""

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from typing import Any

from .calendar import _check_notice_days, notice_deadline
from .errors import RuleError


class AmendmentKind(str, Enum):
    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"
    MIXED = "mixed"
    CANCELLATION = "cancellation"
    NOOP = "noop"


def classify(
    old: Mapping[Hashable, Decimal],
    new: Mapping[Hashable, Decimal],
    cancel_renewal: bool = False,
) -> AmendmentKind:
    """Classify a change of quantities per line key (a key missing on one side is 0)."""
    if cancel_renewal:
        return AmendmentKind.CANCELLATION
    deltas = [new.get(key, 0) - old.get(key, 0) for key in old.keys() | new.keys()]
    up = any(delta > 0 for delta in deltas)
    down = any(delta < 0 for delta in deltas)
    if up and down:
        return AmendmentKind.MIXED
    if up:
        return AmendmentKind.UPGRADE
    if down:
        return AmendmentKind.DOWNGRADE
    return AmendmentKind.NOOP


def value_deltas(
    old: Mapping[Hashable, Any], new: Mapping[Hashable, Any]
) -> tuple[dict[Hashable, Decimal], dict[Hashable, Decimal]]:
    """What ``classify`` (and ``is_timed``) compare for a change of lines
    (``Line``-like: ``quantity`` and ``net_price``; a key missing on one side
    is no line): per key, 0 before and, after, the change of its net recurring
    value (quantity × net unit price), or of its quantity when the value does
    not move (a free line). A lower value is a reduction whatever the
    quantity: 10 → 12 users at 30.00 → 24.00 (300 → 288) is a downgrade.
    Only the sign of each change counts: it is given as −1, 0 or 1."""
    before, after = {}, {}
    for key in old.keys() | new.keys():
        was, now = old.get(key), new.get(key)
        delta = _value(now) - _value(was)
        if not delta:
            delta = (now.quantity if now else 0) - (was.quantity if was else 0)
        before[key], after[key] = Decimal(0), Decimal((delta > 0) - (delta < 0))
    return before, after


def _value(line: Any) -> Fraction:
    if line is None:
        return Fraction(0)
    return Fraction(line.quantity) * Fraction(line.net_price)


@dataclass(frozen=True)
class NoticeDecision:
    """The decision and the facts a refusal message needs.

    ``deadline`` is the last day a reduction is accepted (None without a term);
    ``days_late`` is how many days after it the request was made (0 if on time).
    """

    accepted: bool
    kind: AmendmentKind
    request_date: date
    renewal_date: date | None
    deadline: date | None
    days_late: int


def decide(
    kind: AmendmentKind | str,
    request_date: date,
    renewal_date: date | None,
    notice_days: int,
) -> NoticeDecision:
    """Accept or refuse an amendment of ``kind`` requested on ``request_date``.

    Upgrades are always accepted; so is anything on a contract without a term
    (``renewal_date`` None). Otherwise the request must be made on or before
    ``renewal_date − notice_days``.
    """
    try:
        kind = AmendmentKind(kind)
    except ValueError:
        raise RuleError("kind", f"unknown amendment kind {kind!r}") from None
    if kind is AmendmentKind.NOOP:
        raise RuleError("line_ids", "no change")
    _check_notice_days(notice_days)
    if renewal_date is None:
        return NoticeDecision(True, kind, request_date, None, None, 0)
    deadline = notice_deadline(renewal_date, notice_days)
    days_late = max(0, (request_date - deadline).days)
    accepted = kind is AmendmentKind.UPGRADE or days_late == 0
    return NoticeDecision(
        accepted, kind, request_date, renewal_date, deadline, days_late
    )
