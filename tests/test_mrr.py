"""rules.mrr: a subscription's monthly recurring revenue and its movements."""

from decimal import Decimal
from fractions import Fraction

import pytest
from rules import (
    Line,
    Movement,
    MovementKind,
    RuleError,
    State,
    monthly_factor,
    movement,
    movement_kind,
    mrr,
    mrr_movement,
    replay,
)

D = Decimal


def line(key, quantity, price, discount=0):
    return Line(
        key=key, product=key, quantity=quantity, price_unit=price, discount=discount
    )


@pytest.mark.parametrize(
    ("unit", "interval", "factor"),
    [
        ("day", 1, Fraction(365, 12)),
        ("days", 7, Fraction(365, 84)),
        ("week", 1, Fraction(52, 12)),
        ("weeks", 2, Fraction(52, 24)),
        ("month", 1, Fraction(1)),
        ("months", 3, Fraction(1, 3)),
        ("year", 1, Fraction(1, 12)),
        ("years", 2, Fraction(1, 24)),
    ],
)
def test_monthly_factor(unit, interval, factor):
    assert monthly_factor(unit, interval) == factor


@pytest.mark.parametrize(
    ("unit", "interval", "field"),
    [
        ("fortnight", 1, "unit"),
        (None, 1, "unit"),
        ("months", 0, "interval"),
        ("months", -1, "interval"),
        ("months", 1.5, "interval"),
        ("months", True, "interval"),
    ],
)
def test_monthly_factor_refuses_bad_recurrences(unit, interval, field):
    with pytest.raises(RuleError) as error:
        monthly_factor(unit, interval)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("lines", "unit", "interval", "digits", "expected"),
    [
        # the article's contract: 10 users at 25.00, 3 numbers at 6.00
        ([line(1, 10, D("25")), line(2, 3, D("6"))], "months", 1, 2, D("268.00")),
        # yearly: 12 users at 300.00 a year → 300.00 a month
        ([line(1, 12, D("300"))], "years", 1, 2, D("300.00")),
        # a yearly 100.00 is 8.333… a month: rounded once
        ([line(1, 1, D("100"))], "years", 1, 2, D("8.33")),
        # three yearly lines of 100.00: 25.00, not 3 × 8.33 = 24.99
        ([line(k, 1, D("100")) for k in range(3)], "years", 1, 2, D("25.00")),
        # a discount applied exactly: 3 × 9.99 × 85 % = 25.4745 → 25.47
        ([line(1, 3, D("9.99"), D("15"))], "months", 1, 2, D("25.47")),
        # half up: 0.125 → 0.13
        ([line(1, 1, D("0.125"))], "months", 1, 2, D("0.13")),
        # every 3 months: 90.00 → 30.00; every 2 weeks: 10 × 52 / 24 = 21.666…
        ([line(1, 1, D("90"))], "months", 3, 2, D("30.00")),
        ([line(1, 1, D("10"))], "weeks", 2, 2, D("21.67")),
        # daily: 1.00 × 365 / 12 = 30.4166…
        ([line(1, 1, D("1"))], "days", 1, 2, D("30.42")),
        # a currency without decimals, one with three
        ([line(1, 1, D("1000"))], "years", 1, 0, D("83")),
        ([line(1, 1, D("1000"))], "years", 1, 3, D("83.333")),
        # no line, a line at 0
        ([], "months", 1, 2, D("0.00")),
        ([line(1, 0, D("25"))], "months", 1, 2, D("0.00")),
    ],
)
def test_mrr(lines, unit, interval, digits, expected):
    amount = mrr(lines, unit, interval, digits)
    assert amount == expected
    assert amount.as_tuple().exponent == -digits


def test_mrr_takes_floats_as_the_decimals_they_stand_for():
    # 0.1 + 0.2 as floats is 0.30000000000000004; as lines, 0.30
    lines = [line(1, 1, 0.1), line(2, 1, 0.2)]
    assert mrr(lines, "months", 1) == D("0.30")


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (line(1, None, D("1")), "quantity"),
        (line(1, D("NaN"), D("1")), "quantity"),
        (line(1, 1, D("Infinity")), "price_unit"),
        (line(1, 1, None), "price_unit"),
        (line(1, 1, D("1"), D("NaN")), "discount"),
    ],
)
def test_mrr_refuses_missing_or_non_finite_values(bad, field):
    with pytest.raises(RuleError) as error:
        mrr([bad], "months", 1)
    assert error.value.field == field


KIND = MovementKind


