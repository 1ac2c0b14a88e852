"""The contract invariant: a running contract under term never loses value,
never stops and never moves its renewal except through the notice rule.

The models describe a contract before and after any change as a ``Contract``
(plain values: whether it runs and renews, its renewal date computed from its
terms, its currency, its next invoice date and what each line is worth a
month); ``breaches(before, after)`` says what the change did that something
must explain: an accepted amendment, a cancellation the notice rule accepts,
or an administrator's reason. Which fields the change wrote does not matter.
"""

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from fractions import Fraction

from .mrr import monthly_factor
from .values import Line


class Breach(str, Enum):
    #: a line is worth less a month than before (or is gone)
    LOWER_VALUE = "lower_value"
    #: the contract no longer runs (closed, archived, taken out of progress)
    STOPPED = "stopped"
    #: it no longer renews at its renewal date
    NOT_RENEWING = "not_renewing"
    #: its renewal comes earlier, or it has no renewal date any more
    EARLIER_RENEWAL = "earlier_renewal"
    #: its renewal comes later
    LATER_RENEWAL = "later_renewal"
    #: its currency changed: values in two currencies cannot be compared
    CURRENCY = "currency"
    #: its next invoice date moved (a billing period skipped or billed twice)
    BILLING_DATE = "billing_date"
    #: a line's taxes changed (what the customer pays, taxes included)
    TAXES = "taxes"


#: the breaches that are a cancellation (clause 13.1.b: on time, or late with
#: an administrator's reason)
CANCELLATIONS = frozenset({Breach.STOPPED, Breach.NOT_RENEWING})


def line_value(line: Line, unit: str, interval: int) -> Fraction:
    """What ``line`` is worth a month, exact: quantity × net unit price ×
    ``monthly_factor(unit, interval)`` (not rounded: any decrease counts)."""
    return (
        Fraction(line.quantity)
        * Fraction(line.net_price)
        * monthly_factor(unit, interval)
    )


@dataclass(frozen=True)
class Contract:
    """A contract as the invariant sees it, at one moment.

    ``renewal``: the renewal date computed from its terms (None: no term);
    ``values``: ``(line key, monthly value)`` pairs (``line_value``);
    ``taxes``: ``(line key, taxes)`` pairs (any hashable, e.g. sorted tax ids).
    """

    running: bool
    renews: bool
    renewal: date | None
    currency: Hashable = None
    next_invoice: date | None = None
    values: tuple[tuple[Hashable, Fraction], ...] = field(default=())
    taxes: tuple[tuple[Hashable, Hashable], ...] = field(default=())

    @property
    def under_term(self) -> bool:
        """Running with a renewal date: what the notice rule protects."""
        return self.running and self.renewal is not None

    @property
    def value_by_key(self) -> Mapping[Hashable, Fraction]:
        return dict(self.values)


def contract(
    *,
    running: bool,
    renews: bool,
    renewal: date | None,
    lines: Sequence[Line],
    unit: str,
    interval: int,
    currency: Hashable = None,
    next_invoice: date | None = None,
    taxes: Mapping[Hashable, Hashable] | None = None,
) -> Contract:
    """A ``Contract`` from its lines and recurrence (``line_value`` of each);
    ``taxes``: {line key: its taxes}."""
    return Contract(
        running=bool(running),
        renews=bool(renews),
        renewal=renewal,
        currency=currency,
        next_invoice=next_invoice or None,
        values=tuple((line.key, line_value(line, unit, interval)) for line in lines),
        taxes=tuple(sorted((taxes or {}).items(), key=lambda item: repr(item[0]))),
    )


@dataclass(frozen=True)
class Breaches:
    """What a change did to a contract under term that needs explaining.

    ``kinds``: the ``Breach`` kinds; ``lowered``: ``(key, before, after)`` of
    each line worth less a month (after is 0 for a line that is gone).
    """

    kinds: frozenset = frozenset()
    lowered: tuple[tuple[Hashable, Fraction, Fraction], ...] = ()

    def __bool__(self):
        return bool(self.kinds)

    def __contains__(self, kind):
        return kind in self.kinds

    def without(self, *kinds) -> "Breaches":
        """These breaches but ``kinds`` (explained by the caller)."""
        left = self.kinds - set(kinds)
        return Breaches(
            frozenset(left), self.lowered if Breach.LOWER_VALUE in left else ()
        )


def breaches(before: Contract, after: Contract) -> Breaches:
    """What changed from ``before`` to ``after`` that lowers what a contract
    under term is worth, stops it or moves its renewal.

    A contract that was not running under a term (``before.under_term``) has
    nothing to protect. A contract that stopped has one breach, ``STOPPED``:
    its lines and dates no longer count. Otherwise: ``NOT_RENEWING``,
    ``EARLIER_RENEWAL`` / ``LATER_RENEWAL``, ``CURRENCY`` (then values are not
    compared), ``LOWER_VALUE`` per line key (a key missing after is worth 0;
    a new key lowers the contract when it is worth less than 0),
    ``BILLING_DATE``, ``TAXES`` (a line kept whose taxes changed).
    """
    if not before.under_term:
        return Breaches()
    if not after.running:
        return Breaches(frozenset({Breach.STOPPED}))
    kinds = set()
    if before.renews and not after.renews:
        kinds.add(Breach.NOT_RENEWING)
    if after.renewal is None or after.renewal < before.renewal:
        kinds.add(Breach.EARLIER_RENEWAL)
    elif after.renewal > before.renewal:
        kinds.add(Breach.LATER_RENEWAL)
    lowered = ()
    if after.currency != before.currency:
        kinds.add(Breach.CURRENCY)
    else:
        values, old = after.value_by_key, before.value_by_key
        lowered = tuple(
            (key, value, values.get(key, Fraction(0)))
            for key, value in before.values
            if values.get(key, Fraction(0)) < value
        ) + tuple(
            (key, Fraction(0), value)
            for key, value in after.values
            if key not in old and value < 0
        )
        if lowered:
            kinds.add(Breach.LOWER_VALUE)
    if after.next_invoice != before.next_invoice:
        kinds.add(Breach.BILLING_DATE)
    taxes = dict(after.taxes)
    if any(key in taxes and taxes[key] != value for key, value in before.taxes):
        kinds.add(Breach.TAXES)
    return Breaches(frozenset(kinds), lowered)
