"""The document lines of one changed line in one billed period.

- units removed: credited on the documents that billed them, newest first, at
  what each billed for them from the effective date (its price, less the price
  cuts credited against it); the price rises other documents invoiced for those
  units are credited on those documents;
- units added: invoiced at the new price;
- a new price (or discount) for the units kept: the difference with what each
  document billed for them from the effective date, a cut credited against the
  document, a rise invoiced (one line per document, adding no unit).

Credits never exceed what a document still bills (``remaining_amount``, less
what this plan credits of it already).
"""

from collections.abc import Hashable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from .errors import RuleError
from .proration import round_amount, share
from .values import (
    _EXACT,
    _ZERO,
    BilledDocument,
    BilledPeriod,
    DocumentLine,
    InvoicedLine,
    Line,
)


@dataclass(frozen=True)
class _Change:
    key: Hashable
    old: Line | None
    new: Line | None

    @property
    def old_quantity(self) -> Decimal:
        return self.old.quantity if self.old else _ZERO

    @property
    def new_quantity(self) -> Decimal:
        return self.new.quantity if self.new else _ZERO

    @property
    def line(self) -> Line:
        """The line that describes the product (the new one if it is still there)."""
        return self.new or self.old

    @property
    def reprices(self) -> bool:
        """The line stays and its net unit price changes."""
        return bool(self.old and self.new and self.old.net_price != self.new.net_price)


@dataclass(frozen=True)
class _Rounding:
    convention: str
    digits: int
    price_digits: int


def _document_line(
    direction: Literal["credit", "invoice"],
    change: _Change,
    period: BilledPeriod,
    document_ref: Any,
    quantity: Decimal,
    price_unit: Decimal,
    since: date,
    rounding: _Rounding,
    invoiced: InvoicedLine | None,
    discount: Decimal = _ZERO,
    prorated: Fraction | None = None,
    **extra: Any,
) -> DocumentLine | None:
    """The credit or invoice line for ``quantity`` units of ``change`` in
    ``period`` from ``since``, or None if it amounts to 0. ``price_unit`` is
    net; ``prorated``: what one unit amounts to from ``since`` (default:
    ``price_unit`` × the share); the line is shaped as Odoo's reversal shapes
    a credit: its unit price before ``discount``, and the discount.
    ``extra``: more fields of the ``DocumentLine``."""
    if price_unit < 0:
        raise RuleError(
            "price_unit", f"line {change.key!r}: a changed line needs a price >= 0"
        )
    line_share = share(period.start, period.next_start, since, rounding.convention)
    if prorated is None:
        prorated = Fraction(price_unit) * line_share
    amount = round_amount(Fraction(quantity) * prorated, rounding.digits)
    capped = (
        invoiced is not None
        and invoiced.remaining_amount is not None
        and amount > invoiced.remaining_amount
    )
    if capped:
        amount = max(invoiced.remaining_amount, _ZERO)
        # what is left of the document, by unit
        prorated = Fraction(amount) / Fraction(quantity)
    # capped at nothing left (a goodwill credit took it all): units removed
    # still go, on a line that credits 0, so that the next reduction does not
    # take them again from this document; a price difference is only money
    if amount <= 0 and not (capped and extra.get("moves_units", True)):
        return None
    kept = 1 - Fraction(discount) / 100  # > 0: a line at 100 % amounts to 0
    unit_amount = (
        round_amount(prorated / kept, rounding.price_digits) if amount else _ZERO
    )
    return DocumentLine(
        direction=direction,
        invoice_ref=document_ref,
        key=change.key,
        product=change.line.product,
        name=change.line.name,
        old_quantity=change.old_quantity,
        new_quantity=change.new_quantity,
        quantity=quantity,
        price_unit=price_unit,
        period_start=period.start,
        period_end=period.next_start - timedelta(days=1),
        share=line_share,
        amount=amount,
        source_ref=invoiced.ref if invoiced else None,
        since=max(since, period.start),
        unit_amount=unit_amount,
        discount=discount,
        # the document's line totals are rounded to the currency, as Odoo does
        rounding=amount
        - round_amount(Fraction(quantity * unit_amount) * kept, rounding.digits),
        **extra,
    )


