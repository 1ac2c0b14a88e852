"""Micro-benchmark: planning a 3-line mixed amendment over 2 billed periods.

Not part of the default run (``pytest tests``). Run it with:
    .venv/bin/python -m pytest bench/bench_rules.py -p no:odoo --benchmark-only -q
"""

from datetime import date
from decimal import Decimal

from rules import AmendmentKind, BilledPeriod, InvoicedLine, Line, make_plan

OLD = (
    Line(1, "users", Decimal(10), Decimal("25.00"), Decimal(10), "Users"),
    Line(2, "numbers", Decimal(4), Decimal("6.00"), name="Phone numbers"),
    Line(3, "analytics", Decimal(1), Decimal("15.00"), name="Analytics+"),
)
NEW = (
    Line(1, "users", Decimal(6), Decimal("25.00"), Decimal(10), "Users"),
    Line(2, "numbers", Decimal(5), Decimal("6.00"), name="Phone numbers"),
    Line(3, "analytics", Decimal(0), Decimal("15.00"), name="Analytics+"),
)
PERIODS = tuple(
    BilledPeriod(
        ref,
        start,
        next_start,
        (
            InvoicedLine(
                1, Decimal("22.50"), Decimal(10), Decimal("225.00"), ref * 10 + 1
            ),
            InvoicedLine(
                2, Decimal("6.00"), Decimal(4), Decimal("24.00"), ref * 10 + 2
            ),
            InvoicedLine(
                3, Decimal("15.00"), Decimal(1), Decimal("15.00"), ref * 10 + 3
            ),
        ),
    )
    for ref, start, next_start in [
        (7, date(2024, 7, 6), date(2024, 8, 6)),
        (8, date(2024, 8, 6), date(2024, 9, 6)),
    ]
)


def plan_amendment():
    return make_plan(
        OLD,
        NEW,
        date(2024, 7, 10),
        PERIODS,
        request_date=date(2024, 7, 1),
        contract_start=date(2024, 1, 6),
        renewal_date=date(2025, 1, 6),
    )


def test_bench_make_plan_mixed_three_lines_two_periods(benchmark):
    plan = benchmark(plan_amendment)
    assert plan.kind is AmendmentKind.MIXED
    assert len(plan.credit_lines) == 4  # users and analytics, in each period
    assert len(plan.invoice_lines) == 2  # numbers, in each period
