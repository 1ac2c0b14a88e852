# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The ledger invariant with price changes (issue 25), over seeded random walks.

One monthly contract (users at 30.00), billed by subscription_oca at each
period's start and posted. On random days an amendment, effective that day,
sets a new quantity, a new unit price, a new discount, or several of them,
of the users' line: cuts and rises, more users at a lower price, fewer at a
higher one; and now and then the accountant's goodwill credit note (Odoo's
*Credit Note* on the period's invoice, 0.50 off each user billed) or *Reverse
and create invoice* of one of the period's invoices (its own or an
amendment's: an invoice and its replacement are one document, issue 21). All
documents are posted as they come.

Afterwards, per billed period, what the period's documents billed less what
they credited for the line (tax excluded) is the exact consumption: Σ over the
period's days of the day's quantity × net unit price ÷ the period's days,
within half a cent per document line; and no document is credited beyond
what it billed (``_over_credits``). The amount, not the units: the price
differences add and remove none.

8 fixed seeds by default; ``LEDGER_PRICE_WALKS=N`` adds N random ones.
"""

import logging
import os
import random
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user

from .common import SubscriptionCase
from .test_wizard import MANAGER_GROUPS

_logger = logging.getLogger(__name__)

HALF_CENT = Fraction(1, 200)
START = date(2024, 7, 6)
WALK_DAYS = 62
FIXED_SEEDS = range(1, 9)
PRICES = (
    Decimal("18"),
    Decimal("22.5"),
    Decimal("27"),
    Decimal("30"),
    Decimal("33"),
    Decimal("41.5"),
)
GOODWILL = 0.5
DISCOUNTS = (Decimal(0), Decimal(10), Decimal("12.5"))
#: the chance a day brings a reverse and create of one of the period's invoices
REPLACE = 0.06


def _seeds():
    extra = int(os.environ.get("LEDGER_PRICE_WALKS", "0") or 0)
    return list(FIXED_SEEDS) + [random.randrange(10**6, 10**7) for _ in range(extra)]


class TestLedgerWalksPrices(SubscriptionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product_users.list_price = 30.0
        cls.manager = new_test_user(
            cls.env, login="walk_manager", groups=MANAGER_GROUPS
        )

    def _walk(self, seed):
        rng = random.Random(seed)
        # the replacements draw apart: the changes of a seed stay what they were
        replacing = random.Random(f"replace {seed}")
        with freeze_time("2024-01-06"):
            subscription = self._start(
                self._create_subscription(start=date(2024, 1, 6))
            )
            subscription.flush_recordset()
        line = subscription.sale_subscription_line_ids
        # the line's terms per day, from the amendments effective that day
        terms = {}
        current = (Decimal(10), Decimal(30), Decimal(0))
        periods, log, goodwill = [], [], {}
        next_start = START
        for offset in range(WALK_DAYS):
            day = START + timedelta(days=offset)
            if day == next_start:
                invoice = self._invoice_period(subscription, day)
                periods.append(
                    (
                        invoice.subscription_period_start,
                        invoice.subscription_period_next_start,
                    )
                )
                next_start = invoice.subscription_period_next_start
                period_invoice = invoice
            if offset and rng.random() < 0.3:
                current = self._amend_randomly(
                    rng, subscription, line, day, current, log
                )
            if replacing.random() < REPLACE:
                period_invoice = self._replace_randomly(
                    replacing, period_invoice, day, log
                )
            if rng.random() < 0.08:
                start = period_invoice.subscription_period_start
                goodwill[start] = goodwill.get(start, 0) + self._goodwill(
                    period_invoice, day
                )
                log.append((day, "goodwill"))
            terms[day] = current
        return subscription, line, terms, periods, log, goodwill

    def _replace_randomly(self, rng, period_invoice, day, log):
        """*Reverse and create invoice* on one of the period's invoices (its
        own, or an amendment's: a rise, new users), the replacement posted.
        Returns the period's invoice (its replacement, if it was the one)."""
        candidates = self.env["account.move"].search(
            [
                (
                    "subscription_billed_id",
                    "=",
                    period_invoice.subscription_billed_id.id,
                ),
                (
                    "subscription_period_start",
                    "=",
                    period_invoice.subscription_period_start,
                ),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("subscription_replacement_ids", "=", False),
            ],
            order="id",
        )
        if not candidates:
            return period_invoice
        invoice = rng.choice(candidates)
        replacement = self._reverse_and_replace(invoice, day)
        with freeze_time(day):
            replacement.action_post()
        # an amendment's invoice (a rise, new users), or the period's own
        ours = bool(invoice._issuing_amendment())
        log.append((day, "replace", invoice.name, replacement.name, ours))
        return replacement if invoice == period_invoice else period_invoice

    def _goodwill(self, invoice, day):
        """*Credit Note* on ``invoice``, its line edited to 0.50 a user, posted."""
        with freeze_time(day):
            wizard = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"reason": "goodwill", "journal_id": invoice.journal_id.id})
            )
            wizard.refund_moves()
            credit_note = wizard.new_move_ids
            credit_note.invoice_line_ids.price_unit = GOODWILL
            credit_note.action_post()
        return Fraction(Decimal(str(credit_note.amount_untaxed)))

    def _amend_randomly(self, rng, subscription, line, day, current, log):
        quantity, price, discount = current
        kind = rng.choice(("quantity", "price", "discount", "both", "both"))
        new = (
            Decimal(rng.randint(1, 15)) if kind in ("quantity", "both") else quantity,
            rng.choice(PRICES) if kind in ("price", "both") else price,
            rng.choice(DISCOUNTS) if kind == "discount" else discount,
        )
        if new == current:
            return current
        values = {"subscription_line_id": line.id, "new_quantity": float(new[0])}
        if new[1:] != current[1:]:
            values.update(new_price_unit=float(new[1]), new_discount=float(new[2]))
        with freeze_time(day):
            amendment = (
                self.env["sale.subscription.amendment"]
                .with_user(self.manager)
                .create_and_apply(
                    {
                        "subscription_id": subscription.id,
                        "line_ids": [Command.create(values)],
                    }
                )
            )
        self.env["account.move"].search(
            [("amendment_id", "=", amendment.id), ("state", "=", "draft")]
        ).action_post()
        log.append((day, current, new))
        return new

    def _check(self, seed):
        subscription, line, terms, periods, log, goodwill = self._walk(seed)
        moves = self.env["account.move"].search(
            [("subscription_billed_id", "=", subscription.id), ("state", "=", "posted")]
        )
        for start, next_start in periods:
            days = (next_start - start).days
            expected = (
                sum(
                    (
                        Fraction(quantity)
                        * Fraction(price)
                        * (1 - Fraction(discount) / 100)
                        for day, (quantity, price, discount) in terms.items()
                        if start <= day < next_start
                    ),
                    Fraction(0),
                )
                / days
            )
            if next_start > START + timedelta(days=WALK_DAYS):
                # the last period: the days after the walk keep the last terms
                quantity, price, discount = terms[max(terms)]
                tail = (next_start - (START + timedelta(days=WALK_DAYS))).days
                expected += (
                    Fraction(quantity)
                    * Fraction(price)
                    * (1 - Fraction(discount) / 100)
                    * tail
                    / days
                )
            expected -= goodwill.get(start, 0)
            documents = moves.filtered(
                lambda move, start=start: move.subscription_period_start == start
            )
            documents |= self.env["account.move"].search(
                [
                    ("reversed_entry_id", "in", documents.ids),
                    ("amendment_id", "=", False),
                    ("state", "=", "posted"),
                ]
            )
            lines = documents.invoice_line_ids.filtered(
                lambda aml: aml.subscription_line_id == line
            )
            billed = sum(
                Fraction(Decimal(str(aml.price_subtotal)))
                * (-1 if aml.move_id.move_type == "out_refund" else 1)
                for aml in lines
            )
            self.assertLessEqual(
                abs(billed - expected),
                HALF_CENT * len(lines),
                f"seed {seed}, period {start}: billed {float(billed):.2f}, consumed "
                f"{float(expected):.4f}; changes {log}",
            )
        self.assertFalse(self.env["sale.subscription.ledger"]._over_credits())
        return log

    def test_walks(self):
        changes, replaced = 0, set()
        for seed in _seeds():
            with self.subTest(seed=seed):
                log = self._check(seed)
                replacements = [entry for entry in log if entry[1] == "replace"]
                changes += len(log) - len(replacements)
                replaced |= {entry[-1] for entry in replacements}
        # the walks did change prices and quantities, and replaced both the
        # periods' invoices and the amendments'
        self.assertGreater(changes, len(FIXED_SEEDS) * 3)
        self.assertEqual(replaced, {False, True})
