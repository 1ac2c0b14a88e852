# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The ledger invariant (issues 11 and 21), over seeded random walks that
interleave amendments with an accountant's work.

Two customers, each with a monthly contract (users at 25.00 less 12.5 %,
phone numbers at 6.00, maybe at a discount too; the add-on at 9.99 comes and
goes), on one receivable account; the second customer's contract has a fiscal
position that maps the income account (EU B2B → 706200); the company rounds
taxes per line or globally (by seed). Days move forward; each period is
billed by subscription_oca at its start (sometimes the next one in advance),
posted at once or left in draft. On the days between, in random order:

- an amendment of one line of one contract, effective that day, applied at
  once, or created as a draft and applied days later (a period may be billed
  in between);
- *Post entries* on every waiting document of both customers
  (``validate.account.move``), or the form's *Confirm* on one of them;
- *Reset to draft* of a posted period invoice (posted again later, by one of
  the above), sometimes re-dated to the day before it is posted again;
- *Cancel* of an upgrade invoice;
- *Reverse and create invoice* (``modify_moves``) of a posted period invoice;
- a partial payment (``account.payment.register``) of a posted invoice;
- a goodwill credit note made with the *Credit Note* button
  (``account.move.reversal`` → ``refund_moves``) on a posted invoice: a line's
  unit price edited to a lower one, or a typed line without a subscription
  line (of a product, or of none on a document that bills one line), up to
  all that remains of it; posted, left in draft, or deleted while a draft;
- the reversal of a posted credit note (*Credit Note* on it: an invoice whose
  ``reversed_entry_id`` is the credit note), which gives back what it took.

At the end everything waiting is posted (but the goodwill drafts), and then:

1. per subscription line, Σ billed − Σ credited (tax excluded, every
   document that counts) is the oracle's, within half a cent per document
   line;
2. no amendment's credit is above what the document it corrects billed (a
   replaced invoice and its replacement count as one document), net of the
   other credits, in total and per subscription line;
3. every posted credit note is matched only with the invoice it corrects (or
   that invoice's replacement, or its own reversal), and is never left open
   while that invoice is;
4. no amendment created a document twice, and applying one again fails;
5. no generated document is dated before the document it corrects;
6. the second contract's documents are on the account its fiscal position
   maps.

**The oracle: slabs per line and period.** The expected ledger is not what
the customer held but what the documents billed, as the issues' rules make
them. The test keeps, per subscription line and billed period, the billed
quantities ("slabs") with the day each starts: the period invoice bills the
quantity held at billing from the period start; an upgrade invoice bills the
added units from its effective date. A slab bills ``units × net price ×
share`` and keeps what was taken from it:

- a goodwill credit note lowers its amount and removes no unit;
- a reduction of *r* units effective on day *e* takes min(*r*, the units the
  slabs still bill) newest slab first, and credits each slab ``units × net
  price × share from e``, capped by the slab's remaining amount (not below
  zero): the units go even when the cap leaves nothing to credit (issue 21:
  removed units are credited at the billed net price × share, capped by what
  remains);
- the reversal of a credit note gives back what it took (units and amount).