def _line_of(document: BilledDocument, key: Hashable) -> InvoicedLine | None:
    return next((line for line in document.lines if line.key == key), None)


def _since(document: BilledDocument, period: BilledPeriod, effective: date) -> date:
    return max(effective, document.billed_from or period.start)


def billed_from(
    invoiced: InvoicedLine, period: BilledPeriod, since: date, convention: str
) -> Fraction:
    """What the document billed one of its units from ``since`` to the end of
    ``period``, exactly: its net price × the share, plus each price change of
    the unit × the share from the later of ``since`` and the change."""
    total = Fraction(invoiced.price_unit) * share(
        period.start, period.next_start, since, convention
    )
    for change in invoiced.price_changes:
        total += Fraction(change.delta) * share(
            period.start, period.next_start, max(since, change.since), convention
        )
    return total


def billed_price(invoiced: InvoicedLine, since: date) -> Decimal:
    """The net unit price (for the whole period) the document bills on ``since``."""
    price = invoiced.price_unit
    for change in invoiced.price_changes:
        if change.since <= since:
            price += change.delta
    return price


def _uncapped_by(invoiced: InvoicedLine, taken: Decimal) -> InvoicedLine:
    """``invoiced`` less what the plan credits of it already."""
    if invoiced.remaining_amount is None or not taken:
        return invoiced
    return replace(invoiced, remaining_amount=invoiced.remaining_amount - taken)


def _cuts_only(invoiced: InvoicedLine) -> InvoicedLine:
    """``invoiced`` with the price changes credited against it only (its cuts)."""
    return replace(
        invoiced,
        price_changes=tuple(c for c in invoiced.price_changes if c.ref is None),
    )


def _by_other_documents(invoiced: InvoicedLine) -> dict[Any, list]:
    """The price changes other documents bill for ``invoiced``'s units (rises,
    and the cuts credited against those), by document, the newest first."""
    refs: dict[Any, list] = {}
    for change in reversed(invoiced.price_changes):
        if change.ref is not None:
            refs.setdefault(change.ref, []).append(change)
    return refs


def _credit(credited: dict, line: DocumentLine | None) -> list[DocumentLine]:
    """``[line]`` (none if None), counted in what the plan credits."""
    if line is None:
        return []
    credited[line.invoice_ref, line.key] = (
        credited.get((line.invoice_ref, line.key), _ZERO) + line.amount
    )
    return [line]


def units_taken(change: _Change, period: BilledPeriod) -> dict[Any, Decimal]:
    """The units a reduction of ``change`` takes off each document, newest first."""
    left = change.old_quantity - change.new_quantity
    taken = {}
    for document in period.billing_documents():
        invoiced = _line_of(document, change.key)
        if left <= 0:
            break
        if invoiced is None or invoiced.quantity <= 0:
            continue
        taken[document.ref] = min(left, invoiced.quantity)
        left -= taken[document.ref]
    return taken


def credit_lines(
    change: _Change,
    period: BilledPeriod,
    effective_date: date,
    rounding: _Rounding,
    credited: dict,
) -> list[DocumentLine]:
    """Credit the units removed on the documents that billed them, newest
    first, and what other documents billed for them (price rises, net of the
    cuts against those). ``credited``: what the plan credits of each
    (document ref, key) so far, updated."""
    lines = []
    documents = {document.ref: document for document in period.billing_documents()}
    for ref, units in units_taken(change, period).items():
        document = documents[ref]
        invoiced = _line_of(document, change.key)
        since = _since(document, period, effective_date)
        own = _cuts_only(invoiced)
        lines += _credit(
            credited,
            _document_line(
                "credit",
                change,
                period,
                ref,
                units,
                billed_price(own, since),
                since,
                rounding,
                _uncapped_by(invoiced, credited.get((ref, change.key), _ZERO)),
                invoiced.discount,
                prorated=billed_from(own, period, since, rounding.convention),
            ),
        )
        for other, changes in _by_other_documents(invoiced).items():
            billed = other in documents and _line_of(documents[other], change.key)
            if not billed:
                continue
            part = replace(
                invoiced, price_unit=_ZERO, price_changes=tuple(reversed(changes))
            )
            prorated = billed_from(part, period, since, rounding.convention)
            if prorated <= 0:
                continue
            lines += _credit(
                credited,
                _document_line(
                    "credit",
                    change,
                    period,
                    other,
                    units,
                    billed_price(part, since),
                    since,
                    rounding,
                    _uncapped_by(billed, credited.get((other, change.key), _ZERO)),
                    prorated=prorated,
                    moves_units=False,
                ),
            )
    return lines


