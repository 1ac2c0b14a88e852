"""Properties of the rules, checked on generated inputs (hypothesis)."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st
from rules import (
    CONVENTIONS,
    AmendmentKind,
    BilledDocument,
    BilledPeriod,
    InvoicedLine,
    Line,
    MovementKind,
    State,
    classify,
    day_count,
    decide,
    make_plan,
    replay,
    round_amount,
    share,
    term_boundary,
)

dates = st.dates(date(2020, 1, 1), date(2030, 12, 31))
conventions = st.sampled_from(CONVENTIONS)


@st.composite
def periods(draw):
    """(start, next_start) with next_start > start, up to a bit more than a year."""
    start = draw(dates)
    return start, start + timedelta(days=draw(st.integers(1, 400)))


@given(periods(), dates, conventions)
def test_share_is_between_0_and_1(bounds, effective, convention):
    assert 0 <= share(*bounds, effective, convention) <= 1


@given(periods(), st.data(), conventions)
def test_splitting_a_period_gives_shares_summing_to_1(bounds, data, convention):
    start, next_start = bounds
    total = day_count(start, next_start, convention)
    if total == 0:  # 30E/360, 30th → 31st: no day to split at
        return
    split = start + timedelta(days=data.draw(st.integers(0, (next_start - start).days)))
    before = Fraction(day_count(start, split, convention), total)
    after = share(start, next_start, split, convention)
    assert before + after == 1


@given(
    st.fractions(min_value=-1000, max_value=1000, max_denominator=10**6),
    st.sampled_from([0, 2, 3]),
)
def test_rounding_is_within_half_a_unit_and_ties_go_up(value, digits):
    unit = Fraction(1, 10**digits)
    rounded = Fraction(round_amount(value, digits))
    assert abs(rounded - value) <= unit / 2
    if abs(rounded - value) == unit / 2:  # a tie: away from zero
        assert abs(rounded) > abs(value)


kinds = st.sampled_from(
    [kind for kind in AmendmentKind if kind is not AmendmentKind.NOOP]
)


@given(kinds, dates, dates, st.integers(0, 120), st.one_of(st.none(), dates))
def test_notice_decision_is_monotonic_in_the_request_date(
    kind, day1, day2, notice, renewal
):
    earlier, later = sorted((day1, day2))
    late = decide(kind, later, renewal, notice)
    early = decide(kind, earlier, renewal, notice)
    if late.accepted:
        assert early.accepted
    assert early.days_late <= late.days_late


# -- a whole term of recurring invoices and amendments ----------------------


@dataclass(frozen=True)
class Scenario:
    convention: str
    digits: int
    bounds: list  # period boundaries; the last one is the renewal date
    invoice_dates: list  # when each period is invoiced (in advance)
    prices: dict
    initial: dict
    amendments: list  # (effective date, {key: quantity}), dates increasing


quantities = st.integers(0, 40).map(lambda n: Decimal(n) / 2)
# prices below one unit make rounding bite, even at 0 digits
prices_in_thousandths = st.one_of(st.integers(1, 999), st.integers(1, 99_999))
billing = st.sampled_from(
    [(1, "month"), (3, "month"), (1, "week"), (2, "week"), (10, "day")]
)


@st.composite
def scenarios(draw):
    keys = ["users", "numbers", "analytics"][: draw(st.integers(1, 3))]
    start = draw(st.dates(date(2023, 1, 1), date(2026, 12, 31)))
    interval, unit = draw(billing)
    count = draw(st.integers(2, 6))
    bounds = [term_boundary(start, interval, unit, index) for index in range(count + 1)]
    term_days = (bounds[-1] - start).days
    offsets = draw(
        st.lists(st.integers(0, term_days), min_size=1, max_size=5, unique=True)
    )
    return Scenario(
        convention=draw(conventions),
        digits=draw(st.sampled_from([0, 2, 3])),
        bounds=bounds,
        invoice_dates=[
            day - timedelta(days=draw(st.integers(0, 40))) for day in bounds[:-1]
        ],
        prices={key: Decimal(draw(prices_in_thousandths)) / 1000 for key in keys},
        initial={key: draw(quantities) for key in keys},
        amendments=[
            (start + timedelta(days=offset), {key: draw(quantities) for key in keys})
            for offset in sorted(offsets)
        ],
    )


def exact_consumption(scenario, timeline, key):
    """Σ over periods of ∫ quantity × price dt / period length, exactly."""
    price = Fraction(scenario.prices[key])
    total = Fraction(0)
    for start, next_start in pairwise(scenario.bounds):
        cuts = [
            start,
            *(day for day, _ in timeline if start < day < next_start),
            next_start,
        ]
        length = day_count(start, next_start, scenario.convention)
        for left, right in pairwise(cuts):
            in_force = [quantities for day, quantities in timeline if day <= left][-1]
            days = day_count(left, right, scenario.convention)
            total += Fraction(in_force[key]) * price * days / length
    return total


class Term:
    """Replays a scenario: recurring invoices in advance, amendments planned by
    the rules, and the documents they make, as the ledger reads them back."""

    def __init__(self, scenario):
        self.scenario = scenario
        self.keys = list(scenario.prices)
        self.periods = list(pairwise(scenario.bounds))
        self.current = dict(scenario.initial)
        self.timeline = [(date.min, dict(self.current))]  # (effective date, quantities)
        # period → its billing documents, oldest first: {"ref", "from", "lines"},
        # lines: key → [units, price, amount] billed net of the credits against it
        self.documents = {}
        self.document_lines = Counter()  # key → document lines involved

    def remaining(self, index, key):
        """What the period's documents billed for ``key``, net of credits."""
        return sum(
            (
                document["lines"][key][2]
                for document in self.documents.get(index, ())
                if key in document["lines"]
            ),
            Decimal(0),
        )

    def lines(self, quantities):
        prices = self.scenario.prices
        return [
            Line(key, key, quantities[key], prices[key])
            for key in self.keys
            if quantities[key]
        ]

    @staticmethod
    def _invoiced(document):
        return tuple(
            InvoicedLine(key, price, units, amount, ref=(document["ref"], key))
            for key, (units, price, amount) in document["lines"].items()
        )

    def billed_periods(self):
        periods = []
        for index, (invoice, *later) in self.documents.items():
            periods.append(
                BilledPeriod(
                    invoice["ref"],
                    *self.periods[index],
                    self._invoiced(invoice),
                    documents=tuple(
                        BilledDocument(
                            document["ref"], document["from"], self._invoiced(document)
                        )
                        for document in reversed(later)
                    ),
                )
            )
        return periods

    def _document(self, ref):
        index, number = ref
        return self.documents[index][number]

    def invoice_period(self, index):
        """The recurring invoice of a period, at today's quantities."""
        lines = {}
        for key in self.keys:
            if self.current[key] > 0:
                price = self.scenario.prices[key]
                amount = round_amount(self.current[key] * price, self.scenario.digits)
                lines[key] = [self.current[key], price, amount]
                self.document_lines[key] += 1
        self.documents[index] = [{"ref": (index, 0), "from": None, "lines": lines}]

    def amend(self, day, new):
        if classify(self.current, new) is AmendmentKind.NOOP:
            return
        plan = make_plan(
            self.lines(self.current),
            self.lines(new),
            day,
            self.billed_periods(),
            request_date=day,
            contract_start=self.scenario.bounds[0],
            renewal_date=self.scenario.bounds[-1],
            digits=self.scenario.digits,
            convention=self.scenario.convention,
        )
        for line in plan.credit_lines:
            billed = self._document(line.invoice_ref)["lines"][line.key]
            # no credit exceeds what its document billed, net of credits
            assert 0 < line.amount <= billed[2]
            assert 0 < line.quantity <= billed[0]
            assert (
                round_amount(line.quantity * line.unit_amount, self.scenario.digits)
                + line.rounding
                == line.amount
            )
            billed[0] -= line.quantity
            billed[2] -= line.amount
            self.document_lines[line.key] += 1
        for period_ref, lines in plan.invoices_by_period().items():
            index = period_ref[0]
            document = {"ref": (index, len(self.documents[index])), "from": day}
            document["lines"] = {
                line.key: [line.quantity, line.price_unit, line.amount]
                for line in lines
            }
            self.documents[index].append(document)
            for line in lines:
                assert line.amount > 0
                assert (
                    round_amount(line.quantity * line.unit_amount, self.scenario.digits)
                    + line.rounding
                    == line.amount
                )
                self.document_lines[line.key] += 1
        assert plan.new_lines == tuple(self.lines(new))
        touched = sum(1 for index in self.documents if self.periods[index][1] > day)
        for key in self.keys:
            if new[key] != self.current[key]:
                # a credit that rounds to 0 is no line, but still counts as one
                self.document_lines[key] += touched
        self.current = dict(new)
        self.timeline.append((day, dict(new)))

    def run(self):
        events = [
            (day, 0, index) for index, day in enumerate(self.scenario.invoice_dates)
        ]
        events += [(day, 1, quantities) for day, quantities in self.scenario.amendments]
        # on the same day, the recurring invoice comes first
        for day, is_amendment, payload in sorted(events, key=lambda event: event[:2]):
            if is_amendment:
                self.amend(day, payload)
            else:
                self.invoice_period(payload)
        return self


