"""The plain values the rules take and give: subscription lines, what billed
documents charged, billed periods, and the plan of an amendment.

Frozen dataclasses; quantities, prices and amounts are ``Decimal`` (ints and
floats given are read as the Decimal they stand for), shares ``Fraction``.
"""

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from fractions import Fraction
from typing import Any, Literal

from .errors import RuleError
from .notice import AmendmentKind
from .proration import round_amount

# Decimal arithmetic that never rounds (products of prices and discounts).
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
_ZERO = Decimal(0)
#: the largest quantity an amendment may set on a line: more is a typo (1e12
#: users), and would also take amounts past what a float holds to the cent
MAX_QUANTITY = Decimal(1_000_000)


def _to_decimal(value: Any, field: str) -> Any:
    """Coerce an int or float to Decimal; leave Decimal and None as they are."""
    if isinstance(value, Decimal) or value is None:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest decimal that round-trips
    raise RuleError(field, f"must be a Decimal, got {value!r}")


def to_decimal(value: float | int | Decimal | None) -> Decimal:
    """A number from the outside (an ORM float, say) as the Decimal it stands for.

    Floats go through their shortest repr, so 10.1 gives Decimal("10.1"); None is 0.
    """
    return _to_decimal(value if value is not None else 0, "value")


def net_price(price_unit: Decimal, discount: Decimal) -> Decimal:
    """A unit price after discount, exact: price_unit × (1 − discount / 100)."""
    if not discount:
        return price_unit
    return _EXACT.multiply(price_unit, 100 - discount).scaleb(-2, _EXACT)


def _coerce(instance: Any, *fields: str) -> None:
    for field in fields:
        object.__setattr__(
            instance, field, _to_decimal(getattr(instance, field), field)
        )


@dataclass(frozen=True)
class Line:
    """A subscription line. ``key`` identifies it: a record id, or any hashable for a new add-on."""

    key: Hashable
    product: Any
    quantity: Decimal
    price_unit: Decimal
    discount: Decimal = _ZERO
    name: str = ""

    def __post_init__(self):
        _coerce(self, "quantity", "price_unit", "discount")

    @property
    def net_price(self) -> Decimal:
        """Unit price after discount, exact: price_unit × (1 − discount / 100)."""
        return net_price(self.price_unit, self.discount)


@dataclass(frozen=True)
class PriceChange:
    """A new price for the units a document bills, from ``since`` on (an
    amendment's price change): ``delta``, the net unit price difference for
    the whole period (negative: a cut, credited against the document itself;
    positive: a rise, invoiced by the billing document ``ref``)."""

    since: date
    delta: Decimal
    ref: Any = None

    def __post_init__(self):
        _coerce(self, "delta")


@dataclass(frozen=True)
class InvoicedLine:
    """What one billing document charged for one subscription line, net of the
    credits against that document.

    ``price_unit``: the net unit price for the whole period, as the document
    charged it (after discount, in its currency). ``quantity``: the units it
    billed, less the units credited against it. ``remaining_amount``: what it
    billed, less what was credited against it; it caps the credits (None: no
    cap). ``ref``: the document line. ``discount``: the discount (%) the
    document billed at; a credit of it is shaped the same (its unit price
    before discount, the discount as billed). ``price_changes``: the price
    changes of the units it bills (``PriceChange``), in their order.
    """

    key: Hashable
    price_unit: Decimal
    quantity: Decimal
    remaining_amount: Decimal | None = None
    ref: Any = None
    discount: Decimal = _ZERO
    price_changes: tuple[PriceChange, ...] = ()

    def __post_init__(self):
        _coerce(self, "price_unit", "quantity", "remaining_amount", "discount")
        object.__setattr__(self, "price_changes", tuple(self.price_changes))


@dataclass(frozen=True)
class BilledDocument:
    """A document that bills part of a period after its invoice (an upgrade
    invoice): ``ref``, the first day it bills (``billed_from``; None: the
    period's start) and its lines."""

    ref: Any
    billed_from: date | None = None
    lines: tuple[InvoicedLine, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "lines", tuple(self.lines))


