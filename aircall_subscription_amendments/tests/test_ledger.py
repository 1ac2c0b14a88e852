# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The ledger invariant, over seeded random sequences of amendments.

Each period is billed by subscription_oca at its start (sometimes the next
one too, in advance) and posted; amendments take effect inside billed
periods, on days moving forward. Afterwards, per product:

- Σ invoiced − Σ credited is the exact prorated consumption (quantity ×
  net unit price × share of each billed period the quantity held), within
  half a cent per document line involved;
- no credit exceeds what its period invoiced for the line, net of earlier
  credits;
- no document was created twice.
"""

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError

from .common import SubscriptionCase

HALF_CENT = Fraction(1, 200)
ADDON_PRICE = Decimal("9.99")


class TestLedgerInvariant(SubscriptionCase):
    def test_seed_1(self):
        self._run(seed=1, start=date(2024, 1, 6))

    def test_seed_2_month_ends(self):
        self._run(seed=2, start=date(2024, 1, 31))

    def test_seed_3_auto_post(self):
        self.company.amendment_auto_post = True
        self._run(seed=3, start=date(2024, 3, 15))

    # -- the sequence ----------------------------------------------------------

    def _run(self, seed, start):
        rng = random.Random(seed)
        subscription = self._subscription(start)
        users = subscription.sale_subscription_line_ids.filtered(
            lambda line: line.product_id == self.product_users
        )
        # net 21.875: credits land on half cents
        users.write_with_override({"discount": 12.5}, "negotiated discount")
        # what the contract holds, day by day: product -> [(from, quantity, net price)]
        held = {
            line.product_id: [(start, Decimal(line.product_uom_qty), self._net(line))]
            for line in subscription.sale_subscription_line_ids
        }
        # every change stays on time for the notice rule: up to its deadline
        deadline = subscription._renewal_date_after(start) - timedelta(
            days=subscription.notice_days
        )
        amendments = self.env["sale.subscription.amendment"]
        billed = [self._bill(subscription, start)]  # (start, next_start), in order
        current = 0
        while billed[current][1] - timedelta(days=1) <= deadline:
            period_start, next_start = billed[current]
            if current + 1 == len(billed) and rng.random() < 0.3:
                # the next period billed in advance
                billed.append(self._bill(subscription, next_start))
            day = period_start
            for _change in range(rng.randint(0, 3)):
                day += timedelta(days=rng.randint(0, 12))
                if day >= next_start:
                    break
                amendment = self._random_amendment(rng, subscription, day, held)
                if amendment:
                    amendments |= amendment
                    if rng.random() < 0.5:
                        amendment.move_ids.filtered(
                            lambda move: move.state == "draft"
                        ).action_post()
            current += 1
            if current == len(billed):
                billed.append(self._bill(subscription, next_start))
        self.assertGreaterEqual(len(billed), 10)
        self.assertTrue(amendments, "the seed made no amendment: pick another")
        self._check_ledger(subscription, held)
        self._check_credits_never_exceed(subscription)
        self._check_no_document_twice(amendments)

    def _subscription(self, start):
        subscription = self._start(
            self._create_subscription(
                start=start,
                lines=[(self.product_users, 10), (self.product_numbers, 4)],
            )
        )
        subscription.recurring_next_date = start
        return subscription

    def _bill(self, subscription, period_start):
        self.assertEqual(subscription.recurring_next_date, period_start)
        before = subscription._billing_moves()
        with freeze_time(period_start):
            subscription.generate_invoice()
        invoice = subscription._billing_moves() - before
        invoice.action_post()
        return invoice.subscription_period_start, invoice.subscription_period_next_start

    def _random_amendment(self, rng, subscription, day, held):
        changes = {}
        for line in subscription.sale_subscription_line_ids:
            if rng.random() < 0.5:
                quantity = rng.randint(0, 15)
                if quantity != line.product_uom_qty:
                    changes[line] = quantity
        add = ()
        has_addon = (
            self.product_addon in subscription.sale_subscription_line_ids.product_id
        )
        if not has_addon and rng.random() < 0.3:
            add = ((self.product_addon, rng.randint(1, 3)),)
        if not changes and not add:
            return None
        with freeze_time(day):
            amendment = self.env["sale.subscription.amendment"].create(
                {
                    "subscription_id": subscription.id,
                    "effective_date": day,
                    "line_ids": [
                        Command.create(
                            {"subscription_line_id": line.id, "new_quantity": quantity}
                        )
                        for line, quantity in changes.items()
                    ]
                    + [
                        Command.create(
                            {
                                "product_id": product.id,
                                "new_quantity": quantity,
                                "price_unit": float(ADDON_PRICE),
                            }
                        )
                        for product, quantity in add
                    ],
                }
            )
            nets = {line.product_id: self._net(line) for line in changes}
            amendment.action_apply()
        self.assertEqual(amendment.state, "done")
        for line, quantity in changes.items():
            held[line.product_id].append(
                (day, Decimal(quantity), nets[line.product_id])
            )
        for product, quantity in add:
            held.setdefault(product, []).append((day, Decimal(quantity), ADDON_PRICE))
        return amendment

    @staticmethod
    def _net(line):
        price = Decimal(str(line.price_unit))
        return price * (100 - Decimal(str(line.discount))) / 100

    # -- the checks ------------------------------------------------------------

    def _moves(self, subscription):
        return self.env["account.move"].search(
            [
                ("subscription_billed_id", "=", subscription.id),
                ("state", "!=", "cancel"),
            ],
            order="id",
        )

    def _consumption(self, changes, start, next_start):
        """Exact: Σ quantity × net price × days held / days of the period."""
        total = Fraction(0)
        days = (next_start - start).days
        for index, (since, quantity, price) in enumerate(changes):
            until = changes[index + 1][0] if index + 1 < len(changes) else next_start
            first, last = max(since, start), min(until, next_start)
            if last > first:
                total += (
                    Fraction(quantity)
                    * Fraction(price)
                    * Fraction((last - first).days, days)
                )
        return total

    def _check_ledger(self, subscription, held):
        moves = self._moves(subscription)
        periods = {
            (move.subscription_period_start, move.subscription_period_next_start)
            for move in moves
            if move.move_type == "out_invoice" and not move.amendment_id
        }
        for product, changes in held.items():
            lines = moves.invoice_line_ids.filtered(
                lambda line, p=product: line.product_id == p
            )
            ledger = sum(
                (
                    Fraction(Decimal(str(line.price_subtotal)))
                    * (-1 if line.move_id.move_type == "out_refund" else 1)
                    for line in lines
                ),
                Fraction(0),
            )
            consumed = sum(
                (self._consumption(changes, *period) for period in periods),
                Fraction(0),
            )
            self.assertLessEqual(
                abs(ledger - consumed),
                HALF_CENT * len(lines),
                f"{product.name}: ledger {float(ledger)} vs consumption "
                f"{float(consumed)} over {len(lines)} lines",
            )

    def _check_credits_never_exceed(self, subscription):
        balance = defaultdict(Fraction)
        for move in self._moves(subscription):
            period = (
                move.subscription_period_start,
                move.subscription_period_next_start,
            )
            # per product: a document line and its rounding line
            amounts = defaultdict(Fraction)
            for line in move.invoice_line_ids:
                amounts[line.product_id] += Fraction(Decimal(str(line.price_subtotal)))
            for product, amount in amounts.items():
                key = (period, product)
                if move.move_type == "out_refund":
                    self.assertGreater(amount, 0)
                    self.assertLessEqual(
                        amount, balance[key], f"{move.name} credits too much"
                    )
                    balance[key] -= amount
                else:
                    balance[key] += amount
            if move.move_type == "out_refund":
                self.assertEqual(
                    move.reversed_entry_id.subscription_period_start, period[0]
                )

    def _check_no_document_twice(self, amendments):
        for amendment in amendments:
            # one credit note per corrected document, one invoice per period
            keys = [
                (move.move_type, move.reversed_entry_id, move.subscription_period_start)
                for move in amendment.move_ids
            ]
            self.assertEqual(len(keys), len(set(keys)), amendment.name)
        done = amendments[-1]
        count = len(done.move_ids)
        with freeze_time(done.effective_date), self.assertRaises(UserError):
            done.action_apply()
        self.assertEqual(len(done.move_ids), count)
