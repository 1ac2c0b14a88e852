"""Price changes as amendments (issue 25): judged by value, prorated like a
quantity, the price difference of the units kept credited or invoiced."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rules import (
    AmendmentKind,
    BilledDocument,
    BilledPeriod,
    InvoicedLine,
    Line,
    PriceChange,
    RuleError,
    classify,
    make_plan,
    round_amount,
    value_deltas,
)

D = date
START = D(2024, 1, 6)
RENEWAL = D(2025, 1, 6)
EFFECTIVE = D(2024, 7, 10)
JULY = (D(2024, 7, 6), D(2024, 8, 6))
SHARE = Fraction(27, 31)


def users(quantity, price="30.00", discount="0"):
    return Line(
        "users",
        "Users",
        Decimal(quantity),
        Decimal(price),
        Decimal(discount),
        name="Users",
    )


def july(*lines, documents=()):
    return BilledPeriod("INV", *JULY, lines=lines, documents=documents)


def billed(quantity=10, price="30.00", remaining=None, changes=(), ref="L1"):
    remaining = (
        Decimal(remaining)
        if remaining is not None
        else Decimal(quantity) * Decimal(price)
    )
    return InvoicedLine(
        "users",
        Decimal(price),
        Decimal(quantity),
        remaining,
        ref=ref,
        price_changes=changes,
    )


def plan(old, new, periods, effective=EFFECTIVE):
    return make_plan(
        [old],
        [new],
        effective,
        periods,
        request_date=effective,
        contract_start=START,
        renewal_date=RENEWAL,
    )


def exact(value):
    return round_amount(value, 2)


# -- the kind, by value -------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        (users(10, "30"), users(10, "27"), AmendmentKind.DOWNGRADE),
        (users(10, "30"), users(10, "33"), AmendmentKind.UPGRADE),
        (users(10, "30"), users(10, "30", "10"), AmendmentKind.DOWNGRADE),
        # the example: more users, a lower value
        (users(10, "30"), users(12, "24"), AmendmentKind.DOWNGRADE),
        (users(10, "30"), users(8, "40"), AmendmentKind.UPGRADE),
        # a free line: its quantity decides
        (users(10, "0"), users(6, "0"), AmendmentKind.DOWNGRADE),
        # the same value with more units is not a reduction
        (users(10, "30"), users(20, "15"), AmendmentKind.UPGRADE),
    ],
)
def test_the_kind_is_judged_by_value(old, new, kind):
    deltas = value_deltas({"users": old}, {"users": new})
    assert classify(*deltas) is kind
    assert plan(old, new, []).kind is kind


def test_the_same_price_and_quantity_changes_nothing():
    with pytest.raises(RuleError) as error:
        plan(users(10), users(10, "30.000"), [july(billed())])
    assert error.value.field == "line_ids"


def test_a_discount_above_100_is_refused():
    with pytest.raises(RuleError) as error:
        plan(users(10), users(10, "30", "101"), [july(billed())])
    assert error.value.field == "discount"


# -- the article's contract ----------------------------------------------------


def test_a_cut_credits_the_difference_on_the_units_billed():
    result = plan(users(10), users(10, "27.00"), [july(billed())])
    (line,) = result.credit_lines
    assert result.invoice_lines == ()
    assert (line.invoice_ref, line.quantity, line.price_unit) == ("INV", 10, 3)
    assert (line.old_price, line.new_price) == (30, 27)
    assert line.amount == exact(10 * 3 * SHARE) == Decimal("26.13")
    assert line.source_ref == "L1" and not line.moves_units
    assert line.percent == 87


def test_a_rise_invoices_the_difference_on_the_units_billed():
    result = plan(users(10), users(10, "33.00"), [july(billed())])
    (line,) = result.invoice_lines
    assert result.credit_lines == ()
    assert line.amount == exact(10 * 3 * SHARE) == Decimal("26.13")
    assert (line.quantity, line.old_price, line.new_price) == (10, 30, 33)
    assert line.source_ref == "L1" and not line.moves_units


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # the line at 20.00 (set directly), July billed 30.00: a rise to 25.00
        (users(10, "20.00"), users(10, "25.00")),
        # the line at 40.00 (set directly), July billed 30.00: a cut to 35.00
        (users(10, "40.00"), users(10, "35.00")),
    ],
)
def test_a_price_change_never_goes_against_its_direction(old, new):
    """A rise never credits, a cut never invoices: a document billed at
    another price than the line's keeps what it billed."""
    result = plan(old, new, [july(billed())])
    assert (result.credit_lines, result.invoice_lines) == ((), ())


