"""Plan an amendment: old lines + new lines + billed periods → documents to create.

For every billed period that the effective date touches and every line whose
quantity or net unit price changes (document lines: documents.py):

- fewer units → *credit* lines, on the documents that billed those units: the
  newest first (an upgrade invoice before the period's invoice), each for the
  units it still bills × its unit price × the share of the period it billed
  from the effective date on, capped by what it billed net of earlier credits;
  units no document billed are credited nothing;
- more units → an *invoice* line for that period, for the added units × the new
  unit price (in the period's currency) × the share from the effective date;
- a new net unit price → for the units kept, the difference with what each
  document billed them from the effective date: a cut credited against it, a
  rise invoiced; neither adds nor removes units.

The kind (upgrade, downgrade, mixed) is judged by each line's net recurring
value (quantity × net unit price), not its quantity: 10 → 12 users at 30.00 →
24.00 (300 → 288) is a reduction.

Each amount is rounded once. Credits and invoices are never netted against each
other. Periods that were not invoiced produce nothing: the next recurring
invoice will simply use the new quantities (``Plan.new_lines``).
"""

import math
from collections.abc import Hashable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .calendar import Term
from .documents import _Change, _Rounding, credit_lines, invoice_line, price_lines
from .errors import RuleError
from .notice import AmendmentKind, classify, value_deltas
from .proration import ACTUAL_DAYS, CONVENTIONS, _check_digits, round_amount
from .timing import ReductionTiming, check_timing, is_timed
from .values import (
    MAX_QUANTITY,
    BilledPeriod,
    DocumentLine,
    Line,
    Plan,
)

# -- validation -------------------------------------------------------------


def _check_finite(value: Decimal | None, field: str, what: str) -> None:
    if value is None:
        raise RuleError(field, f"{what}: missing")
    if not value.is_finite():
        raise RuleError(field, f"{what}: must be finite, got {value}")


def _index_lines(lines: Sequence[Line]) -> dict[Hashable, Line]:
    """Check the lines and index them by key (in their order)."""
    by_key: dict[Hashable, Line] = {}
    for line in lines:
        what = f"line {line.key!r}"
        if line.key in by_key:
            raise RuleError("line_ids", f"{what}: appears twice")
        _check_finite(line.quantity, "quantity", what)
        if line.quantity < 0:
            raise RuleError("quantity", f"{what}: must be >= 0, got {line.quantity}")
        _check_finite(line.price_unit, "price_unit", what)
        _check_finite(line.discount, "discount", what)
        by_key[line.key] = line
    return by_key


def _check_effective_date(
    effective_date: date,
    request_date: date,
    contract_start: date,
    renewal_date: date | None,
    term: Term | None = None,
) -> None:
    if effective_date < request_date:
        raise RuleError(
            "effective_date",
            f"{effective_date} is before the request date {request_date}",
        )
    if effective_date < contract_start:
        raise RuleError(
            "effective_date",
            f"{effective_date} is before the contract start {contract_start}",
        )
    if renewal_date is not None and effective_date > renewal_date:
        if term is not None and term.is_renewal(effective_date):
            return  # a later renewal: the change is scheduled for it
        raise RuleError(
            "effective_date",
            f"{effective_date} is after the renewal date {renewal_date}",
        )


def _check_periods(periods: Sequence[BilledPeriod]) -> list[BilledPeriod]:
    """Return the periods sorted by start; refuse empty, overlapping or ambiguous ones."""
    ordered = sorted(periods, key=lambda period: period.start)
    previous = None
    for period in ordered:
        what = f"period {period.start} → {period.next_start}"
        if period.next_start <= period.start:
            raise RuleError("periods", f"{what}: is empty or ends before it starts")
        if previous is not None and period.start < previous.next_start:
            raise RuleError(
                "periods", f"{what}: overlaps {previous.start} → {previous.next_start}"
            )
        _check_finite(period.rate, "periods", f"{what}: rate")
        if period.rate <= 0:
            raise RuleError("periods", f"{what}: the rate must be > 0")
        for document in period.billing_documents():
            keys = [line.key for line in document.lines]
            if len(set(keys)) != len(keys):
                raise RuleError("periods", f"{what}: a line is invoiced twice")
            for line in document.lines:
                _check_finite(line.price_unit, "periods", f"{what}, {line.key!r} price")
                _check_finite(line.quantity, "periods", f"{what}, {line.key!r} units")
                _check_finite(
                    line.discount, "periods", f"{what}, {line.key!r} discount"
                )
                if line.remaining_amount is not None:
                    _check_finite(
                        line.remaining_amount, "periods", f"{what}, line {line.key!r}"
                    )
        previous = period
    return ordered