def invoice_line(
    change: _Change, period: BilledPeriod, effective_date: date, rounding: _Rounding
) -> DocumentLine | None:
    """Invoice the units added, at the new price in the period's currency."""
    source = next(
        (
            line
            for document in period.billing_documents()
            for line in document.lines
            if line.key == change.key
        ),
        None,
    )
    line = _document_line(
        "invoice",
        change,
        period,
        period.invoice_ref,
        change.new_quantity - change.old_quantity,
        _EXACT.multiply(change.new.net_price, period.rate),
        effective_date,
        rounding,
        None,
        change.new.discount,
    )
    if line is not None and source is not None:
        line = replace(line, source_ref=source.ref)
    return line


def price_lines(
    change: _Change,
    period: BilledPeriod,
    effective_date: date,
    rounding: _Rounding,
    credited: dict,
) -> list[DocumentLine]:
    """The new price of the units each document still bills after the
    change, for those units × the difference between the new net price and
    what the documents bill them on the effective date (the document's own
    price and its price changes): a rise invoiced (on the period's new
    invoice); a cut credited against the documents that billed a rise of
    theirs first (the newest first, up to what each billed), then against the
    document itself. A rise of the line's price never credits, a cut never
    invoices (documents billed at another price keep what they billed)."""
    if not change.reprices:
        return []
    taken = units_taken(change, period)
    new_price = _EXACT.multiply(change.new.net_price, period.rate)
    documents = {document.ref: document for document in period.billing_documents()}
    lines = []
    for document in period.billing_documents():
        invoiced = _line_of(document, change.key)
        kept = invoiced.quantity - taken.get(document.ref, _ZERO) if invoiced else 0
        if kept <= 0:
            continue
        since = _since(document, period, effective_date)
        old_price = billed_price(invoiced, since)
        # a rise never credits, a cut never invoices: a document billed at
        # another price than the line's (an administrator's direct change)
        # keeps what it billed
        rise = change.new.net_price > change.old.net_price
        if new_price == old_price or (new_price > old_price) != rise:
            continue

        def line(
            direction,
            ref,
            difference,
            cap,
            since=since,
            invoiced=invoiced,
            kept=kept,
            old_price=old_price,
        ):
            made = _document_line(
                direction,
                change,
                period,
                ref,
                kept,
                difference,
                since,
                rounding,
                cap,
                old_price=old_price,
                new_price=new_price,
                moves_units=False,
            )
            return made and replace(made, source_ref=invoiced.ref)

        if new_price > old_price:
            made = line("invoice", period.invoice_ref, new_price - old_price, None)
            lines += [made] if made else []
            continue
        cut = old_price - new_price
        for other, changes in _by_other_documents(invoiced).items():
            billed = other in documents and _line_of(documents[other], change.key)
            rise = sum((c.delta for c in changes if c.since <= since), start=_ZERO)
            if not billed or rise <= 0 or cut <= 0:
                continue
            part = min(cut, rise)
            cut -= part
            lines += _credit(
                credited,
                line(
                    "credit",
                    other,
                    part,
                    _uncapped_by(billed, credited.get((other, change.key), _ZERO)),
                ),
            )
        if cut > 0:
            lines += _credit(
                credited,
                line(
                    "credit",
                    document.ref,
                    cut,
                    _uncapped_by(
                        invoiced, credited.get((document.ref, change.key), _ZERO)
                    ),
                ),
            )
    return lines