def test_more_users_at_a_lower_price_credit_and_invoice_separately():
    result = plan(users(10), users(12, "24.00"), [july(billed())])
    (credit,) = result.credit_lines
    (invoice,) = result.invoice_lines
    assert (credit.quantity, credit.amount) == (10, exact(10 * 6 * SHARE))
    assert credit.amount == Decimal("52.26") and not credit.moves_units
    assert (invoice.quantity, invoice.amount) == (2, exact(2 * 24 * SHARE))
    assert invoice.amount == Decimal("41.81") and invoice.moves_units
    assert result.total_credit - result.total_invoice == Decimal("10.45")


def test_fewer_users_at_a_new_price_credit_removed_units_at_the_billed_price():
    result = plan(users(10), users(6, "27.00"), [july(billed())])
    removed, repriced = result.credit_lines
    assert (removed.quantity, removed.price_unit, removed.moves_units) == (4, 30, True)
    assert removed.amount == exact(4 * 30 * SHARE)
    assert (repriced.quantity, repriced.price_unit) == (6, 3)
    assert repriced.amount == exact(6 * 3 * SHARE)


def test_nothing_invoiced_nothing_to_reprice():
    result = plan(users(10), users(10, "27"), [])
    assert result.credit_lines == result.invoice_lines == ()
    assert result.new_lines[0].price_unit == 27


# -- after a price change: the price the period actually billed ---------------

CUT = PriceChange(EFFECTIVE, Decimal(-3))
LATER = D(2024, 7, 20)
LATER_SHARE = Fraction(17, 31)


def test_units_removed_after_a_cut_are_credited_net_of_it():
    cut = round_amount(10 * 3 * SHARE, 2)
    invoice = billed(remaining=Decimal(300) - cut, changes=(CUT,))
    result = plan(users(10, "27"), users(6, "27"), [july(invoice)], effective=LATER)
    (line,) = result.credit_lines
    assert line.price_unit == 27
    assert line.amount == exact(4 * 27 * LATER_SHARE)


def test_units_removed_after_a_rise_are_credited_on_both_documents():
    rise = PriceChange(EFFECTIVE, Decimal(3), ref="RISE")
    rise_line = InvoicedLine("users", 0, 0, exact(10 * 3 * SHARE), ref="R1")
    period = july(
        billed(changes=(rise,)),
        documents=(BilledDocument("RISE", EFFECTIVE, (rise_line,)),),
    )
    result = plan(users(10, "33"), users(6, "33"), [period], effective=LATER)
    on_invoice, on_rise = result.credit_lines
    assert (on_invoice.invoice_ref, on_invoice.amount) == (
        "INV",
        exact(4 * 30 * LATER_SHARE),
    )
    assert (on_rise.invoice_ref, on_rise.amount) == ("RISE", exact(4 * 3 * LATER_SHARE))
    assert on_invoice.moves_units and not on_rise.moves_units
    assert on_rise.source_ref == "R1"


def test_a_second_cut_is_the_difference_with_the_first():
    invoice = billed(remaining=Decimal("273.87"), changes=(CUT,))
    result = plan(users(10, "27"), users(10, "25"), [july(invoice)], effective=LATER)
    (line,) = result.credit_lines
    assert (line.old_price, line.new_price, line.price_unit) == (27, 25, 2)
    assert line.amount == exact(10 * 2 * LATER_SHARE)