@dataclass(frozen=True)
class BilledPeriod:
    """A period ``[start, next_start)`` billed by the invoice ``invoice_ref``.

    ``lines``: what that invoice billed. ``documents``: the later documents
    billing the period (upgrade invoices), newest first. ``rate``: units of the
    period's currency per unit of the subscription's, for the new units' prices.
    ``digits``: the decimals of the period's currency, to which its documents'
    amounts are rounded (None: the plan's).
    """

    invoice_ref: Any
    start: date
    next_start: date
    lines: tuple[InvoicedLine, ...] = ()
    documents: tuple[BilledDocument, ...] = ()
    rate: Decimal = Decimal(1)
    digits: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "documents", tuple(self.documents))
        _coerce(self, "rate")

    def billing_documents(self) -> tuple[BilledDocument, ...]:
        """Every document billing the period, newest first: the invoice last."""
        return (*self.documents, BilledDocument(self.invoice_ref, None, self.lines))


@dataclass(frozen=True)
class DocumentLine:
    """One line of a credit note or of an invoice that the amendment creates.

    ``invoice_ref``: the document a credit corrects, or the period's invoice
    (the origin of an invoice line). ``quantity``: the units changed on that
    document. ``price_unit``: the net unit price for the whole period.
    ``since``: the first day the line covers; ``period_end`` the last
    (inclusive). ``amount``: ``quantity × price_unit × share``, rounded once, > 0
    (0 for a credit capped at nothing left: its units go all the same).
    ``discount``: the discount (%) of the document line, as the line it
    corrects billed it (or the new line's, for an invoice);
    ``unit_amount``: the prorated unit price before that discount, rounded to
    the price precision; ``rounding``: what makes ``quantity × unit_amount ×
    (1 − discount / 100)``, rounded to the currency as a document line is,
    exactly ``amount``.
    ``old_price``, ``new_price``: on a price-difference line, the net unit
    prices for the whole period before and after (``price_unit`` is then
    their difference, and ``source_ref`` the billed line whose units it
    re-prices); None on a line of units. ``moves_units``: the line adds or
    removes units (False: an amount, a price difference or the credit of
    one).
    """

    direction: Literal["credit", "invoice"]
    invoice_ref: Any
    key: Hashable
    product: Any
    name: str
    old_quantity: Decimal
    new_quantity: Decimal
    quantity: Decimal
    price_unit: Decimal
    period_start: date
    period_end: date
    share: Fraction
    amount: Decimal
    source_ref: Any = None
    since: date | None = None
    unit_amount: Decimal | None = None
    rounding: Decimal = _ZERO
    discount: Decimal = _ZERO
    old_price: Decimal | None = None
    new_price: Decimal | None = None
    moves_units: bool = True

    @property
    def is_price_change(self) -> bool:
        """A line that re-prices units (a cut credited, a rise invoiced)."""
        return self.new_price is not None

    @property
    def percent(self) -> Decimal:
        """The share as a whole percentage, half up: 87 for 27/31."""
        return round_amount(self.share * 100, 0)


@dataclass(frozen=True)
class Plan:
    """Everything an amendment produces: documents to create and the new lines."""

    kind: AmendmentKind
    credit_lines: tuple[DocumentLine, ...]
    invoice_lines: tuple[DocumentLine, ...]
    new_lines: tuple[Line, ...]

    def credits_by_invoice(self) -> dict[Any, tuple[DocumentLine, ...]]:
        """Credit lines grouped by the invoice they correct: one credit note each."""
        return _group(self.credit_lines)

    def invoices_by_period(self) -> dict[Any, tuple[DocumentLine, ...]]:
        """Invoice lines grouped by their period's invoice: one new invoice each."""
        return _group(self.invoice_lines)

    @property
    def total_credit(self) -> Decimal:
        return sum((line.amount for line in self.credit_lines), _ZERO)

    @property
    def total_invoice(self) -> Decimal:
        return sum((line.amount for line in self.invoice_lines), _ZERO)


def _group(lines: Sequence[DocumentLine]) -> dict[Any, tuple[DocumentLine, ...]]:
    groups: dict[Any, list[DocumentLine]] = {}
    for line in lines:
        groups.setdefault(line.invoice_ref, []).append(line)
    return {ref: tuple(group) for ref, group in groups.items()}
