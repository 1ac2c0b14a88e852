"""Day counts, shares and rounding."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from rules import (
    ACTUAL_DAYS,
    THIRTY_E_360,
    RuleError,
    day_count,
    prorate,
    round_amount,
    share,
)

D = date


def test_article_example_share_and_amount():
    # 10 users → 6; billed 6 Jul – 5 Aug 2024 (31 days); effective 10 Jul.
    s = share(D(2024, 7, 6), D(2024, 8, 6), D(2024, 7, 10))
    assert s == Fraction(27, 31)
    # 4 × 25.00 × 27/31 = 87.0967… → 87.10
    assert prorate(Decimal(4), Decimal("25.00"), s, 2) == Decimal("87.10")


@pytest.mark.parametrize(
    ("start", "end", "convention", "expected"),
    [
        (D(2024, 7, 6), D(2024, 8, 6), ACTUAL_DAYS, 31),
        (D(2024, 2, 1), D(2024, 3, 1), ACTUAL_DAYS, 29),
        (D(2023, 2, 1), D(2023, 3, 1), ACTUAL_DAYS, 28),
        (D(2024, 1, 1), D(2025, 1, 1), ACTUAL_DAYS, 366),
        (D(2024, 7, 6), D(2024, 8, 6), THIRTY_E_360, 30),
        (D(2024, 2, 1), D(2024, 3, 1), THIRTY_E_360, 30),
        (D(2024, 1, 31), D(2024, 2, 28), THIRTY_E_360, 28),  # 31st counts as 30th
        (D(2024, 1, 30), D(2024, 1, 31), THIRTY_E_360, 0),
        (D(2024, 1, 1), D(2025, 1, 1), THIRTY_E_360, 360),
        (D(2024, 3, 31), D(2024, 4, 30), THIRTY_E_360, 30),
    ],
)
def test_day_count(start, end, convention, expected):
    assert day_count(start, end, convention) == expected


@pytest.mark.parametrize(
    ("start", "next_start", "effective", "convention", "expected"),
    [
        (D(2024, 7, 6), D(2024, 8, 6), D(2024, 7, 10), ACTUAL_DAYS, Fraction(27, 31)),
        (D(2024, 7, 6), D(2024, 8, 6), D(2024, 7, 10), THIRTY_E_360, Fraction(26, 30)),
        # 31 Jan → 28 Feb under 30E/360: 28 days; effective 14 Feb leaves 14 of them
        (
            D(2024, 1, 31),
            D(2024, 2, 28),
            D(2024, 2, 14),
            THIRTY_E_360,
            Fraction(14, 28),
        ),
        (D(2024, 1, 31), D(2024, 2, 28), D(2024, 2, 14), ACTUAL_DAYS, Fraction(14, 28)),
        # effective on the 31st: 30E/360 treats it as the 30th
        (D(2024, 3, 1), D(2024, 4, 1), D(2024, 3, 31), THIRTY_E_360, Fraction(1, 30)),
        (D(2024, 3, 1), D(2024, 4, 1), D(2024, 3, 31), ACTUAL_DAYS, Fraction(1, 31)),
        # leap February
        (D(2024, 2, 1), D(2024, 3, 1), D(2024, 2, 29), ACTUAL_DAYS, Fraction(1, 29)),
        (D(2024, 2, 1), D(2024, 3, 1), D(2024, 2, 29), THIRTY_E_360, Fraction(2, 30)),
        # on the period start: everything; before it too
        (D(2024, 7, 6), D(2024, 8, 6), D(2024, 7, 6), ACTUAL_DAYS, Fraction(1)),
        (D(2024, 7, 6), D(2024, 8, 6), D(2024, 6, 1), THIRTY_E_360, Fraction(1)),
        # on the next start (or later): nothing
        (D(2024, 7, 6), D(2024, 8, 6), D(2024, 8, 6), ACTUAL_DAYS, Fraction(0)),
        (D(2024, 7, 6), D(2024, 8, 6), D(2024, 9, 1), THIRTY_E_360, Fraction(0)),
        # weekly and yearly periods
        (D(2024, 7, 1), D(2024, 7, 8), D(2024, 7, 4), ACTUAL_DAYS, Fraction(4, 7)),
        (D(2024, 1, 1), D(2025, 1, 1), D(2024, 7, 1), ACTUAL_DAYS, Fraction(184, 366)),
        (D(2024, 1, 1), D(2025, 1, 1), D(2024, 7, 1), THIRTY_E_360, Fraction(1, 2)),
        # 30E/360: the 31st is the same day as the 30th, so nothing of it was used
        (D(2024, 1, 30), D(2024, 2, 1), D(2024, 1, 31), THIRTY_E_360, Fraction(1)),
        (D(2024, 1, 30), D(2024, 2, 1), D(2024, 1, 31), ACTUAL_DAYS, Fraction(1, 2)),
    ],
)
def test_share(start, next_start, effective, convention, expected):
    assert share(start, next_start, effective, convention) == expected


def test_empty_period_is_refused():
    with pytest.raises(RuleError) as err:
        share(D(2024, 8, 6), D(2024, 8, 6), D(2024, 8, 6))
    assert err.value.field == "periods"


def test_unknown_convention_is_refused():
    with pytest.raises(RuleError) as err:
        share(D(2024, 7, 6), D(2024, 8, 6), D(2024, 7, 10), "30/365")
    assert err.value.field == "convention"


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        # half up, where Decimal's default (banker's) rounding goes to even
        (Decimal("0.125"), 2, "0.13"),
        (Decimal("0.135"), 2, "0.14"),
        (Decimal("2.5"), 0, "3"),
        (Decimal("3.5"), 0, "4"),
        (Decimal("0.0005"), 3, "0.001"),
        (Decimal("-0.125"), 2, "-0.13"),  # half away from zero
        (Decimal("0.1249"), 2, "0.12"),
        (Fraction(2700, 31), 2, "87.10"),
        (Fraction(2700, 31), 0, "87"),
        (Fraction(2700, 31), 3, "87.097"),
        (Fraction(1, 3), 2, "0.33"),
        (Fraction(2, 3), 0, "1"),
        (Fraction(1, 2000), 3, "0.001"),
        (Decimal("12"), 2, "12.00"),
        (0, 2, "0.00"),
    ],
)
def test_round_amount_half_up(value, digits, expected):
    result = round_amount(value, digits)
    assert result == Decimal(expected)
    assert str(result) == expected  # exactly `digits` decimals


def test_default_decimal_rounding_would_differ():
    # the reason round_amount exists: the context default is banker's rounding
    assert Decimal("0.125").quantize(Decimal("0.01")) == Decimal("0.12")
    assert round_amount(Decimal("0.125"), 2) == Decimal("0.13")


@pytest.mark.parametrize("digits", [-1, 7, 2.0, None])
def test_bad_digits_are_refused(digits):
    with pytest.raises(RuleError) as err:
        round_amount(Decimal("1"), digits)
    assert err.value.field == "digits"


def test_non_finite_amount_is_refused():
    with pytest.raises(RuleError):
        round_amount(Decimal("NaN"), 2)


@pytest.mark.parametrize(
    ("quantity", "price", "share_", "digits", "expected"),
    [
        ("4", "25.00", Fraction(27, 31), 2, "87.10"),
        ("4", "25.00", Fraction(27, 31), 0, "87"),
        ("4", "25.00", Fraction(27, 31), 3, "87.097"),
        # rounded once: 3 × 0.125 = 0.375 → 0.38, not 3 × round(0.125) = 0.39
        ("3", "0.125", Fraction(1), 2, "0.38"),
        ("1", "0.01", Fraction(1, 2), 2, "0.01"),
        ("1", "0.01", Fraction(49, 100), 2, "0.00"),
        ("2.5", "10", Fraction(1, 3), 2, "8.33"),
    ],
)
def test_prorate_rounds_once(quantity, price, share_, digits, expected):
    assert prorate(Decimal(quantity), Decimal(price), share_, digits) == Decimal(
        expected
    )