@settings(max_examples=300)
@given(scenarios())
def test_invoiced_minus_credited_matches_prorated_consumption(scenario):
    term = Term(scenario).run()
    half_unit = Fraction(1, 2 * 10**scenario.digits)
    for key in term.keys:
        net = sum(
            Fraction(term.remaining(index, key)) for index in range(len(term.periods))
        )
        exact = exact_consumption(scenario, term.timeline, key)
        assert abs(net - exact) <= term.document_lines[key] * half_unit


# -- MRR: the movements of a subscription add up to its MRR -------------------

mrr_units = st.sampled_from(["days", "weeks", "months", "years"])
mrr_lines = st.lists(
    st.builds(
        Line,
        key=st.integers(1, 5),
        product=st.just(None),
        quantity=st.integers(0, 200).map(lambda n: Decimal(n) / 4),
        price_unit=st.integers(-2_000, 100_000).map(lambda n: Decimal(n) / 1000),
        discount=st.sampled_from([Decimal(0), Decimal(10), Decimal("33.33")]),
    ),
    max_size=4,
)


@st.composite
def mrr_histories(draw):
    """A subscription's changes in its currency: lines, recurrence, running."""
    digits = draw(st.sampled_from([0, 2, 3]))
    return [
        State(
            lines=tuple(draw(mrr_lines)),
            unit=draw(mrr_units),
            interval=draw(st.integers(1, 12)),
            running=draw(st.booleans()),
            digits=digits,
        )
        for _ in range(draw(st.integers(1, 12)))
    ]


