"""Planning an amendment: which credit notes, invoices and new lines it produces."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from rules import (
    MAX_QUANTITY,
    THIRTY_E_360,
    AmendmentKind,
    BilledDocument,
    BilledPeriod,
    InvoicedLine,
    Line,
    RuleError,
    make_plan,
    round_amount,
)

D = date
START = D(2024, 1, 6)
RENEWAL = D(2025, 1, 6)
EFFECTIVE = D(2024, 7, 10)  # the article's effective date
JULY = (D(2024, 7, 6), D(2024, 8, 6))
AUGUST = (D(2024, 8, 6), D(2024, 9, 6))
SEPTEMBER = (D(2024, 9, 6), D(2024, 10, 6))


def users(quantity, price="25.00", **kwargs):
    return Line(
        "users", "Users", Decimal(quantity), Decimal(price), name="Users", **kwargs
    )


def numbers(quantity, price="5.00"):
    return Line("numbers", "Numbers", Decimal(quantity), Decimal(price), name="Numbers")


def period(ref, bounds, *lines):
    return BilledPeriod(ref, bounds[0], bounds[1], tuple(lines))


def billed(ref, bounds, *lines):
    """A period whose invoice billed ``lines`` as they are, for the whole period."""
    return period(
        ref,
        bounds,
        *(
            invoiced(
                line.key, line.quantity, line.net_price, line.quantity * line.net_price
            )
            for line in lines
        ),
    )


def invoiced(key, quantity, price, remaining=None, ref=None):
    remaining = None if remaining is None else Decimal(remaining)
    return InvoicedLine(key, Decimal(price), Decimal(quantity), remaining, ref)


def plan(old, new, effective=EFFECTIVE, periods=(), **kwargs):
    kwargs.setdefault("request_date", D(2024, 7, 1))
    kwargs.setdefault("contract_start", START)
    kwargs.setdefault("renewal_date", RENEWAL)
    return make_plan(old, new, effective, periods, **kwargs)


def test_article_example_10_users_to_6():
    result = plan(
        [users(10)],
        [users(6)],
        periods=[
            period("INV/07", JULY, invoiced("users", 10, "25.00", "250.00", ref=42))
        ],
    )
    assert result.kind is AmendmentKind.DOWNGRADE
    assert result.invoice_lines == ()
    (credit,) = result.credit_lines
    assert credit.direction == "credit"
    assert credit.invoice_ref == "INV/07"
    assert credit.source_ref == 42
    assert (credit.old_quantity, credit.new_quantity, credit.quantity) == (10, 6, 4)
    assert credit.price_unit == Decimal("25.00")
    assert credit.period_start == D(2024, 7, 6)
    assert credit.period_end == D(2024, 8, 5)
    assert credit.share == Fraction(27, 31)
    assert credit.amount == Decimal("87.10")  # 4 × 25 × 27/31 = 87.0967…
    assert credit.percent == 87
    assert result.total_credit == Decimal("87.10")
    assert result.credits_by_invoice() == {"INV/07": (credit,)}
    assert result.new_lines == (users(6),)


def test_effective_on_period_start_credits_the_whole_period():
    result = plan(
        [users(10)], [users(6)], D(2024, 8, 6), [billed("INV/08", AUGUST, users(10))]
    )
    (credit,) = result.credit_lines
    assert credit.share == 1
    assert credit.percent == 100
    assert credit.amount == Decimal("100.00")


def test_periods_ending_before_the_effective_date_are_ignored():
    result = plan(
        [users(10)],
        [users(6)],
        D(2024, 8, 6),
        [billed("INV/07", JULY, users(10)), billed("INV/08", AUGUST, users(10))],
    )
    assert [line.invoice_ref for line in result.credit_lines] == ["INV/08"]


def test_effective_on_renewal_date_credits_nothing_of_the_current_term():
    last_period = (D(2024, 12, 6), RENEWAL)
    next_term = (RENEWAL, D(2025, 2, 6))
    result = plan(
        [users(10)],
        [users(6)],
        RENEWAL,
        [
            billed("INV/12", last_period, users(10)),
            billed("INV/2025/01", next_term, users(10)),
        ],
    )
    # only the period invoiced in advance for the next term is credited, in full
    (credit,) = result.credit_lines
    assert credit.invoice_ref == "INV/2025/01"
    assert credit.share == 1
    assert credit.amount == Decimal("100.00")


def test_effective_on_renewal_date_without_advance_invoice_creates_nothing():
    result = plan(
        [users(10)], [users(6)], RENEWAL, [period("INV/12", (D(2024, 12, 6), RENEWAL))]
    )
    assert result.credit_lines == ()
    assert result.new_lines == (users(6),)


def test_several_periods_invoiced_in_advance_give_one_line_per_period():
    result = plan(
        [users(10)],
        [users(6)],
        periods=[
            billed("INV/09", SEPTEMBER, users(10)),
            billed("INV/07", JULY, users(10)),
            billed("INV/08", AUGUST, users(10)),
        ],
    )
    assert [(c.invoice_ref, c.share, c.amount) for c in result.credit_lines] == [
        ("INV/07", Fraction(27, 31), Decimal("87.10")),
        ("INV/08", Fraction(1), Decimal("100.00")),
        ("INV/09", Fraction(1), Decimal("100.00")),
    ]
    assert result.total_credit == Decimal("287.10")
    assert list(result.credits_by_invoice()) == ["INV/07", "INV/08", "INV/09"]


def test_not_yet_invoiced_changes_only_the_lines():
    result = plan([users(10), numbers(3)], [users(6), numbers(3)], periods=())
    assert result.kind is AmendmentKind.DOWNGRADE
    assert (result.credit_lines, result.invoice_lines) == ((), ())
    assert result.new_lines == (users(6), numbers(3))
    assert result.total_credit == result.total_invoice == 0


def test_new_add_on_is_invoiced_at_its_net_price():
    addon = Line(
        ("new", 1),
        "Analytics+",
        Decimal(2),
        Decimal("12.00"),
        Decimal(25),
        "Analytics+",
    )
    result = plan([users(10)], [users(10), addon], periods=[period("INV/07", JULY)])
    assert result.kind is AmendmentKind.UPGRADE
    assert result.credit_lines == ()
    (line,) = result.invoice_lines
    assert (line.key, line.direction, line.invoice_ref) == (
        ("new", 1),
        "invoice",
        "INV/07",
    )
    assert (line.old_quantity, line.new_quantity, line.quantity) == (0, 2, 2)
    assert line.price_unit == Decimal("9.00")  # 12.00 − 25 %
    assert line.amount == Decimal("15.68")  # 2 × 9 × 27/31 = 15.677…
    assert line.source_ref is None
    assert result.invoices_by_period() == {"INV/07": (line,)}
    assert result.new_lines == (users(10), addon)


@pytest.mark.parametrize("new", [[users(10), numbers(0)], [users(10)]])
def test_removed_line_is_credited_and_dropped(new):
    result = plan(
        [users(10), numbers(3)],
        new,
        periods=[billed("INV/07", JULY, users(10), numbers(3))],
    )
    (credit,) = result.credit_lines
    assert (credit.key, credit.quantity, credit.new_quantity) == ("numbers", 3, 0)
    assert credit.amount == Decimal("13.06")  # 3 × 5 × 27/31 = 13.064…
    assert result.new_lines == (users(10),)


def test_mixed_change_gives_credit_and_invoice_lines_not_netted():
    result = plan(
        [users(10), numbers(3)],
        [users(12), numbers(1)],
        periods=[billed("INV/07", JULY, users(10), numbers(3))],
    )
    assert result.kind is AmendmentKind.MIXED
    (credit,) = result.credit_lines
    (invoice,) = result.invoice_lines
    assert (credit.key, credit.quantity, credit.amount) == (
        "numbers",
        2,
        Decimal("8.71"),
    )
    assert (invoice.key, invoice.quantity, invoice.amount) == (
        "users",
        2,
        Decimal("43.55"),
    )
    assert (result.total_credit, result.total_invoice) == (
        Decimal("8.71"),
        Decimal("43.55"),
    )


def test_credit_is_capped_at_the_remaining_amount():
    result = plan(
        [users(10)],
        [users(6)],
        periods=[
            period("INV/07", JULY, invoiced("users", 10, "25.00", remaining="50.00"))
        ],
    )
    assert result.credit_lines[0].amount == Decimal("50.00")


def test_cap_holds_when_rounded_invoices_charged_less_than_the_credit():
    # at 0 digits, 1 × 0.40 and then +1 × 0.40 were each invoiced as 0;
    # removing both (2 × 0.40 = 0.80 → 1) must not credit what was never charged
    sms = Line("sms", "SMS", Decimal(2), Decimal("0.40"))
    result = plan(
        [sms],
        [],
        periods=[period("INV/07", JULY, invoiced("sms", 1, "0.40", remaining="0"))],
        effective=D(2024, 7, 6),
        digits=0,
    )
    assert result.credit_lines == ()


@pytest.mark.parametrize("remaining", ["0.00", "-1.00"])
def test_nothing_left_to_credit_still_takes_the_units(remaining):
    # issue 21: removed units are credited at the price × share, capped by what
    # remains; the units go even when nothing remains (a line that credits 0)
    result = plan(
        [users(10)],
        [users(6)],
        periods=[
            period("INV/07", JULY, invoiced("users", 10, "25.00", remaining=remaining))
        ],
    )
    (line,) = result.credit_lines
    assert (line.quantity, line.amount, line.unit_amount, line.rounding) == (
        4,
        0,
        0,
        0,
    )


def test_credit_uses_the_price_as_invoiced():
    # invoiced at 20.00 (net), the line now says 25.00 with 10 % discount
    result = plan(
        [users(10, discount=Decimal(10))],
        [users(6, discount=Decimal(10))],
        periods=[period("INV/07", JULY, invoiced("users", 10, "20.00"))],
    )
    assert result.credit_lines[0].price_unit == Decimal("20.00")
    assert result.credit_lines[0].amount == Decimal("69.68")  # 4 × 20 × 27/31


def test_a_line_no_document_billed_is_credited_nothing():
    # removed from the invoice before it was posted: nothing was billed for it
    result = plan(
        [users(10), numbers(3)],
        [users(10)],
        periods=[billed("INV/07", JULY, users(10))],
    )
    assert result.credit_lines == ()
    assert result.new_lines == (users(10),)


def test_a_document_credits_at_most_the_units_it_still_bills():
    # 10 billed, 7 already credited: a reduction of 4 credits 3
    result = plan(
        [users(10)],
        [users(6)],
        periods=[period("INV/07", JULY, invoiced("users", 3, "25.00", "75.00"))],
    )
    (credit,) = result.credit_lines
    assert credit.quantity == 3
    assert credit.amount == Decimal("65.32")  # 3 × 25 × 27/31 = 65.322…


@pytest.mark.parametrize(
    ("digits", "expected"), [(0, "87"), (2, "87.10"), (3, "87.097")]
)
def test_plan_rounds_to_the_currency_digits(digits, expected):
    result = plan(
        [users(10)],
        [users(6)],
        periods=[billed("INV/07", JULY, users(10))],
        digits=digits,
    )
    assert str(result.credit_lines[0].amount) == expected


def test_plan_with_30e360_convention():
    result = plan(
        [users(10)],
        [users(6)],
        periods=[billed("INV/07", JULY, users(10))],
        convention=THIRTY_E_360,
    )
    (credit,) = result.credit_lines
    assert credit.share == Fraction(26, 30)
    assert credit.amount == Decimal("86.67")  # 4 × 25 × 26/30 = 86.666…
    assert credit.percent == 87


def test_amount_rounding_to_zero_gives_no_line():
    cheap = Line("sms", "SMS", Decimal(1), Decimal("0.01"))
    result = plan([cheap], [], D(2024, 8, 5), [period("INV/07", JULY)])  # 1/31 of 0.01
    assert result.credit_lines == ()


def test_cancellation_without_quantity_change():
    result = plan(
        [users(10)], [users(10)], periods=[period("INV/07", JULY)], cancel_renewal=True
    )
    assert result.kind is AmendmentKind.CANCELLATION
    assert (result.credit_lines, result.invoice_lines) == ((), ())
    assert result.new_lines == (users(10),)


def test_float_quantities_are_read_as_their_decimal_repr():
    line = Line("users", "Users", 10.1, 25.0)
    assert (line.quantity, line.price_unit) == (Decimal("10.1"), Decimal("25.0"))


# -- bad input: each refused with the field it concerns ----------------------


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ([users(10)], [users(-1)], "quantity"),
        ([users(10)], [users("NaN")], "quantity"),
        ([users(10)], [users("Infinity")], "quantity"),
        ([users(10)], [Line("users", "Users", None, Decimal(25))], "quantity"),
        ([users(10)], [Line("users", "Users", Decimal(6), None)], "price_unit"),
        ([users(10)], [users(6, price="NaN")], "price_unit"),
        ([users(10)], [users(6, discount=Decimal("Infinity"))], "discount"),
        ([users(10)], [users(10)], "line_ids"),  # no-op
        ([users(10), users(3)], [users(6)], "line_ids"),  # same key twice
        ([users(6, price="-25.00")], [users(10, price="-25.00")], "price_unit"),
    ],
)
def test_bad_lines_are_refused(old, new, field):
    with pytest.raises(RuleError) as err:
        plan(old, new, periods=[period("INV/07", JULY)])
    assert err.value.field == field


def test_a_new_quantity_above_the_maximum_is_refused():
    assert MAX_QUANTITY == 1_000_000
    with pytest.raises(RuleError) as err:
        plan([users(10)], [users(MAX_QUANTITY + 1)], periods=[period("INV/07", JULY)])
    assert err.value.field == "quantity"
    # the maximum itself is accepted, and so is an unchanged line above it
    big = Line("numbers", "Numbers", MAX_QUANTITY * 2, Decimal(1))
    result = plan([users(10), big], [users(MAX_QUANTITY), big])
    assert [line.quantity for line in result.new_lines] == [MAX_QUANTITY, big.quantity]


def test_quantity_of_unknown_type_is_refused():
    with pytest.raises(RuleError) as err:
        Line("users", "Users", "10", Decimal(25))
    assert err.value.field == "quantity"


@pytest.mark.parametrize(
    ("effective", "overrides"),
    [
        (D(2024, 7, 10), {"request_date": D(2024, 7, 11)}),
        (D(2024, 1, 5), {"request_date": D(2024, 1, 1)}),  # before the contract start
        (D(2025, 1, 7), {}),  # after the renewal date
    ],
)
def test_bad_effective_date_is_refused(effective, overrides):
    with pytest.raises(RuleError) as err:
        plan([users(10)], [users(6)], effective, **overrides)
    assert err.value.field == "effective_date"


def test_no_renewal_date_allows_any_later_effective_date():
    result = plan([users(10)], [users(6)], D(2030, 1, 1), renewal_date=None)
    assert result.new_lines == (users(6),)


@pytest.mark.parametrize(
    "periods",
    [
        [period("INV/07", (D(2024, 8, 6), D(2024, 8, 6)))],  # empty
        [period("INV/07", (D(2024, 8, 6), D(2024, 7, 6)))],  # backwards
        [period("INV/07", JULY), period("INV/07b", (D(2024, 8, 1), D(2024, 9, 1)))],
        [
            period(
                "INV/07", JULY, invoiced("users", 10, "25"), invoiced("users", 1, "25")
            )
        ],
        [period("INV/07", JULY, invoiced("users", 10, "25", remaining="NaN"))],
    ],
    ids=["empty", "backwards", "overlap", "line twice", "NaN remaining"],
)
def test_bad_periods_are_refused(periods):
    with pytest.raises(RuleError) as err:
        plan([users(10)], [users(6)], periods=periods)
    assert err.value.field == "periods"


@pytest.mark.parametrize(("option", "value"), [("digits", 7), ("convention", "30/365")])
def test_bad_options_are_refused(option, value):
    with pytest.raises(RuleError) as err:
        plan([users(10)], [users(6)], **{option: value})
    assert err.value.field == option


# -- several documents billing one period --------------------------------------


def test_credits_go_to_the_newest_document_first():
    # July: 10 users invoiced; +2 from 20 July on an upgrade invoice (17/31);
    # on 25 July 12 → 9: the upgrade invoice's 2 users first, then 1 of the invoice's
    upgrade = BilledDocument(
        "UPG/07",
        D(2024, 7, 20),
        (invoiced("users", 2, "25.00", "27.42", ref="upg-line"),),
    )
    result = plan(
        [users(12)],
        [users(9)],
        D(2024, 7, 25),
        periods=[
            BilledPeriod(
                "INV/07",
                *JULY,
                (invoiced("users", 10, "25.00", "250.00", ref="inv-line"),),
                documents=(upgrade,),
            )
        ],
    )
    first, second = result.credit_lines
    assert (first.invoice_ref, first.quantity, first.source_ref) == (
        "UPG/07",
        2,
        "upg-line",
    )
    assert (second.invoice_ref, second.quantity) == ("INV/07", 1)
    # 12 days of 31 from 25 July: 2 × 25 × 12/31 = 19.35, 1 × 25 × 12/31 = 9.68
    assert (first.amount, second.amount) == (Decimal("19.35"), Decimal("9.68"))
    assert first.since == D(2024, 7, 25)
    assert set(result.credits_by_invoice()) == {"UPG/07", "INV/07"}


def test_a_document_is_credited_from_the_day_it_bills():
    # an administrator's request dated before the upgrade it reduces: the
    # upgrade invoice billed from 20 July only, and is credited from then
    upgrade = BilledDocument(
        "UPG/07", D(2024, 7, 20), (invoiced("users", 2, "25.00", "27.42"),)
    )
    result = plan(
        [users(12)],
        [users(10)],
        D(2024, 7, 10),
        periods=[
            BilledPeriod(
                "INV/07",
                *JULY,
                (invoiced("users", 10, "25.00", "250.00"),),
                documents=(upgrade,),
            )
        ],
    )
    (credit,) = result.credit_lines
    assert (credit.invoice_ref, credit.since) == ("UPG/07", D(2024, 7, 20))
    assert credit.share == Fraction(17, 31)
    assert credit.amount == Decimal("27.42")  # all of it: 2 × 25 × 17/31


def test_new_units_are_priced_in_the_periods_currency():
    # the subscription's prices are in EUR now; July was invoiced in USD at 1.1
    result = plan(
        [users(10)],
        [users(12)],
        D(2024, 7, 6),
        periods=[
            BilledPeriod(
                "INV/07",
                *JULY,
                (invoiced("users", 10, "27.50", "275.00"),),
                rate=Decimal("1.1"),
            )
        ],
    )
    (line,) = result.invoice_lines
    assert line.price_unit == Decimal("27.50")  # 25.00 EUR × 1.1
    assert line.amount == Decimal("55.00")


def test_document_lines_are_units_at_a_rounded_prorated_price_plus_rounding():
    result = plan(
        [users(10)],
        [users(6)],
        periods=[billed("INV/07", JULY, users(10))],
        price_digits=2,
    )
    (credit,) = result.credit_lines
    # 25 × 27/31 = 21.774… → 21.77; 4 × 21.77 = 87.08; the amount is 87.10
    assert (credit.quantity, credit.unit_amount) == (4, Decimal("21.77"))
    assert credit.rounding == Decimal("0.02")
    assert credit.quantity * credit.unit_amount + credit.rounding == credit.amount
    # with more price digits: 4 × 21.7742 = 87.0968, 87.10 as a line total
    (precise,) = plan(
        [users(10)],
        [users(6)],
        periods=[billed("INV/07", JULY, users(10))],
        price_digits=4,
    ).credit_lines
    assert (precise.unit_amount, precise.rounding) == (Decimal("21.7742"), 0)


def test_the_rounding_completes_a_line_total_rounded_to_the_currency():
    # 10 → 7.5: 2.5 × 25 × 27/31 = 54.435… → 54.44; 2.5 × 21.77 = 54.425,
    # a line total of 54.43 (half up): 0.01 to go
    (credit,) = plan(
        [users(10)], [users("7.5")], periods=[billed("INV/07", JULY, users(10))]
    ).credit_lines
    assert (credit.amount, credit.unit_amount) == (Decimal("54.44"), Decimal("21.77"))
    assert credit.rounding == Decimal("0.01")


def test_a_capped_credit_is_priced_from_what_is_left():
    result = plan(
        [users(10)],
        [users(6)],
        periods=[period("INV/07", JULY, invoiced("users", 10, "25.00", "50.00"))],
    )
    (credit,) = result.credit_lines
    assert credit.amount == Decimal("50.00")
    assert (credit.unit_amount, credit.rounding) == (Decimal("12.50"), Decimal(0))


@pytest.mark.parametrize("rate", ["0", "-1", "NaN"])
def test_a_bad_rate_is_refused(rate):
    with pytest.raises(RuleError) as err:
        plan(
            [users(10)],
            [users(6)],
            periods=[BilledPeriod("INV/07", *JULY, rate=Decimal(rate))],
        )
    assert err.value.field == "periods"


def test_a_discounted_credit_is_shaped_as_odoos_reversal():
    """The credit keeps the discount billed: its unit price before discount,
    prorated; its rounding makes the discounted total exact."""
    plan = make_plan(
        [Line(1, "u", Decimal(10), Decimal("25.00"), Decimal(10))],
        [Line(1, "u", Decimal(6), Decimal("25.00"), Decimal(10))],
        date(2024, 7, 10),
        [
            BilledPeriod(
                "inv",
                date(2024, 7, 6),
                date(2024, 8, 6),
                lines=(
                    InvoicedLine(
                        1,
                        Decimal("22.50"),
                        Decimal(10),
                        Decimal("225.00"),
                        "l",
                        Decimal(10),
                    ),
                ),
            )
        ],
        request_date=date(2024, 7, 10),
        contract_start=date(2024, 1, 6),
        renewal_date=date(2025, 1, 6),
    )
    (line,) = plan.credit_lines
    # 4 × 22.50 × 27/31 = 78.387…; 25.00 × 27/31 = 21.77 at 10 %: 78.372 → 78.37
    assert (line.amount, line.unit_amount, line.discount) == (
        Decimal("78.39"),
        Decimal("21.77"),
        Decimal(10),
    )
    assert line.rounding == Decimal("0.02")


def test_a_line_at_a_hundred_percent_is_not_credited():
    plan = make_plan(
        [
            Line(1, "u", Decimal(10), Decimal("25.00")),
            Line(2, "n", Decimal(3), Decimal("6.00"), Decimal(100)),
        ],
        [
            Line(1, "u", Decimal(10), Decimal("25.00")),
            Line(2, "n", Decimal(0), Decimal("6.00"), Decimal(100)),
        ],
        date(2024, 7, 10),
        [
            BilledPeriod(
                "inv",
                date(2024, 7, 6),
                date(2024, 8, 6),
                lines=(
                    InvoicedLine(
                        2, Decimal(0), Decimal(3), Decimal(0), "l", Decimal(100)
                    ),
                ),
            )
        ],
        request_date=date(2024, 7, 10),
        contract_start=date(2024, 1, 6),
        renewal_date=date(2025, 1, 6),
    )
    assert plan.credit_lines == ()


def _three_discounted_lines(round_globally):
    """Three lines whose discounted subtotals' third decimals add up to a cent
    (Odoo, rounding globally, sums them exactly and rounds once)."""
    old = [
        Line(1, "a", Decimal(7), Decimal("9.99"), Decimal("12.5")),
        Line(2, "b", Decimal(11), Decimal("3.33"), Decimal(7)),
        Line(3, "c", Decimal(5), Decimal("7.77"), Decimal(33)),
    ]
    new = [
        Line(1, "a", Decimal(4), Decimal("9.99"), Decimal("12.5")),
        Line(2, "b", Decimal(2), Decimal("3.33"), Decimal(7)),
        Line(3, "c", Decimal(1), Decimal("7.77"), Decimal(33)),
    ]
    billed = tuple(
        InvoicedLine(
            line.key, line.net_price, line.quantity, None, line.key, line.discount
        )
        for line in old
    )
    return make_plan(
        old,
        new,
        date(2024, 7, 13),
        [BilledPeriod("inv", date(2024, 7, 6), date(2024, 8, 6), lines=billed)],
        request_date=date(2024, 7, 13),
        contract_start=date(2024, 1, 6),
        renewal_date=date(2025, 1, 6),
        round_globally=round_globally,
    )


def _document_total(lines, round_globally):
    """The document's total as Odoo computes it: per line, each line's
    subtotal rounded, or the exact subtotals summed and rounded once; the
    rounding lines are whole cents."""
    exact = [
        Fraction(line.quantity)
        * Fraction(line.unit_amount)
        * (1 - Fraction(line.discount) / 100)
        for line in lines
    ]
    roundings = sum(line.rounding for line in lines)
    if round_globally:
        return round_amount(sum(exact, Fraction(0)) + Fraction(roundings), 2)
    return sum(round_amount(value, 2) for value in exact) + roundings


@pytest.mark.parametrize("round_globally", [False, True])
def test_each_document_is_its_plan_to_the_cent(round_globally):
    plan = _three_discounted_lines(round_globally)
    assert plan.total_credit == Decimal("58.00")
    assert _document_total(plan.credit_lines, round_globally) == Decimal("58.00")


def test_per_line_roundings_would_be_a_cent_off_globally():
    """What the global rounding's correction is for: the per-line plan,
    rounded globally, is 0.01 away."""
    per_line = _three_discounted_lines(False)
    assert _document_total(per_line.credit_lines, True) == Decimal("58.01")


def test_a_half_cent_drift_down_needs_no_correction():
    """Rounding globally, lines whose cents drift by exactly −½ cent already
    round to their amounts: no correction (a correction would overshoot)."""
    # 5 × 19.61 at 10 % = 88.245 (88.25 per line); the plan: 5 × 22.50 ×
    # 0.9 × 27/31 = 88.1854… → 88.19, the rounding line −0.06
    plan = make_plan(
        [Line(1, "u", Decimal(10), Decimal("22.52"), Decimal(10))],
        [Line(1, "u", Decimal(5), Decimal("22.52"), Decimal(10))],
        date(2024, 7, 10),
        [
            BilledPeriod(
                "inv",
                date(2024, 7, 6),
                date(2024, 8, 6),
                lines=(
                    InvoicedLine(
                        1, Decimal("20.268"), Decimal(10), None, "l", Decimal(10)
                    ),
                ),
            )
        ],
        request_date=date(2024, 7, 10),
        contract_start=date(2024, 1, 6),
        renewal_date=date(2025, 1, 6),
        round_globally=True,
    )
    for round_globally in (False, True):
        assert _document_total(plan.credit_lines, round_globally) == plan.total_credit
