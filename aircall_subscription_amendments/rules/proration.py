"""Day counts, prorated shares of a billed period, and half-up rounding.

A billed period is ``[start, next_start)``. The effective date of an amendment
is the first day that is no longer billed at the old quantity, so the share to
credit (or to invoice) is ``days in [effective, next_start) / days in
[start, next_start)``. The article's example: 6 Jul – 5 Aug 2024, effective
10 Jul → 27/31.

Amounts are computed exactly (``Fraction``) and rounded once, half up.
"""

from datetime import date
from decimal import Decimal
from fractions import Fraction

from .errors import RuleError

ACTUAL_DAYS = "actual"
THIRTY_E_360 = "30e360"
CONVENTIONS = (ACTUAL_DAYS, THIRTY_E_360)

MAX_DIGITS = 6


def _days_30e360(day: date) -> int:
    """A day's ordinal on the 30E/360 calendar (the 31st counts as the 30th)."""
    return day.year * 360 + day.month * 30 + min(day.day, 30)


def day_count(start: date, end: date, convention: str = ACTUAL_DAYS) -> int:
    """Number of days in ``[start, end)`` under ``convention``."""
    if convention == ACTUAL_DAYS:
        return (end - start).days
    if convention == THIRTY_E_360:
        return _days_30e360(end) - _days_30e360(start)
    raise RuleError(
        "convention", f"must be one of {', '.join(CONVENTIONS)}, got {convention!r}"
    )


def share(
    period_start: date,
    period_next_start: date,
    effective: date,
    convention: str = ACTUAL_DAYS,
) -> Fraction:
    """Share of the period ``[period_start, period_next_start)`` from ``effective`` on.

    1 if ``effective <= period_start``, 0 if ``effective >= period_next_start``.
    """
    if period_next_start <= period_start:
        raise RuleError("periods", f"empty period {period_start} → {period_next_start}")
    if effective <= period_start:
        return Fraction(1)
    if effective >= period_next_start:
        return Fraction(0)
    # Here start < effective < next_start, so the total is > 0 under both conventions
    # (a 0-day 30E/360 period, 30th → 31st, is one actual day long: nothing inside).
    total = day_count(period_start, period_next_start, convention)
    return Fraction(day_count(effective, period_next_start, convention), total)


def _check_digits(digits: int) -> None:
    if (
        isinstance(digits, bool)
        or not isinstance(digits, int)
        or not 0 <= digits <= MAX_DIGITS
    ):
        raise RuleError(
            "digits", f"must be a whole number in 0..{MAX_DIGITS}, got {digits!r}"
        )


def round_amount(value: Fraction | Decimal | int, digits: int) -> Decimal:
    """Round an exact value to ``digits`` decimals, half up (away from zero).

    >>> round_amount(Decimal("0.125"), 2)
    Decimal('0.13')
    """
    _check_digits(digits)
    if isinstance(value, Decimal) and not value.is_finite():
        raise RuleError("amount", f"must be finite, got {value}")
    exact = Fraction(value) * 10**digits
    units, remainder = divmod(abs(exact.numerator), exact.denominator)
    if 2 * remainder >= exact.denominator:
        units += 1
    return Decimal(-units if exact < 0 else units).scaleb(-digits)


def prorate(
    quantity: Decimal, price_unit: Decimal, share: Fraction, digits: int
) -> Decimal:
    """``quantity × price_unit × share``, computed exactly and rounded once."""
    return round_amount(Fraction(quantity) * Fraction(price_unit) * share, digits)
