"""When a reduction takes effect: the renewal a change must meet, later
renewals, and the reduction timing of a template (issue 24)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rules import (
    AmendmentKind,
    BilledPeriod,
    InvoicedLine,
    Line,
    ReductionTiming,
    RuleError,
    Term,
    check_timing,
    decide,
    make_plan,
    renewal_date,
    timed_effective_date,
)

D = date
START = D(2024, 1, 6)
TERM = Term(START, 12, "month")
JULY = BilledPeriod(
    "july",
    D(2024, 7, 6),
    D(2024, 8, 6),
    (InvoicedLine("users", Decimal(30), Decimal(10), Decimal(300)),),
)


def users(quantity):
    return Line("users", "Users", Decimal(quantity), Decimal(30), name="Users")


JULY_10 = D(2024, 7, 10)


def plan(effective, request=JULY_10, **kwargs):
    kwargs.setdefault("renewal_date", TERM.renewal_after(request))
    kwargs.setdefault("term", TERM)
    return make_plan(
        [users(10)],
        kwargs.pop("new", [users(6)]),
        effective,
        kwargs.pop("periods", [JULY]),
        request_date=request,
        contract_start=START,
        **kwargs,
    )


# -- the term ----------------------------------------------------------------------


def test_the_renewal_a_change_must_meet_is_the_first_on_or_after_its_effective_date():
    assert TERM.renewal_to_meet(D(2024, 7, 10), D(2024, 7, 10)) == D(2025, 1, 6)
    # effective on a renewal: that renewal
    assert TERM.renewal_to_meet(D(2025, 1, 6), D(2024, 11, 1)) == D(2025, 1, 6)
    assert TERM.renewal_to_meet(D(2026, 1, 6), D(2024, 12, 20)) == D(2026, 1, 6)
    # a renewal on the request day has happened: the change meets the next one
    assert TERM.renewal_to_meet(D(2025, 1, 6), D(2025, 1, 6)) == D(2026, 1, 6)


def test_a_renewal_is_a_boundary_after_the_start():
    assert TERM.is_renewal(D(2025, 1, 6))
    assert TERM.is_renewal(D(2030, 1, 6))
    assert not TERM.is_renewal(START)
    assert not TERM.is_renewal(D(2025, 1, 7))
    assert not TERM.is_renewal(D(2023, 1, 6))


def test_the_first_renewal_a_late_reduction_meets():
    # 20 December 2024 is 13 days late for 6 January 2025 (deadline 7 December)
    assert TERM.first_renewal_meeting(D(2024, 12, 20), 30) == D(2026, 1, 6)
    # on the deadline itself: the coming renewal
    assert TERM.first_renewal_meeting(D(2024, 12, 7), 30) == D(2025, 1, 6)
    assert TERM.first_renewal_meeting(D(2024, 12, 8), 30) == D(2026, 1, 6)
    # no notice: any renewal after the request
    assert TERM.first_renewal_meeting(D(2025, 1, 5), 0) == D(2025, 1, 6)
    assert TERM.first_renewal_meeting(D(2025, 1, 6), 0) == D(2026, 1, 6)


def test_a_day_beyond_the_calendar_is_no_renewal():
    assert not TERM.is_renewal(D(9999, 12, 31))
    with pytest.raises(RuleError) as error:
        TERM.renewal_to_meet(D(9999, 12, 31), D(2024, 7, 10))
    assert error.value.field == "effective_date"
    with pytest.raises(RuleError):
        plan(D(9999, 12, 31))


def test_a_term_checks_its_recurrence():
    with pytest.raises(RuleError) as error:
        Term(START, 0, "month")
    assert error.value.field == "interval"
    with pytest.raises(RuleError):
        Term(START, 1, "fortnight")
    with pytest.raises(RuleError):
        TERM.first_renewal_meeting(D(2024, 7, 1), -1)


@given(
    start=st.dates(D(2000, 1, 1), D(2040, 1, 1)),
    interval=st.integers(1, 24),
    unit=st.sampled_from(["day", "week", "month", "year"]),
    request=st.dates(D(2000, 1, 1), D(2045, 1, 1)),
    notice=st.integers(0, 400),
)
def test_the_renewal_offered_is_the_first_on_time(
    start, interval, unit, request, notice
):
    term = Term(start, interval, unit)
    later = term.first_renewal_meeting(request, notice)
    assert term.is_renewal(later) and later > request
    assert decide("downgrade", request, later, notice).accepted
    # every renewal before it, after the request, is too late
    previous = term.renewal_after(request)
    while previous < later:
        assert not decide("downgrade", request, previous, notice).accepted
        previous = term.renewal_after(previous)


# -- later renewals ------------------------------------------------------------------


def test_a_reduction_may_be_effective_on_a_later_renewal():
    result = plan(D(2026, 1, 6), request=D(2024, 12, 20))
    assert result.kind is AmendmentKind.DOWNGRADE
    assert not result.credit_lines and not result.invoice_lines
    assert [line.quantity for line in result.new_lines] == [Decimal(6)]


def test_a_day_after_the_renewal_that_is_no_renewal_is_refused():
    with pytest.raises(RuleError) as error:
        plan(D(2025, 6, 1), request=D(2024, 12, 20))
    assert error.value.field == "effective_date"
    # without the term, the renewal date is the limit, as before
    with pytest.raises(RuleError):
        plan(D(2026, 1, 6), request=D(2024, 12, 20), term=None)


# -- the template's timing -------------------------------------------------------------


def test_immediate_keeps_the_date_asked_and_credits_what_was_billed():
    result = plan(D(2024, 7, 10), timing="immediate")
    # the article's contract at 30.00: 4 × 30.00 × 27/31
    assert result.total_credit == Decimal("104.52")


def test_period_end_takes_effect_from_the_first_period_not_invoiced():
    assert timed_effective_date(
        ReductionTiming.PERIOD_END,
        request_date=D(2024, 7, 10),
        renewal=D(2025, 1, 6),
        first_unbilled=D(2024, 8, 6),
    ) == D(2024, 8, 6)
    result = plan(
        D(2024, 8, 6), timing=ReductionTiming.PERIOD_END, first_unbilled=D(2024, 8, 6)
    )
    assert not result.credit_lines
    with pytest.raises(RuleError) as error:
        plan(
            D(2024, 7, 10),
            timing=ReductionTiming.PERIOD_END,
            first_unbilled=D(2024, 8, 6),
        )
    assert error.value.field == "effective_date"
    # nothing invoiced ahead of the request: from the request date
    assert timed_effective_date(
        "period_end",
        request_date=D(2024, 7, 10),
        renewal=D(2025, 1, 6),
        first_unbilled=None,
    ) == D(2024, 7, 10)


def test_renewal_takes_effect_at_the_renewal_or_a_later_one():
    result = plan(D(2025, 1, 6), timing="renewal", first_unbilled=D(2024, 8, 6))
    assert not result.credit_lines
    plan(D(2026, 1, 6), request=D(2024, 12, 20), timing="renewal", first_unbilled=None)
    for refused in (D(2024, 7, 10), D(2024, 8, 6), D(2024, 12, 31)):
        with pytest.raises(RuleError):
            plan(refused, timing="renewal", first_unbilled=D(2024, 8, 6))


def test_upgrades_and_cancellations_are_not_timed():
    upgrade = plan(D(2024, 7, 10), new=[users(12)], timing="renewal")
    assert upgrade.kind is AmendmentKind.UPGRADE
    assert upgrade.total_invoice == Decimal("52.26")  # 2 × 30.00 × 27/31
    cancellation = plan(
        D(2024, 7, 10), new=[users(10)], timing="renewal", cancel_renewal=True
    )
    assert cancellation.kind is AmendmentKind.CANCELLATION


def test_a_mixed_change_follows_the_reduction_timing_as_a_whole():
    numbers = Line("numbers", "Numbers", Decimal(2), Decimal(5), name="Numbers")
    more_numbers = Line("numbers", "Numbers", Decimal(5), Decimal(5), name="Numbers")
    with pytest.raises(RuleError):
        make_plan(
            [users(10), numbers],
            [users(6), more_numbers],
            D(2024, 7, 10),
            [JULY],
            request_date=D(2024, 7, 10),
            contract_start=START,
            renewal_date=D(2025, 1, 6),
            timing="renewal",
            term=TERM,
        )
    mixed = make_plan(
        [users(10), numbers],
        [users(6), more_numbers],
        D(2025, 1, 6),
        [JULY],
        request_date=D(2024, 7, 10),
        contract_start=START,
        renewal_date=D(2025, 1, 6),
        timing="renewal",
        term=TERM,
    )
    assert mixed.kind is AmendmentKind.MIXED
    assert not mixed.credit_lines and not mixed.invoice_lines


def test_an_unknown_timing_is_refused():
    with pytest.raises(RuleError) as error:
        check_timing(
            "someday",
            True,
            D(2024, 7, 10),
            request_date=D(2024, 7, 10),
            renewal=None,
            first_unbilled=None,
        )
    assert error.value.field == "timing"


def test_period_end_beyond_the_renewal_waits_for_a_renewal_date():
    # the next term's first period is invoiced already: a change beyond the
    # term takes effect on a renewal date only
    assert timed_effective_date(
        "period_end",
        request_date=D(2024, 12, 20),
        renewal=D(2025, 1, 6),
        first_unbilled=D(2025, 2, 6),
        term=TERM,
    ) == D(2026, 1, 6)


def test_a_cancellation_that_lowers_lines_is_timed():
    with pytest.raises(RuleError):
        plan(D(2024, 7, 10), timing="renewal", cancel_renewal=True)
    result = plan(D(2025, 1, 6), timing="renewal", cancel_renewal=True)
    assert result.kind is AmendmentKind.CANCELLATION
    assert not result.credit_lines


def test_renewal_timing_without_a_renewal_waits_for_the_period_end():
    assert timed_effective_date(
        "renewal",
        request_date=D(2024, 7, 10),
        renewal=None,
        first_unbilled=D(2024, 8, 6),
    ) == D(2024, 8, 6)


@given(
    request=st.dates(D(2024, 1, 6), D(2030, 1, 1)),
    ahead=st.integers(0, 90),
    timing=st.sampled_from(list(ReductionTiming)),
)
def test_the_timed_date_is_never_before_the_request(request, ahead, timing):
    first_unbilled = request + timedelta(days=ahead) if ahead else None
    timed = timed_effective_date(
        timing,
        request_date=request,
        renewal=renewal_date(START, 12, "month", request),
        first_unbilled=first_unbilled,
        term=TERM,
    )
    if timing is ReductionTiming.IMMEDIATE:
        assert timed is None
    else:
        assert timed >= request
        check_timing(
            timing,
            True,
            timed,
            request_date=request,
            renewal=renewal_date(START, 12, "month", request),
            first_unbilled=first_unbilled,
            term=TERM,
        )
