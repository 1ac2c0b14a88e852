"""Classifying amendments and the notice-period decision."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from rules import AmendmentKind, NoticeDecision, RuleError, classify, decide

RENEWAL = date(2025, 1, 31)
DEADLINE = date(2025, 1, 1)  # RENEWAL − 30 days


def _decimals(quantities):
    return {key: Decimal(quantity) for key, quantity in quantities.items()}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({1: 10}, {1: 12}, AmendmentKind.UPGRADE),
        ({1: 10}, {1: 10, "addon": 1}, AmendmentKind.UPGRADE),  # new add-on
        ({1: 10}, {1: 6}, AmendmentKind.DOWNGRADE),
        ({1: 10, 2: 1}, {1: 10}, AmendmentKind.DOWNGRADE),  # removed line
        ({1: 10, 2: 1}, {1: 10, 2: 0}, AmendmentKind.DOWNGRADE),
        ({1: 10, 2: 1}, {1: 12, 2: 0}, AmendmentKind.MIXED),
        ({1: 10}, {1: 10}, AmendmentKind.NOOP),
        ({1: 10}, {1: 10, 2: 0}, AmendmentKind.NOOP),
        ({}, {}, AmendmentKind.NOOP),
    ],
)
def test_classify(old, new, expected):
    assert classify(_decimals(old), _decimals(new)) is expected


@pytest.mark.parametrize("new", [{1: Decimal(12)}, {1: Decimal(10)}])
def test_cancel_renewal_wins(new):
    assert (
        classify({1: Decimal(10)}, new, cancel_renewal=True)
        is AmendmentKind.CANCELLATION
    )


def test_downgrade_exactly_notice_days_before_renewal_is_accepted():
    decision = decide(AmendmentKind.DOWNGRADE, DEADLINE, RENEWAL, 30)
    assert decision == NoticeDecision(
        accepted=True,
        kind=AmendmentKind.DOWNGRADE,
        request_date=DEADLINE,
        renewal_date=RENEWAL,
        deadline=DEADLINE,
        days_late=0,
    )


def test_downgrade_one_day_late_is_refused_with_the_facts():
    decision = decide(
        AmendmentKind.DOWNGRADE, DEADLINE + timedelta(days=1), RENEWAL, 30
    )
    assert not decision.accepted
    assert decision.days_late == 1
    assert decision.renewal_date == RENEWAL
    assert decision.deadline == DEADLINE


@pytest.mark.parametrize("kind", [AmendmentKind.MIXED, AmendmentKind.CANCELLATION])
def test_mixed_and_cancellation_refused_when_late(kind):
    decision = decide(kind, date(2025, 1, 20), RENEWAL, 30)
    assert not decision.accepted
    assert decision.days_late == 19
    assert (decision.renewal_date, decision.deadline) == (RENEWAL, DEADLINE)


@pytest.mark.parametrize("request_date", [date(2025, 1, 20), RENEWAL, date(2024, 6, 1)])
def test_upgrade_accepted_at_any_time(request_date):
    decision = decide(AmendmentKind.UPGRADE, request_date, RENEWAL, 30)
    assert decision.accepted
    assert decision.deadline == DEADLINE


def test_zero_notice_days_accepts_up_to_renewal():
    assert decide(AmendmentKind.DOWNGRADE, RENEWAL, RENEWAL, 0).accepted
    assert not decide(
        AmendmentKind.DOWNGRADE, RENEWAL + timedelta(days=1), RENEWAL, 0
    ).accepted


def test_contract_without_term_accepts_reductions():
    decision = decide(AmendmentKind.DOWNGRADE, date(2025, 1, 20), None, 30)
    assert decision.accepted
    assert (decision.renewal_date, decision.deadline, decision.days_late) == (
        None,
        None,
        0,
    )


def test_kind_may_be_given_as_its_value():
    assert (
        decide("cancellation", date(2025, 1, 20), RENEWAL, 30).kind
        is AmendmentKind.CANCELLATION
    )


def test_noop_is_refused():
    with pytest.raises(RuleError) as err:
        decide(AmendmentKind.NOOP, DEADLINE, RENEWAL, 30)
    assert err.value.field == "line_ids"


def test_unknown_kind_is_refused():
    with pytest.raises(RuleError) as err:
        decide("sidegrade", DEADLINE, RENEWAL, 30)
    assert err.value.field == "kind"


@pytest.mark.parametrize("renewal", [RENEWAL, None])
def test_negative_notice_days_refused_in_decide(renewal):
    with pytest.raises(RuleError) as err:
        decide(AmendmentKind.DOWNGRADE, DEADLINE, renewal, -1)
    assert err.value.field == "notice_days"