def independent_mrr(state):
    """The state's MRR, computed here from the definition, not by rules.mrr."""
    if not state.running:
        return Fraction(0)
    per_month = {"days": Fraction(365, 12), "weeks": Fraction(52, 12)}
    per_month.update(months=Fraction(1), years=Fraction(1, 12))
    exact = sum(
        (
            Fraction(line.quantity)
            * Fraction(line.price_unit)
            * (1 - Fraction(line.discount) / 100)
            for line in state.lines
        ),
        Fraction(0),
    )
    exact *= per_month[state.unit] / state.interval
    scaled = exact * 10**state.digits
    units = abs(scaled.numerator) // scaled.denominator
    if 2 * (abs(scaled.numerator) % scaled.denominator) >= scaled.denominator:
        units += 1  # half up, away from zero
    return Fraction(-units if scaled < 0 else units, 10**state.digits)


@settings(max_examples=500)
@given(mrr_histories())
def test_the_deltas_of_a_subscription_add_up_to_its_mrr_exactly(states):
    steps = replay(states)
    movements = [step for step in steps if step is not None]
    # the sum of the deltas is the current MRR, in its currency, to the last digit
    total = sum((step.delta for step in movements), Decimal(0))
    assert Fraction(total) == independent_mrr(states[-1])
    assert total.as_tuple().exponent >= -states[-1].digits
    previous, last_kind = Decimal(0), None
    for state, step in zip(states, steps, strict=True):
        now = independent_mrr(state)
        if step is None:  # no row without a change
            assert Fraction(previous) == now
            continue
        assert step.delta != 0
        assert step.mrr_before == previous  # a chain: each starts where the last ended
        assert Fraction(step.mrr_after) == now
        assert (step.kind is MovementKind.CHURN) == (not state.running)
        if step.kind is MovementKind.NEW:
            assert last_kind is None
        if step.kind is MovementKind.REACTIVATION:
            assert last_kind is MovementKind.CHURN
        previous, last_kind = step.mrr_after, step.kind
