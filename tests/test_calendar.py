"""Contract terms: anchored boundaries, renewal date, notice deadline."""

from datetime import date

import pytest
from rules import RuleError, notice_deadline, renewal_date, term_boundary, term_bounds

D = date


@pytest.mark.parametrize(
    ("start", "interval", "unit", "index", "expected"),
    [
        # month ends, anchored on the start date
        (D(2024, 1, 31), 1, "month", 1, D(2024, 2, 29)),
        (D(2024, 1, 31), 1, "month", 2, D(2024, 3, 31)),
        (D(2024, 1, 31), 1, "month", 3, D(2024, 4, 30)),
        (D(2023, 1, 31), 1, "month", 1, D(2023, 2, 28)),
        (D(2024, 1, 31), 12, "month", 1, D(2025, 1, 31)),
        (D(2024, 8, 31), 6, "month", 1, D(2025, 2, 28)),
        # leap years
        (D(2024, 2, 29), 1, "year", 1, D(2025, 2, 28)),
        (D(2024, 2, 29), 1, "year", 4, D(2028, 2, 29)),
        (D(2024, 2, 29), 2, "year", 2, D(2028, 2, 29)),
        # days and weeks, intervals > 1
        (D(2024, 2, 28), 1, "day", 1, D(2024, 2, 29)),
        (D(2023, 2, 28), 1, "day", 1, D(2023, 3, 1)),
        (D(2024, 12, 30), 3, "day", 1, D(2025, 1, 2)),
        (D(2024, 2, 22), 1, "week", 1, D(2024, 2, 29)),
        (D(2024, 12, 20), 2, "week", 2, D(2025, 1, 17)),
        (D(2024, 7, 6), 3, "month", 2, D(2025, 1, 6)),
        # index 0 is the start; subscription_oca's plural spelling is accepted
        (D(2024, 7, 6), 1, "month", 0, D(2024, 7, 6)),
        (D(2024, 1, 31), 1, "months", 1, D(2024, 2, 29)),
    ],
)
def test_term_boundary(start, interval, unit, index, expected):
    assert term_boundary(start, interval, unit, index) == expected


@pytest.mark.parametrize(
    ("start", "interval", "unit", "on", "expected"),
    [
        (D(2024, 1, 31), 12, "month", D(2024, 7, 10), (D(2024, 1, 31), D(2025, 1, 31))),
        # a boundary starts a term
        (D(2024, 1, 31), 12, "month", D(2025, 1, 31), (D(2025, 1, 31), D(2026, 1, 31))),
        (D(2024, 1, 31), 12, "month", D(2025, 1, 30), (D(2024, 1, 31), D(2025, 1, 31))),
        # day-of-month earlier than the anchor's
        (D(2024, 1, 31), 1, "month", D(2024, 3, 30), (D(2024, 2, 29), D(2024, 3, 31))),
        (D(2024, 1, 31), 1, "month", D(2024, 3, 31), (D(2024, 3, 31), D(2024, 4, 30))),
        (D(2024, 2, 29), 1, "year", D(2027, 3, 1), (D(2027, 2, 28), D(2028, 2, 29))),
        (D(2024, 1, 1), 10, "day", D(2024, 1, 25), (D(2024, 1, 21), D(2024, 1, 31))),
        (D(2024, 1, 1), 2, "week", D(2024, 1, 15), (D(2024, 1, 15), D(2024, 1, 29))),
        # before the start: the first term
        (D(2024, 5, 1), 1, "year", D(2024, 1, 1), (D(2024, 5, 1), D(2025, 5, 1))),
    ],
)
def test_term_bounds(start, interval, unit, on, expected):
    assert term_bounds(start, interval, unit, on) == expected


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (D(2024, 7, 10), D(2025, 1, 31)),
        (D(2025, 1, 30), D(2025, 1, 31)),
        (D(2025, 1, 31), D(2026, 1, 31)),  # strictly after
        (D(2024, 1, 31), D(2025, 1, 31)),  # the start is not a renewal
        (D(2023, 6, 1), D(2025, 1, 31)),
    ],
)
def test_renewal_date(after, expected):
    assert renewal_date(D(2024, 1, 31), 12, "month", after) == expected


@pytest.mark.parametrize(
    ("notice_days", "expected"),
    [(30, D(2025, 1, 1)), (0, D(2025, 1, 31)), (31, D(2024, 12, 31))],
)
def test_notice_deadline(notice_days, expected):
    assert notice_deadline(D(2025, 1, 31), notice_days) == expected


def test_negative_notice_days_is_refused():
    with pytest.raises(RuleError) as err:
        notice_deadline(D(2025, 1, 31), -1)
    assert err.value.field == "notice_days"


def test_unknown_unit_is_refused():
    with pytest.raises(RuleError) as err:
        term_boundary(D(2024, 1, 1), 1, "fortnight", 1)
    assert err.value.field == "unit"


@pytest.mark.parametrize("interval", [0, -1, 1.5, True])
def test_bad_interval_is_refused(interval):
    with pytest.raises(RuleError) as err:
        term_bounds(D(2024, 1, 1), interval, "month", D(2024, 6, 1))
    assert err.value.field == "interval"


def test_rule_error_is_a_value_error_with_field_and_message():
    err = RuleError("quantity", "must be >= 0")
    assert isinstance(err, ValueError)
    assert (err.field, err.message) == ("quantity", "must be >= 0")
    assert "quantity" in str(err)