@pytest.mark.parametrize(
    ("before", "after", "running", "last", "expected"),
    [
        # no change, no movement, whatever else
        ("100", "100", True, None, None),
        ("0", "0", False, KIND.EXPANSION, None),
        ("0", "0", True, KIND.CHURN, None),
        # the first revenue
        ("0", "268", True, None, KIND.NEW),
        # by sign while it runs
        ("268", "368", True, KIND.NEW, KIND.EXPANSION),
        ("368", "168", True, KIND.EXPANSION, KIND.CONTRACTION),
        # a running contract reduced to 0 is a contraction, and going up again
        # from there an expansion
        ("168", "0", True, KIND.CONTRACTION, KIND.CONTRACTION),
        ("0", "50", True, KIND.CONTRACTION, KIND.EXPANSION),
        # stopped: a churn, of what it had
        ("168", "0", False, KIND.CONTRACTION, KIND.CHURN),
        # revenue again after a churn
        ("0", "120", True, KIND.CHURN, KIND.REACTIVATION),
        ("0", "120", True, "churn", KIND.REACTIVATION),
        # a negative MRR (a credit line alone) is never new revenue
        ("0", "-10", True, None, KIND.CONTRACTION),
        ("-10", "0", True, KIND.CONTRACTION, KIND.EXPANSION),
        ("-10", "0", False, KIND.CONTRACTION, KIND.CHURN),
    ],
)
def test_movement_kind(before, after, running, last, expected):
    kind = movement_kind(D(before), D(after), running=running, last_kind=last)
    assert kind == expected
    step = movement(D(before), D(after), running=running, last_kind=last)
    if expected is None:
        assert step is None
    else:
        assert step == Movement(expected, D(before), D(after))
        assert step.delta == D(after) - D(before) != 0


@pytest.mark.parametrize(
    ("before", "after", "running", "last", "field"),
    [
        (D("10"), D("5"), False, None, "mrr_after"),
        (D("NaN"), D("5"), True, None, "mrr_before"),
        (D("1"), D("Infinity"), True, None, "mrr_after"),
        (1, D("5"), True, None, "mrr_before"),
        (D("1"), D("5"), True, "upgrade", "last_kind"),
    ],
)
def test_movement_kind_refuses_bad_input(before, after, running, last, field):
    with pytest.raises(RuleError) as error:
        movement_kind(before, after, running=running, last_kind=last)
    assert error.value.field == field


def test_mrr_movement_between_two_sets_of_lines():
    old = [line(1, 10, D("25")), line(2, 3, D("6"))]
    new = [line(1, 6, D("25")), line(2, 3, D("6"))]
    step = mrr_movement(old, new, "months", 1, 2, last_kind=KIND.NEW)
    assert step == Movement(KIND.CONTRACTION, D("268.00"), D("168.00"))
    assert step.delta == D("-100.00")
    assert mrr_movement(old, old, "months", 1) is None
    closed = mrr_movement(new, new, "months", 1, running=False, last_kind="contraction")
    assert closed == Movement(KIND.CHURN, D("168.00"), D("0"))


def test_replay_the_known_scenario():
    """New, expansion, contraction, churn, reactivation: Σ delta = the MRR."""
    users = D("25")
    states = [
        State((line(1, 10, users),)),  # new: 250.00
        State((line(1, 14, users),)),  # expansion: +100.00
        State((line(1, 14, users),)),  # nothing changes
        State((line(1, 8, users),)),  # contraction: −150.00
        State((line(1, 8, users),), running=False),  # churn: −200.00
        State((line(1, 4, users),), running=False),  # closed: nothing counts
        State((line(1, 4, users),)),  # reactivation: +100.00
        State((line(1, 4, users),), unit="years"),  # now yearly: 100/12 → 8.33
    ]
    steps = replay(states)
    assert [step and (step.kind, step.delta) for step in steps] == [
        (KIND.NEW, D("250.00")),
        (KIND.EXPANSION, D("100.00")),
        None,
        (KIND.CONTRACTION, D("-150.00")),
        (KIND.CHURN, D("-200.00")),
        None,
        (KIND.REACTIVATION, D("100.00")),
        (KIND.CONTRACTION, D("-91.67")),
    ]
    assert sum(step.delta for step in steps if step) == states[-1].mrr == D("8.33")


def test_replay_continues_from_what_was_recorded():
    steps = replay([State((line(1, 1, D("50")),))], D("30.00"), KIND.NEW)
    assert steps == [Movement(KIND.EXPANSION, D("30.00"), D("50.00"))]
