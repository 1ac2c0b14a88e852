"""Monthly recurring revenue (MRR) of a subscription, and its movements.

A subscription's MRR is its recurring total (quantity × net unit price, tax
excluded) normalised to a month: × 365/12 for a daily price, 52/12 weekly, 1
monthly, 1/12 yearly, ÷ the recurrence interval. It is computed exactly and
rounded once, per subscription, to its currency's decimals (half up).

A movement is a change of a subscription's MRR, from what was last recorded to
what it is now; its kind says what happened:

- *new*: its first revenue (nothing recorded before);
- *reactivation*: revenue again after a churn;
- *expansion* / *contraction*: by the sign of the change while it runs (a
  running contract reduced to 0 is a contraction);
- *churn*: it stopped running (closed, not renewed): its MRR goes to 0.

No change, no movement. Each movement starts from the MRR the previous one
left, so the deltas of a subscription add up to its MRR, exactly.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from fractions import Fraction

from .errors import RuleError
from .proration import round_amount
from .values import Line

#: months per recurrence unit: a price per day is worth 365/12 of it a month
MONTHS_PER_UNIT = {
    "day": Fraction(365, 12),
    "week": Fraction(52, 12),
    "month": Fraction(1),
    "year": Fraction(1, 12),
}
# subscription_oca spells its units in the plural ("months"); accept both
_UNIT_ALIASES = {unit + "s": unit for unit in MONTHS_PER_UNIT}
_ZERO = Decimal(0)


class MovementKind(str, Enum):
    NEW = "new"
    EXPANSION = "expansion"
    CONTRACTION = "contraction"
    CHURN = "churn"
    REACTIVATION = "reactivation"


@dataclass(frozen=True)
class Movement:
    """A change of one subscription's MRR, in its currency (``delta`` ≠ 0)."""

    kind: MovementKind
    mrr_before: Decimal
    mrr_after: Decimal

    @property
    def delta(self) -> Decimal:
        return self.mrr_after - self.mrr_before


def monthly_factor(unit: str, interval: int) -> Fraction:
    """What one recurrence's price is worth a month: MONTHS_PER_UNIT[unit] / interval."""
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise RuleError("interval", f"must be a whole number >= 1, got {interval!r}")
    unit = _UNIT_ALIASES.get(unit, unit)
    if unit not in MONTHS_PER_UNIT:
        raise RuleError(
            "unit", f"must be one of {', '.join(MONTHS_PER_UNIT)}, got {unit!r}"
        )
    return MONTHS_PER_UNIT[unit] / interval


def _check_amount(value: Decimal, field: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise RuleError(field, f"must be a finite Decimal, got {value!r}")
    return value


def mrr(lines: Sequence[Line], unit: str, interval: int, digits: int = 2) -> Decimal:
    """The MRR of ``lines`` billed every ``interval`` ``unit``s, rounded once to
    ``digits`` decimals (half up). ``Line.price_unit`` is the unit price
    without tax; the discount is applied exactly. No line: 0."""
    factor = monthly_factor(unit, interval)
    total = Fraction(0)
    for line in lines:
        for field in ("quantity", "price_unit", "discount"):
            value = getattr(line, field)
            if value is None:
                raise RuleError(field, f"missing on line {line.key!r}")
            _check_amount(value, field)
        total += Fraction(line.quantity) * Fraction(line.net_price)
    return round_amount(total * factor, digits)


def movement_kind(
    mrr_before: Decimal,
    mrr_after: Decimal,
    *,
    running: bool = True,
    last_kind: MovementKind | str | None = None,
) -> MovementKind | None:
    """What a change of MRR from ``mrr_before`` to ``mrr_after`` is, or None
    when there is no change.

    ``running``: the subscription runs after the change (False: it stopped, and
    ``mrr_after`` must be 0). ``last_kind``: the kind of its previous movement
    (None: it has none).
    """
    _check_amount(mrr_before, "mrr_before")
    _check_amount(mrr_after, "mrr_after")
    if last_kind is not None:
        try:
            last_kind = MovementKind(last_kind)
        except ValueError:
            raise RuleError("last_kind", f"unknown kind {last_kind!r}") from None
    if not running and mrr_after:
        raise RuleError(
            "mrr_after", f"a stopped subscription has no MRR, got {mrr_after}"
        )
    if mrr_after == mrr_before:
        return None
    if not running:
        return MovementKind.CHURN
    if mrr_before == 0 and mrr_after > 0:
        if last_kind is None:
            return MovementKind.NEW
        if last_kind is MovementKind.CHURN:
            return MovementKind.REACTIVATION
    if mrr_after > mrr_before:
        return MovementKind.EXPANSION
    return MovementKind.CONTRACTION


def movement(
    mrr_before: Decimal,
    mrr_after: Decimal,
    *,
    running: bool = True,
    last_kind: MovementKind | str | None = None,
) -> Movement | None:
    """The movement from ``mrr_before`` to ``mrr_after`` (see ``movement_kind``),
    or None when the MRR does not change."""
    kind = movement_kind(mrr_before, mrr_after, running=running, last_kind=last_kind)
    if kind is None:
        return None
    return Movement(kind, mrr_before, mrr_after)


def mrr_movement(
    old_lines: Sequence[Line],
    new_lines: Sequence[Line],
    unit: str,
    interval: int,
    digits: int = 2,
    *,
    running: bool = True,
    last_kind: MovementKind | str | None = None,
) -> Movement | None:
    """The movement between two sets of lines of a running subscription
    (``running=False``: the new lines no longer count, it stopped)."""
    before = mrr(old_lines, unit, interval, digits)
    after = mrr(new_lines, unit, interval, digits) if running else _ZERO
    return movement(before, after, running=running, last_kind=last_kind)


@dataclass(frozen=True)
class State:
    """A subscription as it is after a change: its lines and recurrence, and
    whether it runs. ``digits``: its currency's decimals."""

    lines: tuple[Line, ...]
    unit: str = "month"
    interval: int = 1
    running: bool = True
    digits: int = 2

    @property
    def mrr(self) -> Decimal:
        """What it counts for now: its MRR while it runs, 0 once stopped."""
        if not self.running:
            return _ZERO
        return mrr(self.lines, self.unit, self.interval, self.digits)


def replay(
    states: Sequence[State],
    mrr_before: Decimal = _ZERO,
    last_kind: MovementKind | str | None = None,
) -> list[Movement | None]:
    """The movement each state makes, from the previous one, in order (None
    where the MRR does not change). ``mrr_before`` and ``last_kind``: what was
    recorded before the first state (nothing, by default)."""
    movements = []
    for state in states:
        step = movement(
            mrr_before, state.mrr, running=state.running, last_kind=last_kind
        )
        movements.append(step)
        if step is not None:
            mrr_before, last_kind = step.mrr_after, step.kind
    return movements