So per slab, billed − credited = max(0, exact consumption − goodwill) as long
as no goodwill exceeds what remains (the walk's goodwill never does).

An upgrade invoice that the accountant cancels bills nothing: its slab goes,
and its units are no consumption in that period (the customer holds them
unbilled until the next period invoice bills them). A later reduction then
credits what is still billed, as the formula says, even though the customer
still holds unbilled units: 12 held, 10 billed, 12 → 11 credits 1 unit (not
0, which crediting the unbilled units first would give). Only an upgrade
invoice that no credit note has drawn on is ever cancelled: cancelling one
that was partly credited has no defined outcome.

Reset to draft, reverse and replace, and payments change no billed quantity:
a draft invoice counts as billed; a replacement takes over what the replaced
invoice billed, and its credit notes (they may be matched with it). An invoice
is reversed and replaced only when none of its credit notes waits in draft
(the issue matches the open ones with the replacement, and says nothing of
one posted afterwards). An invoice is re-dated only while no posted document
corrects it.

Every amendment changes a single line, so that a document bills or credits
one subscription line: a rounding line without a subscription line (issue 11,
"Lines") is counted for the document's only subscription line.

20 fixed seeds run by default (about 90 s on the project's machine);
``LEDGER_WALKS=N`` adds N random ones, ``LEDGER_SEEDS=a,b`` replays those,
``LEDGER_WALK_LOG=path`` appends what each walk did to that file.
After a goodwill gesture, the next amendments and replacements pick its line
and document more often (a reduction of what it lowered): the cases where the
cap binds. The seed is in each test's name; a
failing walk logs it with what happened, day by day. The control class runs
the same walk without the accountant (amendments only, each document posted on
its own): main passes it, so a failure there means the happy path broke, or this
test's bookkeeping did.
"""

import logging
import os
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError

from .common import SubscriptionCase

_logger = logging.getLogger(__name__)

HALF_CENT = Fraction(1, 200)
CENT = Decimal("0.01")
ADDON_PRICE = Decimal("9.99")
USERS_DISCOUNT = Decimal("12.5")  # net 21.875: credits land on half cents
NUMBERS_DISCOUNTS = (0, 0, 10, 15)
WALK_DAYS = 56
FIXED_SEEDS = range(1, 21)
#: quantities an amendment may set, per product name
QUANTITIES = {"Users": (1, 15), "Phone numbers": (0, 8), "Analytics add-on": (0, 3)}
#: the accountant's and the account manager's actions, and their weights
ACTIONS = {
    "amend": 5,
    "amend_later": 2,
    "post_entries": 2,
    "post_one": 1,
    "reset_to_draft": 1,
    "redate": 1,
    "cancel_upgrade": 1,
    "reverse_and_replace": 1,
    "pay": 1,
    "goodwill": 3,
    "delete_goodwill": 1,
    "reverse_credit_note": 1,
}


def _fraction(value):
    return Fraction(Decimal(str(value)))


@dataclass
class Credit:
    """What a reduction took from a slab: ``units`` from ``day``, for
    ``amount``, by the credit note ``move`` (None: nothing was credited)."""

    day: date
    units: int
    amount: Fraction
    move: object
    active: bool = True


@dataclass
class Slab:
    """Units a document bills for one subscription line in one period, from
    ``since``, at the net unit price ``price``; what reductions and goodwill
    took from it."""

    move: object
    since: date
    quantity: int
    price: Fraction
    start: date
    next_start: date
    credits: list = field(default_factory=list)
    goodwill: list = field(default_factory=list)  # [move, amount, active]
    cancelled: bool = False

    def share(self, day):
        days = (self.next_start - self.start).days
        return Fraction((self.next_start - max(day, self.start)).days, days)

    @property
    def remaining(self):
        """The units it still bills."""
        return self.quantity - sum(c.units for c in self.credits if c.active)

    @property
    def left(self):
        """The amount it still bills: billed − goodwill − credits."""
        return (
            self.quantity * self.price * self.share(self.since)
            - sum(amount for _move, amount, active in self.goodwill if active)
            - sum(c.amount for c in self.credits if c.active)
        )

    def take(self, day, units, move):
        """A reduction takes ``units`` from ``day``: credited at the price ×
        share, capped by what remains (the units go in any case)."""
        amount = min(units * self.price * self.share(day), max(self.left, 0))
        self.credits.append(Credit(day, units, amount, move))


class Billing:
    """One contract in the walk: what it holds and what its documents should bill."""

    def __init__(self, subscription):
        self.subscription = subscription
        self.held = {}  # subscription line -> quantity
        self.prices = {}  # subscription line id -> net unit price (Fraction)
        self.periods = {}  # start -> [start, next_start, the invoice that bills it]
        # (line id, period start) -> [Slab], oldest first
        self.slabs = defaultdict(list)
        self.replaced = {}  # invoice -> its replacement
        self.draft = None  # an amendment waiting to be applied: its arguments

    def bill(self, invoice):
        start, next_start = (
            invoice.subscription_period_start,
            invoice.subscription_period_next_start,
        )
        self.periods[start] = [start, next_start, invoice]
        for line, quantity in self.held.items():
            self.slabs[line.id, start].append(
                Slab(invoice, start, quantity, self.prices[line.id], start, next_start)
            )

    def change(self, line, old, new, day, upgrades, refunds):
        """``line`` goes from ``old`` to ``new`` units on ``day``; ``upgrades``:
        the amendment's upgrade invoices by period start; ``refunds``: its
        credit notes by the document they correct."""
        for start, next_start, _invoice in self.periods.values():
            if next_start <= day:
                continue
            slabs = self.slabs[line.id, start]
            if new > old:
                slabs.append(
                    Slab(
                        upgrades.get(start),
                        max(day, start),
                        new - old,
                        self.prices[line.id],
                        start,
                        next_start,
                    )
                )
                continue
            left = old - new
            for slab in reversed(slabs):  # newest first
                units = 0 if slab.cancelled else min(left, slab.remaining)
                if units > 0:
                    slab.take(day, units, refunds.get(slab.move))
                    left -= units

    def all_slabs(self):
        return [slab for slabs in self.slabs.values() for slab in slabs]

    def cancel(self, move):
        for slab in self.all_slabs():
            if slab.move == move:
                slab.cancelled = True

    def intact(self, move):
        """Whether ``move`` bills units nothing has drawn on."""
        slabs = [slab for slab in self.all_slabs() if slab.move == move]
        return bool(slabs) and not any(s.credits or s.goodwill for s in slabs)

    def replace(self, invoice, replacement):
        self.replaced[invoice] = replacement
        for period in self.periods.values():
            if period[2] == invoice:
                period[2] = replacement
        for slab in self.all_slabs():
            if slab.move == invoice:
                slab.move = replacement

    def undo(self, credit_note):
        """The reversal of ``credit_note`` gives back what it took."""
        for slab in self.all_slabs():
            for credit in slab.credits:
                if credit.move == credit_note:
                    credit.active = False
            for entry in slab.goodwill:
                if entry[0] == credit_note:
                    entry[2] = False

    def consumption(self, line_id):
        """What the slabs of ``line_id`` still bill, exact."""
        return sum(
            (
                slab.left
                for (key, _start), slabs in self.slabs.items()
                if key == line_id
                for slab in slabs
                if not slab.cancelled
            ),
            Fraction(0),
        )

    def chain(self, move):
        """``move`` and the replacements that followed it."""
        moves = move
        while move in self.replaced:
            move = self.replaced[move]
            moves |= move
        return moves


class LedgerWalkCase(SubscriptionCase):
    """The walk; its subclasses say which actions it takes, and the seeds."""

    #: action name -> weight
    actions = ACTIONS
    #: the chance that a period invoice is posted as soon as it is billed
    post_when_billed = 0.6
    #: the waiting documents are posted at the end by *Post entries*, or one by one
    post_all_at_the_end = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner_y = cls.env["res.partner"].create(
            {"name": "Customer Y", "property_product_pricelist": cls.pricelist.id}
        )
        cls.moves = cls.env["account.move"]
        cls.eu_account = cls.env["account.account"].create(
            {"name": "EU B2B sales", "code": "706200", "account_type": "income"}
        )
        cls.eu = cls.env["account.fiscal.position"].create(
            {
                "name": "EU B2B",
                "account_ids": [
                    Command.create(
                        {
                            "account_src_id": cls.income_account.id,
                            "account_dest_id": cls.eu_account.id,
                        }
                    )
                ],
            }
        )

    # -- the walk ----------------------------------------------------------------

    def _walk(self, seed):
        self.log = []
        try:
            self._run(seed)
            if os.environ.get("LEDGER_WALK_LOG"):
                with open(os.environ["LEDGER_WALK_LOG"], "a") as out:
                    out.write(f"walk {seed}:\n" + "\n".join(self.log) + "\n")
        except Exception:
            _logger.error(
                "ledger walk failed: seed %s; what happened:\n%s",
                seed,
                "\n".join(self.log),
            )
            raise

    def _note(self, day, text):
        self.log.append(f"{day}  {text}")

    def _run(self, seed):
        rng = random.Random(seed)
        self.rng = rng
        self.company.amendment_auto_post = rng.random() < 0.3
        self.company.tax_calculation_rounding_method = rng.choice(
            ("round_per_line", "round_globally")
        )
        self._note("", f"taxes {self.company.tax_calculation_rounding_method}")
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(366))
        self.walk = [
            self._contract(self.partner, start),
            self._contract(
                self.partner_y, start + timedelta(days=rng.randint(0, 12)), self.eu
            ),
        ]
        self.amendments = self.env["sale.subscription.amendment"]
        self.goodwill_drafts = self.moves
        self.origins = {}  # an upgrade invoice -> the period invoice it came from
        # the contract, line and document of the last goodwill gesture: the
        # next amendments and replacements pick them more often
        self.focus = None
        day = start
        while day < start + timedelta(days=WALK_DAYS):
            self._bill_due(day)
            self._apply_due_drafts(day)
            for _action in range(rng.randint(1, 2)):
                action = rng.choices(
                    list(self.actions), weights=list(self.actions.values())
                )[0]
                with freeze_time(day):
                    getattr(self, f"_act_{action}")(day)
            day += timedelta(days=rng.randint(2, 5))
        self._apply_due_drafts(day, everything=True)
        with freeze_time(day):
            self._post_everything()
        self.assertTrue(self.amendments, f"seed {seed} made no amendment")
        for billing in self.walk:
            self._check_ledger(billing)
            self._check_credits_never_exceed(billing)
            self._check_matching(billing)
            self._check_dates(billing)
        self._check_fiscal_position(self.walk[1])
        self._check_no_document_twice()

    def _contract(self, partner, start, fiscal_position=None):
        subscription = self._create_subscription(
            start=start,
            partner_id=partner.id,
            lines=[(self.product_users, 10), (self.product_numbers, 4)],
        )
        if fiscal_position:
            subscription.fiscal_position_id = fiscal_position
        # its terms, before it runs (then only amendments change them)
        for line in subscription.sale_subscription_line_ids:
            line.discount = (
                float(USERS_DISCOUNT)
                if line.product_id == self.product_users
                else self.rng.choice(NUMBERS_DISCOUNTS)
            )
        self._start(subscription)
        subscription.recurring_next_date = start
        billing = Billing(subscription)
        for line in subscription.sale_subscription_line_ids:
            billing.held[line] = int(line.product_uom_qty)
            price = Decimal(str(line.price_unit))
            billing.prices[line.id] = _fraction(
                price * (100 - Decimal(str(line.discount))) / 100
            )
        return billing

    def _bill_due(self, day):
        """Bill the periods that have started; sometimes the next one early."""
        for billing in self.walk:
            subscription = billing.subscription
            while subscription.recurring_next_date <= day:
                self._bill(billing, subscription.recurring_next_date)
            ahead = subscription.recurring_next_date - day
            if billing.periods and ahead.days <= 10 and self.rng.random() < 0.2:
                self._bill(billing, day)

    def _bill(self, billing, today):
        subscription = billing.subscription
        before = subscription._billing_moves()
        with freeze_time(today):
            subscription.generate_invoice()
            invoice = subscription._billing_moves() - before
            self.assertEqual(
                {
                    line.subscription_line_id: line.quantity
                    for line in invoice.invoice_line_ids
                },
                billing.held,
            )
            billing.bill(invoice)
            if self.rng.random() < self.post_when_billed:
                invoice.action_post()
        self._note(
            today,
            f"{subscription.partner_id.name}: {invoice.display_name} bills "
            f"{invoice.subscription_period_start} – "
            f"{invoice.subscription_period_end} ({invoice.state})",
        )

    def _documents(self, billing=None):
        """Every invoice and credit note of the contracts (the accountant's
        credit notes and their reversals carry the contract too)."""
        subscriptions = (
            billing.subscription
            if billing
            else self.walk[0].subscription | self.walk[1].subscription
        )
        return self.env["account.move"].search(
            [
                ("subscription_id", "in", subscriptions.ids),
                ("move_type", "in", ("out_invoice", "out_refund")),
            ],
            order="id",
        )

    def _counted(self, moves):
        """Those that count: not cancelled, not a goodwill draft."""
        return moves.filtered(
            lambda move: move.state != "cancel" and move not in self.goodwill_drafts
        )

    def _waiting(self):
        return self._documents().filtered(
            lambda move: move.state == "draft" and move not in self.goodwill_drafts
        )

    @staticmethod
    def _scheduled(move, day):
        """*Post entries* on a document dated later schedules it (``auto_post``):
        Odoo refuses the form's *Confirm* on it until its date."""
        return move.auto_post != "no" and move.date > day

    def _period_invoices(self, billing):
        """The invoices that bill a period now (replacements included)."""
        return self.moves.union(*(period[2] for period in billing.periods.values()))

    def _is_focus(self, billing, move):
        return (
            self.focus is not None
            and self.focus[0] is billing
            and (self.focus[2] == move)
        )

    def _billing_of(self, move):
        return next(b for b in self.walk if b.subscription == move.subscription_id)

    # -- the account manager's actions ------------------------------------------

    def _act_amend(self, day, later=False):
        free = [b for b in self.walk if b.periods and not b.draft]
        if not free:
            return
        billing = self.rng.choice(free)
        focused = (
            self.focus is not None
            and self.focus[0] in free
            and self.focus[0].held.get(self.focus[1], 0)
            > QUANTITIES[self.focus[1].product_id.name][0]
            and self.rng.random() < 0.5
        )
        if focused:
            billing = self.focus[0]
        subscription = billing.subscription
        has_addon = (
            self.product_addon in subscription.sale_subscription_line_ids.product_id
        )
        if not has_addon and not focused and self.rng.random() < 0.25:
            line, old, new = None, 0, self.rng.randint(1, 3)
            values = {
                "product_id": self.product_addon.id,
                "new_quantity": new,
                "price_unit": float(ADDON_PRICE),
            }
        else:
            line = (
                self.focus[1]
                if focused
                else self.rng.choice(subscription.sale_subscription_line_ids)
            )
            old = billing.held[line]
            lowest, highest = QUANTITIES[line.product_id.name]
            # after a goodwill gesture, a reduction of what it lowered
            new = self.rng.randint(lowest, old - 1 if focused else highest)
            if new == old:
                return
            values = {"subscription_line_id": line.id, "new_quantity": new}
        amendment = self.env["sale.subscription.amendment"].create(
            {
                "subscription_id": subscription.id,
                "effective_date": day,
                "request_date": day,
                "line_ids": [Command.create(values)],
            }
        )
        if later:
            apply_on = day + timedelta(days=self.rng.randint(1, 9))
            billing.draft = (amendment, line, old, new, day, apply_on)
            self._note(day, f"{subscription.partner_id.name}: {amendment.name} drafted")
            return
        self._apply_draft(billing, amendment, line, old, new, day, day)

    def _act_amend_later(self, day):
        self._act_amend(day, later=True)

    def _apply_due_drafts(self, day, everything=False):
        for billing in self.walk:
            if billing.draft and (everything or billing.draft[-1] <= day):
                amendment, line, old, new, effective, _on = billing.draft
                billing.draft = None
                self._apply_draft(billing, amendment, line, old, new, effective, day)

    def _apply_draft(self, billing, amendment, line, old, new, effective, day):
        with freeze_time(day):
            amendment.action_apply()
        self.assertEqual(amendment.state, "done")
        self.amendments |= amendment
        subscription = billing.subscription
        self._note(
            day,
            f"{subscription.partner_id.name}: {amendment.name} from {effective} "
            f"{amendment.line_ids.product_id.name} {old} → {new}: "
            + ", ".join(
                f"{move.display_name} {move.amount_untaxed} ({move.state})"
                for move in amendment.move_ids
            ),
        )
        if line is None:
            line = amendment.line_ids.subscription_line_id
            billing.prices[line.id] = _fraction(ADDON_PRICE)
        upgrades, refunds = {}, {}
        for move in amendment.move_ids:
            if move.move_type == "out_invoice":
                upgrades[move.subscription_period_start] = move
                self.origins[move] = billing.periods[move.subscription_period_start][2]
            else:
                refunds[move.reversed_entry_id] = move
        billing.change(line, old, new, effective, upgrades, refunds)
        if new:
            billing.held[line] = new
        else:
            del billing.held[line]

    # -- the accountant's actions ------------------------------------------------

    def _act_post_entries(self, day):
        waiting = self._waiting()
        if waiting:
            self._note(
                day, f"post entries: {', '.join(waiting.mapped('display_name'))}"
            )
            self._post_entries(waiting)

    def _act_post_one(self, day):
        """The form's *Confirm* on a waiting document; on an amendment's
        document whose period invoice is a draft, on that invoice first (the
        issue keeps such documents in draft until their invoice is posted)."""
        waiting = self._waiting().filtered(lambda move: not self._scheduled(move, day))
        if not waiting:
            return
        move = self.rng.choice(waiting)
        if move.amendment_id:
            billing = self._billing_of(move)
            period = billing.periods.get(move.subscription_period_start)
            invoice = move.reversed_entry_id or (period and period[2])
            if invoice and invoice.state == "draft":
                if self._scheduled(invoice, day):
                    return
                self._note(day, f"confirm {invoice.display_name}")
                invoice.action_post()
        if move.state == "draft":
            self._note(day, f"confirm {move.display_name}")
            move.action_post()

    def _act_reset_to_draft(self, day):
        candidates = [
            invoice
            for billing in self.walk
            for invoice in self._period_invoices(billing)
            if invoice.state == "posted"
        ]
        if candidates:
            invoice = self.rng.choice(candidates)
            self._note(day, f"reset to draft {invoice.display_name}")
            invoice.button_draft()

    def _corrected_by_posted(self, invoice):
        """Whether a posted document corrects ``invoice`` (a credit note of it,
        an upgrade invoice of its period, a credit note of that)."""
        documents = self._documents(self._billing_of(invoice))
        upgrades = documents.filtered(lambda move: self.origins.get(move) == invoice)
        return any(
            move.state == "posted"
            and (move in upgrades or move.reversed_entry_id in invoice | upgrades)
            for move in documents
        )

    def _act_redate(self, day):
        """*Reset to draft* of a period invoice that no posted document
        corrects, and its invoice date set to the day (posted again later)."""
        candidates = [
            invoice
            for billing in self.walk
            for invoice in self._period_invoices(billing)
            if invoice.state in ("draft", "posted")
            and invoice.invoice_date
            and invoice.invoice_date < day
            # a posted number keeps its year
            and invoice.invoice_date.year == day.year
            and not self._scheduled(invoice, day)
            and not self._corrected_by_posted(invoice)
        ]
        if candidates:
            invoice = self.rng.choice(candidates)
            self._note(day, f"re-date {invoice.display_name} ({invoice.state})")
            if invoice.state == "posted":
                invoice.button_draft()
            invoice.invoice_date = day

    def _act_cancel_upgrade(self, day):
        refunded = (
            self._documents()
            .filtered(
                lambda move: move.move_type == "out_refund" and move.state != "cancel"
            )
            .reversed_entry_id
        )
        candidates = [
            (billing, move)
            for billing in self.walk
            for move in self._documents(billing)
            if move.amendment_id
            and move.move_type == "out_invoice"
            and move.state != "cancel"
            and move not in refunded
            and billing.intact(move)
        ]
        if candidates:
            billing, move = self.rng.choice(candidates)
            self._note(day, f"cancel {move.display_name} ({move.state})")
            move.button_cancel()
            billing.cancel(move)

    def _act_reverse_and_replace(self, day):
        # not while a credit note of the invoice waits in draft: the issue
        # matches the open ones with the replacement, and says nothing of
        # those posted afterwards
        waiting = (
            self._documents()
            .filtered(lambda move: move.state == "draft")
            .reversed_entry_id
        )
        candidates = [
            (billing, invoice)
            for billing in self.walk
            for invoice in self._period_invoices(billing)
            if invoice.state == "posted" and invoice not in waiting
        ]
        if candidates:
            focused = [pair for pair in candidates if self._is_focus(*pair)]
            billing, invoice = self.rng.choice(focused * 3 + candidates)
            replacement = self._reverse_and_replace(invoice, day)
            billing.replace(invoice, replacement)
            self._note(
                day,
                f"reverse {invoice.display_name} and replace it: "
                f"{replacement.display_name}",
            )
            if self.rng.random() < 0.5:
                replacement.action_post()

    def _act_pay(self, day):
        candidates = self._documents().filtered(
            lambda move: (
                move.move_type == "out_invoice"
                and move.state == "posted"
                and move.amount_residual > 1
            )
        )
        if candidates:
            invoice = self.rng.choice(candidates)
            share = Decimal(self.rng.randint(20, 60)) / 100
            amount = (Decimal(str(invoice.amount_residual)) * share).quantize(CENT)
            self._note(day, f"pay {amount} of {invoice.display_name}")
            self._register_payment(invoice, float(amount), day)

    def _credit_note_button(self, move, day):
        """*Credit Note* on ``move`` (``refund_moves``): its draft reversal."""
        with freeze_time(day):
            wizard = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=move.ids)
                .create({"reason": "goodwill", "journal_id": move.journal_id.id})
            )
            wizard.refund_moves()
        return wizard.new_move_ids

    def _remaining(self, billing, move, line_id):
        """What the ledger says ``move`` still bills for ``line_id``."""
        periods = self.env["sale.subscription.ledger"]._billed_periods(
            billing.subscription, move.subscription_period_start
        )
        for period in periods:
            for document in period.billing_documents():
                if document.ref == move.id:
                    for line in document.lines:
                        if line.key == line_id:
                            return line.remaining_amount
        return Decimal(0)

    def _act_goodwill(self, day):
        """A goodwill credit note on a posted document of a period: one line
        at a lower unit price, or a typed line, up to what remains of it."""
        candidates = [
            (billing, slab)
            for billing in self.walk
            for slab in billing.all_slabs()
            if slab.move and slab.move.state == "posted" and not slab.cancelled
        ]
        if not candidates:
            return
        # the newest slabs more often: a later reduction takes its units there
        # first, after the goodwill left it little or nothing
        candidates.sort(key=lambda pair: (pair[1].start, pair[1].since))
        billing, slab = self.rng.choice(candidates[-3:] + candidates)
        move = slab.move
        line_id = next(
            key for (key, _start), slabs in billing.slabs.items() if slab in slabs
        )
        remaining = self._remaining(billing, move, line_id)
        if remaining <= CENT:
            return
        # all of it half the time: then nothing is left to credit
        part = self.rng.choice(
            (1, 1, 1, Decimal("0.2"), Decimal("0.5"), Decimal("0.8"))
        )
        target = (remaining * part).quantize(CENT, rounding=ROUND_DOWN)
        credit_note = self._credit_note_button(move, day)
        billed = credit_note.invoice_line_ids.filtered(
            lambda line: (
                line.subscription_line_id.id == line_id
                and not line.subscription_rounding
            )
        )[:1]
        one_line = len(move.invoice_line_ids.subscription_line_id) == 1
        how = self.rng.choice(("price", "typed", "typed without product"))
        if how == "price" and billed:
            kept = Decimal(1) - Decimal(str(billed.discount)) / 100
            price = (target / (Decimal(str(billed.quantity)) * kept)).quantize(
                CENT, rounding=ROUND_DOWN
            )
            commands = [Command.update(billed.id, {"price_unit": float(price)})]
            commands += [
                Command.delete(line.id)
                for line in credit_note.invoice_line_ids - billed
            ]
        else:
            typed = {"name": "Goodwill", "quantity": 1, "price_unit": float(target)}
            if how == "typed" or not one_line:
                how = "typed"
                typed["product_id"] = (
                    self.env["sale.subscription.line"].browse(line_id).product_id.id
                )
                typed["price_unit"] = float(target)
            commands = [Command.clear(), Command.create(typed)]
        credit_note.write({"invoice_line_ids": commands})
        fate = self.rng.choice(("posted", "posted", "draft", "deleted"))
        self._note(
            day,
            f"goodwill on {move.display_name} ({how}): {credit_note.amount_untaxed} "
            f"of {remaining}, {fate}",
        )
        if fate == "deleted":
            credit_note.unlink()
        elif fate == "draft":
            self.goodwill_drafts |= credit_note
        else:
            credit_note.action_post()
            amount = sum(
                _fraction(line.price_subtotal)
                for line in credit_note.invoice_line_ids
                if line.display_type == "product"
            )
            slab.goodwill.append([credit_note, amount, True])
            self.focus = (
                billing,
                self.env["sale.subscription.line"].browse(line_id),
                move,
            )

    def _act_delete_goodwill(self, day):
        drafts = self.goodwill_drafts.exists()
        if drafts:
            draft = self.rng.choice(drafts)
            self._note(day, f"delete {draft.display_name}")
            self.goodwill_drafts -= draft
            draft.unlink()

    def _act_reverse_credit_note(self, day):
        """*Credit Note* on a posted credit note (a goodwill gesture or an
        amendment's): its reversal, posted."""
        documents = self._documents()
        reversed_ = documents.filtered(
            lambda move: move.move_type == "out_invoice" and move.state != "cancel"
        ).reversed_entry_id
        replaced = self.moves.union(
            *(self.moves.union(*billing.replaced) for billing in self.walk)
        )
        candidates = documents.filtered(
            lambda move: (
                move.move_type == "out_refund"
                and move.state == "posted"
                and move not in reversed_
                # not the reverse half of a reverse and create
                and move.reversed_entry_id not in replaced
            )
        )
        if candidates:
            credit_note = self.rng.choice(candidates)
            reversal = self._credit_note_button(credit_note, day)
            reversal.action_post()
            self._note(
                day, f"reverse {credit_note.display_name}: {reversal.display_name}"
            )
            self._billing_of(credit_note).undo(credit_note)

    def _post_everything(self):
        waiting = self._waiting()
        if not self.post_all_at_the_end:
            # dated later: the accountant switches its auto-posting off to post now
            waiting.filtered(lambda move: move.auto_post != "no").auto_post = "no"
            for move in waiting:
                move.action_post()
        elif waiting:
            self.env["validate.account.move"].with_context(
                active_model="account.move", active_ids=waiting.ids
            ).create({"force_post": True}).validate_move()
        self.assertFalse(self._waiting())

    # -- the checks --------------------------------------------------------------

    def _target(self, line):
        """The subscription line a document line bills or credits: its link,
        else the one of its product (or the only one) that the document, or
        the one it corrects, bills."""
        if line.subscription_line_id:
            return line.subscription_line_id
        move = line.move_id
        while move:
            linked = move.invoice_line_ids.subscription_line_id
            if line.product_id:
                linked = linked.filtered(
                    lambda sub_line: sub_line.product_id == line.product_id
                )
            if len(linked) == 1:
                return linked
            move = move.reversed_entry_id
        self.fail(f"{line.move_id.display_name}: {line.name} is for no line")

    def _attributed_lines(self, moves):
        """{subscription line id: [(document line, sign)]} over ``moves``."""
        lines = defaultdict(list)
        for move in self._counted(moves):
            sign = -1 if move.move_type == "out_refund" else 1
            for line in move.invoice_line_ids:
                if line.display_type == "product":
                    lines[self._target(line).id].append((line, sign))
        return lines

    @staticmethod
    def _net(lines):
        return sum(
            (sign * _fraction(line.price_subtotal) for line, sign in lines),
            Fraction(0),
        )

    def _check_ledger(self, billing):
        attributed = self._attributed_lines(self._documents(billing))
        for line_id in billing.prices:
            lines = attributed.get(line_id, [])
            ledger = self._net(lines)
            consumed = billing.consumption(line_id)
            name = self.env["sale.subscription.line"].browse(line_id).product_id.name
            self.assertTrue(
                abs(ledger - consumed) <= HALF_CENT * max(len(lines), 1),
                f"{billing.subscription.partner_id.name}, {name}: billed − credited "
                f"{float(ledger):.3f}, expected {float(consumed):.3f}, over "
                f"{len(lines)} document lines",
            )

    def _check_credits_never_exceed(self, billing):
        documents = self._counted(self._documents(billing))
        invoices = documents.filtered(
            lambda move: move.move_type == "out_invoice" and move.subscription_billed_id
        )
        roots = invoices - self.moves.union(*billing.replaced.values())
        for root in roots:
            chain = billing.chain(root)
            refunds = documents.filtered(
                lambda move, chain=chain: move.reversed_entry_id in chain
            )
            reversals = documents.filtered(
                lambda move, refunds=refunds: move.reversed_entry_id in refunds
            )
            ours = refunds.filtered("amendment_id")
            ours |= reversals.filtered(
                lambda move, ours=ours: move.reversed_entry_id in ours
            )
            billed = self._attributed_lines((chain | refunds | reversals) - ours)
            credited = self._attributed_lines(ours)
            net = sum((self._net(lines) for lines in billed.values()), Fraction(0))
            total = -sum((self._net(lines) for lines in credited.values()), Fraction(0))
            self.assertTrue(
                total <= net + HALF_CENT,
                f"{root.display_name}: credited {float(total)} of {float(net)}",
            )
            for line_id, lines in credited.items():
                line_billed = self._net(billed[line_id])
                line_credited = -self._net(lines)
                self.assertTrue(
                    line_credited <= line_billed + HALF_CENT * len(lines),
                    f"{root.display_name}: "
                    f"{self.env['sale.subscription.line'].browse(line_id).product_id.name} "
                    f"credited {float(line_credited)} of {float(line_billed)}",
                )

    def _check_matching(self, billing):
        documents = self._documents(billing)
        refunds = documents.filtered(
            lambda move: move.move_type == "out_refund" and move.state == "posted"
        )
        for refund in refunds:
            own = billing.chain(refund.reversed_entry_id) | documents.filtered(
                lambda move, refund=refund: move.reversed_entry_id == refund
            )
            matched = self._matched_moves(refund)
            self.assertFalse(
                matched - own,
                f"{refund.display_name} of {refund.partner_id.name} is matched with "
                f"{(matched - own).mapped('display_name')}",
            )
            open_invoices = own.filtered(
                lambda move: (
                    move.state == "posted"
                    and move.move_type == "out_invoice"
                    and not move.currency_id.is_zero(move.amount_residual)
                )
            )
            self.assertFalse(
                not refund.currency_id.is_zero(refund.amount_residual)
                and open_invoices,
                f"{refund.display_name} is left open beside "
                f"{open_invoices.mapped('display_name')}",
            )

    def _check_dates(self, billing):
        """No generated document is dated before the one it corrects."""
        for move in self._counted(self._documents(billing)).filtered("amendment_id"):
            corrected = move.reversed_entry_id or self.origins[move]
            self.assertGreaterEqual(
                move.invoice_date,
                corrected.invoice_date,
                f"{move.display_name} is dated {move.invoice_date}, before "
                f"{corrected.display_name} ({corrected.invoice_date})",
            )

    def _check_fiscal_position(self, billing):
        """Period invoices and amendments' documents on the mapped account."""
        for move in self._counted(self._documents(billing)):
            if move.subscription_billed_id or move.amendment_id:
                self.assertEqual(
                    move.invoice_line_ids.account_id,
                    self.eu_account,
                    move.display_name,
                )

    def _check_no_document_twice(self):
        for amendment in self.amendments:
            keys = [
                (move.move_type, move.subscription_period_start, move.reversed_entry_id)
                for move in amendment.move_ids
            ]
            self.assertEqual(len(keys), len(set(keys)), amendment.name)
        done = self.amendments[-1]
        count = len(done.move_ids)
        with freeze_time(done.effective_date), self.assertRaises(UserError):
            done.action_apply()
        self.assertEqual(len(done.move_ids), count)