def test_a_cut_never_credits_more_than_the_document_still_bills():
    result = plan(users(10), users(10, "0"), [july(billed(remaining="10.00"))])
    assert result.total_credit == Decimal("10.00")


# -- a property: credits and invoices are the exact value difference ----------


@given(
    old_quantity=st.integers(1, 50),
    new_quantity=st.integers(1, 50),
    old_price=st.integers(0, 10_000),
    new_price=st.integers(0, 10_000),
    day=st.integers(6, 31),
)
def test_the_documents_amount_to_the_value_difference(
    old_quantity, new_quantity, old_price, new_price, day
):
    """Whatever the change, what is invoiced less what is credited is the
    difference of value from the effective date (within a cent a line)."""
    old = users(old_quantity, Decimal(old_price) / 100)
    new = users(new_quantity, Decimal(new_price) / 100)
    if (old.quantity, old.price_unit) == (new.quantity, new.price_unit):
        return
    effective = D(2024, 7, day)
    invoice = billed(old_quantity, old.price_unit)
    result = plan(old, new, [july(invoice)], effective=effective)
    share = Fraction((JULY[1] - effective).days, 31)
    expected = (
        Fraction(new.quantity) * Fraction(new.price_unit)
        - Fraction(old.quantity) * Fraction(old.price_unit)
    ) * share
    lines = result.credit_lines + result.invoice_lines
    assert abs(
        Fraction(result.total_invoice - result.total_credit) - expected
    ) <= Fraction(len(lines), 200)
    for line in lines:
        assert line.amount > 0


def test_a_cut_after_a_rise_is_credited_on_the_rise_first():
    """30 → 33 (the rise invoiced by RISE), then 33 → 15: 3.00 credited
    against the rise's invoice, 15.00 against the period's invoice (which
    billed 30.00, never credited beyond it)."""
    rise = PriceChange(EFFECTIVE, Decimal(3), ref="RISE")
    rise_line = InvoicedLine("users", 0, 0, exact(10 * 3 * SHARE), ref="R1")
    period = july(
        billed(changes=(rise,)),
        documents=(BilledDocument("RISE", EFFECTIVE, (rise_line,)),),
    )
    result = plan(users(10, "33"), users(10, "15"), [period], effective=LATER)
    on_rise, on_invoice = result.credit_lines
    assert (on_rise.invoice_ref, on_rise.price_unit) == ("RISE", 3)
    assert on_rise.amount == exact(10 * 3 * LATER_SHARE)
    assert (on_invoice.invoice_ref, on_invoice.price_unit) == ("INV", 15)
    assert on_invoice.amount == exact(10 * 15 * LATER_SHARE)
    assert (on_invoice.old_price, on_invoice.new_price) == (33, 15)


def test_units_removed_after_a_rise_and_its_cut_credit_the_rise_net():
    """A rise of 3.00 from 10 July on RISE, cut by 1.00 against RISE from 20
    July: 4 users removed on 25 July are credited 2.00 against RISE."""
    changes = (
        PriceChange(EFFECTIVE, Decimal(3), ref="RISE"),
        PriceChange(LATER, Decimal(-1), ref="RISE"),
    )
    rise_line = InvoicedLine("users", 0, 0, Decimal("20.00"), ref="R1")
    period = july(
        billed(changes=changes),
        documents=(BilledDocument("RISE", EFFECTIVE, (rise_line,)),),
    )
    day = D(2024, 7, 25)
    result = plan(users(10, "32"), users(6, "32"), [period], effective=day)
    on_invoice, on_rise = result.credit_lines
    share = Fraction(12, 31)
    assert on_invoice.amount == exact(4 * 30 * share)
    assert (on_rise.invoice_ref, on_rise.amount) == ("RISE", exact(4 * 2 * share))
