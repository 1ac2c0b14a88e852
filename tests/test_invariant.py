"""rules.invariant: what a change did to a running contract under term."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rules import Breach, Contract, Line, breaches, contract, line_value

RENEWAL = date(2025, 1, 6)


def line(key, quantity, price, discount=0):
    return Line(
        key=key, product=key, quantity=quantity, price_unit=price, discount=discount
    )


def running(lines=(), **values):
    values = {
        "running": True,
        "renews": True,
        "renewal": RENEWAL,
        "lines": lines,
        "unit": "months",
        "interval": 1,
        "currency": "EUR",
        "next_invoice": date(2024, 8, 6),
        **values,
    }
    return contract(**values)


USERS = line(1, 10, Decimal("30.00"))


@pytest.mark.parametrize(
    ("unit", "interval", "expected"),
    [
        ("months", 1, Fraction(300)),
        ("months", 2, Fraction(150)),
        ("years", 1, Fraction(25)),
        ("weeks", 1, Fraction(1300)),
    ],
)
def test_line_value_is_monthly_and_exact(unit, interval, expected):
    assert line_value(USERS, unit, interval) == expected


def test_line_value_after_discount_is_exact():
    # 30.00 at 33.333 % is 20.0001 a user: not rounded to 20.00
    value = line_value(line(1, 3, Decimal("30.00"), Decimal("33.333")), "months", 1)
    assert value == Fraction("60.0003")


def test_nothing_to_protect_outside_a_running_term():
    after = running([line(1, 1, Decimal("1"))], running=False)
    assert not breaches(running([USERS], running=False), after)
    assert not breaches(running([USERS], renewal=None), running([]))


def test_no_change_no_breach():
    assert not breaches(running([USERS]), running([USERS]))


@pytest.mark.parametrize(
    "after_line",
    [
        line(1, 9, Decimal("30.00")),  # fewer units
        line(1, 10, Decimal("29.99")),  # a lower price
        line(1, 10, Decimal("30.00"), Decimal("0.01")),  # a discount
    ],
)
def test_a_lower_line_value_is_a_breach(after_line):
    found = breaches(running([USERS]), running([after_line]))
    assert found.kinds == {Breach.LOWER_VALUE}
    assert found.lowered == ((1, Fraction(300), line_value(after_line, "months", 1)),)


def test_a_removed_line_is_worth_nothing():
    found = breaches(running([USERS, line(2, 3, 6)]), running([line(2, 3, 6)]))
    assert found.lowered == ((1, Fraction(300), Fraction(0)),)


def test_a_longer_recurrence_lowers_every_line():
    found = breaches(running([USERS]), running([USERS], interval=2))
    assert found.kinds == {Breach.LOWER_VALUE}


def test_more_value_or_a_new_line_is_no_breach():
    after = running([line(1, 11, Decimal("30.00")), line(2, 1, 10)])
    assert not breaches(running([USERS]), after)


def test_a_new_line_worth_less_than_nothing_lowers_the_contract():
    found = breaches(running([USERS]), running([USERS, line(2, -9, 30)]))
    assert found.kinds == {Breach.LOWER_VALUE}
    assert found.lowered == ((2, Fraction(0), Fraction(-270)),)
    rebate = line(2, 1, 30, 200)  # a 200 % discount
    assert breaches(running([USERS]), running([USERS, rebate])).lowered == (
        (2, Fraction(0), Fraction(-30)),
    )


def test_taxes_of_a_kept_line():
    before = running([USERS], taxes={1: (7,)})
    assert breaches(before, running([USERS], taxes={1: ()})).kinds == {Breach.TAXES}
    assert not breaches(before, running([USERS], taxes={1: (7,)}))
    # a removed line is a lower value, not a change of taxes
    assert breaches(before, running([])).kinds == {Breach.LOWER_VALUE}


def test_a_new_line_does_not_make_up_for_a_lower_one():
    after = running([line(1, 9, Decimal("30.00")), line(2, 1, 1000)])
    assert breaches(running([USERS]), after).kinds == {Breach.LOWER_VALUE}


def test_a_stop_is_only_a_stop():
    found = breaches(running([USERS]), running([], running=False, renewal=None))
    assert found.kinds == {Breach.STOPPED}


@pytest.mark.parametrize(
    ("after", "kinds"),
    [
        ({"renews": False}, {Breach.NOT_RENEWING}),
        ({"renewal": date(2000, 1, 1)}, {Breach.EARLIER_RENEWAL}),
        ({"renewal": None}, {Breach.EARLIER_RENEWAL}),
        ({"renewal": date(2026, 1, 6)}, {Breach.LATER_RENEWAL}),
        ({"next_invoice": date(2024, 9, 6)}, {Breach.BILLING_DATE}),
        ({"next_invoice": None}, {Breach.BILLING_DATE}),
        ({"currency": "USD"}, {Breach.CURRENCY}),
    ],
)
def test_terms_and_dates(after, kinds):
    assert breaches(running([USERS]), running([USERS], **after)).kinds == kinds


def test_another_currency_compares_no_values():
    after = running([line(1, 1, Decimal("1"))], currency="USD")
    found = breaches(running([USERS]), after)
    assert found.kinds == {Breach.CURRENCY}
    assert found.lowered == ()


def test_without_keeps_the_rest():
    found = breaches(running([USERS]), running([line(1, 1, 1)], renews=False)).without(
        Breach.NOT_RENEWING
    )
    assert found.kinds == {Breach.LOWER_VALUE}
    assert not found.without(Breach.LOWER_VALUE)
    assert found.without(Breach.LOWER_VALUE).lowered == ()


# -- properties ------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=10_000, places=2)
percents = st.decimals(min_value=0, max_value=100, places=2)
lines_strategy = st.dictionaries(
    st.integers(min_value=1, max_value=6),
    st.tuples(st.integers(min_value=0, max_value=50), amounts, percents),
    max_size=5,
)


def _lines(spec):
    return [line(key, *terms) for key, terms in sorted(spec.items())]


@given(lines_strategy, lines_strategy)
def test_no_line_loses_value_unless_a_breach_says_so(old, new):
    before, after = running(_lines(old)), running(_lines(new))
    found = breaches(before, after)
    old_values, new_values = before.value_by_key, after.value_by_key
    lower = {
        key
        for key, value in old_values.items()
        if new_values.get(key, Fraction(0)) < value
    }
    assert {key for key, _before, _after in found.lowered} == lower
    assert (Breach.LOWER_VALUE in found) == bool(lower)
    # every breach is about value here: the terms did not change
    assert found.kinds <= {Breach.LOWER_VALUE}


@given(lines_strategy)
def test_raising_every_line_is_never_a_breach(spec):
    before = running(_lines(spec))
    raised = [
        line(key, quantity + 1, price + 1, percent / 2)
        for key, (quantity, price, percent) in sorted(spec.items())
    ]
    assert not breaches(before, running(raised))


@given(lines_strategy, st.booleans(), st.booleans())
def test_contracts_not_under_term_have_nothing_to_protect(spec, runs, renews):
    before = Contract(running=runs, renews=renews, renewal=None)
    assert not breaches(before, running(_lines(spec), running=False))