class TestLedgerWalks(LedgerWalkCase):
    """The fixed seeds (and LEDGER_WALKS random ones) are added below."""


class TestLedgerWalksWithoutAccountant(LedgerWalkCase):
    """The control: amendments only, each document posted on its own, period
    invoices posted when billed. Main's ledger was right on this path; it
    checks the walk's own bookkeeping."""

    actions = {"amend": 6, "post_one": 2}
    post_when_billed = 1.0
    post_all_at_the_end = False

    def test_walk_seed_01(self):
        self._walk(1)


def _walk_test(seed):
    def test(self):
        self._walk(seed)

    test.__doc__ = f"Ledger walk, seed {seed}."
    return test


def _extra_seeds():
    """``LEDGER_WALKS=N``: N new random seeds; ``LEDGER_SEEDS=a,b``: those seeds
    again (a failing walk logs its seed)."""
    count = int(os.environ.get("LEDGER_WALKS") or 0)
    system = random.SystemRandom()
    again = [
        int(seed) for seed in os.environ.get("LEDGER_SEEDS", "").split(",") if seed
    ]
    return again + [system.randrange(10**5, 10**9) for _walk in range(count)]


for _seed in FIXED_SEEDS:
    setattr(TestLedgerWalks, f"test_walk_seed_{_seed:02d}", _walk_test(_seed))
for _seed in _extra_seeds():
    setattr(TestLedgerWalks, f"test_walk_random_seed_{_seed}", _walk_test(_seed))