def _changes(old: dict, new: dict) -> list[_Change]:
    """The lines whose quantity or net unit price changes, checked."""
    changes = [
        change
        for change in (_Change(key, old.get(key), new.get(key)) for key in old | new)
        if change.new_quantity != change.old_quantity or change.reprices
    ]
    for change in changes:
        if change.new and not 0 <= change.new.discount <= 100:
            raise RuleError(
                "discount", f"line {change.key!r}: a discount is from 0 to 100 %"
            )
        if change.new_quantity > MAX_QUANTITY:
            raise RuleError(
                "quantity",
                f"line {change.key!r}: {change.new_quantity} is above {MAX_QUANTITY}",
            )
    return changes


# -- planning ---------------------------------------------------------------


def make_plan(
    old_lines: Sequence[Line],
    new_lines: Sequence[Line],
    effective_date: date,
    periods: Sequence[BilledPeriod],
    *,
    request_date: date,
    contract_start: date,
    renewal_date: date | None,
    digits: int = 2,
    convention: str = ACTUAL_DAYS,
    cancel_renewal: bool = False,
    price_digits: int | None = None,
    round_globally: bool = False,
    term: Term | None = None,
    timing: ReductionTiming | str = ReductionTiming.IMMEDIATE,
    first_unbilled: date | None = None,
) -> Plan:
    """Plan the credit notes, invoices and new lines of an amendment.

    ``periods`` are the billed periods with their invoices; those that end
    before ``effective_date`` are ignored. See API.md for the full contract.
    """
    _check_digits(digits)
    if price_digits is None:
        price_digits = digits
    _check_digits(price_digits)
    if convention not in CONVENTIONS:
        raise RuleError("convention", f"must be one of {', '.join(CONVENTIONS)}")
    old = _index_lines(old_lines)
    new = _index_lines(new_lines)
    _check_effective_date(
        effective_date, request_date, contract_start, renewal_date, term
    )
    periods = _check_periods(periods)

    deltas = value_deltas(old, new)
    kind = classify(*deltas, cancel_renewal)
    if kind is AmendmentKind.NOOP:
        raise RuleError("line_ids", "no change")
    check_timing(
        timing,
        is_timed(*deltas),
        effective_date,
        request_date=request_date,
        renewal=renewal_date,
        first_unbilled=first_unbilled,
        term=term,
    )

    changes = _changes(old, new)
    credits: list[DocumentLine] = []
    invoices: list[DocumentLine] = []
    digits_of: dict[Any, int] = {}  # a document's currency decimals
    for period in periods:
        if period.next_start <= effective_date:
            continue  # entirely before the change
        in_period = period.digits if period.digits is not None else digits
        _check_digits(in_period)
        rounding = _Rounding(convention, in_period, price_digits)
        credited: dict = {}  # what the plan credits of each document line
        for change in changes:
            lines = []
            if change.new_quantity < change.old_quantity:
                lines += credit_lines(
                    change, period, effective_date, rounding, credited
                )
            elif change.new_quantity > change.old_quantity:
                line = invoice_line(change, period, effective_date, rounding)
                lines += [line] if line is not None else []
            lines += price_lines(change, period, effective_date, rounding, credited)
            credits += [line for line in lines if line.direction == "credit"]
            invoices += [line for line in lines if line.direction == "invoice"]
            digits_of.update((line.invoice_ref, in_period) for line in lines)

    if round_globally:
        credits = _rounded_globally(credits, digits_of)
        invoices = _rounded_globally(invoices, digits_of)
    return Plan(
        kind=kind,
        credit_lines=tuple(credits),
        invoice_lines=tuple(invoices),
        new_lines=tuple(line for line in new.values() if line.quantity > 0),
    )


def _rounded_globally(
    lines: list[DocumentLine], digits_of: dict[Any, int]
) -> list[DocumentLine]:
    """The lines of each document, for a company that rounds its totals once
    (Odoo's *round globally*): the document sums its lines' exact subtotals
    (``quantity × unit_amount × (1 − discount)``) and rounds the sum, where a
    per-line rounding would round each. The difference, when the lines' cents
    add up to one, goes to the last line's rounding: the document is its
    plan's to the cent either way."""
    by_document: dict[Any, list[int]] = {}
    for index, line in enumerate(lines):
        by_document.setdefault(line.invoice_ref, []).append(index)
    lines = list(lines)
    for ref, indexes in by_document.items():
        digits = digits_of[ref]
        drift = sum(
            (
                _exact_subtotal(lines[i])
                - Fraction(round_amount(_exact_subtotal(lines[i]), digits))
                for i in indexes
            ),
            Fraction(0),
        )
        # the cents to take off, so that the document's exact sum rounds (half
        # up) to its lines' amounts: a drift of exactly −½ cent needs none
        cents = Fraction(10) ** digits
        correction = Decimal(math.floor(drift * cents + Fraction(1, 2))) / (10**digits)
        if correction:
            last = lines[indexes[-1]]
            lines[indexes[-1]] = replace(last, rounding=last.rounding - correction)
    return lines


def _exact_subtotal(line: DocumentLine) -> Fraction:
    return (
        Fraction(line.quantity)
        * Fraction(line.unit_amount)
        * (1 - Fraction(line.discount) / 100)
    )
