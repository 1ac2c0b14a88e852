# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Every subscription_oca billing path records the period it billed.

``[start, next_start)``: start is ``recurring_next_date`` before billing,
next_start the one subscription_oca moves it to.
"""

from datetime import date

from freezegun import freeze_time

from odoo import Command

from .common import SubscriptionCase


class TestBilledPeriods(SubscriptionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.subscription = cls._start(
            cls._create_subscription(
                start=date(2024, 1, 6),
                lines=[(cls.product_users, 10), (cls.product_numbers, 3)],
            )
        )
        cls.subscription.recurring_next_date = date(2024, 7, 6)

    def _assert_period(self, move, start, next_start):
        self.assertEqual(move.subscription_billed_id, self.subscription)
        self.assertEqual(move.subscription_period_start, start)
        self.assertEqual(move.subscription_period_next_start, next_start)
        self.assertEqual(self.subscription.recurring_next_date, next_start)

    def _assert_lines_linked(self, move):
        by_product = {
            line.product_id: line.subscription_line_id for line in move.invoice_line_ids
        }
        self.assertEqual(
            by_product,
            {
                line.product_id: line
                for line in self.subscription.sale_subscription_line_ids
            },
        )

    def _new_moves(self, before):
        return self.subscription._billing_moves() - before

    def _generate(self, mode=None):
        """subscription_oca's invoicing in ``mode``: the documents it made."""
        if mode:
            self.template.invoicing_mode = mode
        before = self.subscription._billing_moves()
        self.subscription.generate_invoice()
        return self._new_moves(before)

    def test_generate_invoice_draft_mode(self):
        invoice = self._generate()
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "draft")
        self._assert_period(invoice, date(2024, 7, 6), date(2024, 8, 6))
        self.assertEqual(invoice.subscription_period_end, date(2024, 8, 5))
        self._assert_lines_linked(invoice)

    def test_generate_invoice_invoice_mode(self):
        invoice = self._generate("invoice")
        self.assertEqual(invoice.state, "posted")
        self._assert_period(invoice, date(2024, 7, 6), date(2024, 8, 6))
        self._assert_lines_linked(invoice)

    def test_generate_invoice_sale_and_invoice_mode(self):
        invoice = self._generate("sale_and_invoice")
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertTrue(invoice.invoice_line_ids.sale_line_ids)
        self.assertIn(invoice, self.subscription.sale_order_ids.invoice_ids)
        self._assert_period(invoice, date(2024, 7, 6), date(2024, 8, 6))
        self._assert_lines_linked(invoice)

    def test_sale_and_invoice_links_lines_of_the_same_product_by_price(self):
        """Two lines of one product: each invoice line finds its own."""
        self.subscription.sale_subscription_line_ids = [
            Command.create(
                {
                    "product_id": self.product_users.id,
                    "product_uom_qty": 2.0,
                    "price_unit": 20.0,
                }
            )
        ]
        invoice = self._generate("sale_and_invoice")
        for move_line in invoice.invoice_line_ids:
            sub_line = move_line.subscription_line_id
            self.assertTrue(sub_line)
            self.assertEqual(move_line.price_unit, sub_line.price_unit)
            self.assertEqual(move_line.quantity, sub_line.product_uom_qty)
        self.assertEqual(
            invoice.invoice_line_ids.subscription_line_id,
            self.subscription.sale_subscription_line_ids,
        )

    def test_manual_invoice(self):
        before = self.subscription._billing_moves()
        action = self.subscription.manual_invoice()
        invoice = self._new_moves(before)
        self.assertEqual(action["res_id"], invoice.id)
        self._assert_period(invoice, date(2024, 7, 6), date(2024, 8, 6))
        self._assert_lines_linked(invoice)

    def test_consecutive_periods_follow_subscription_oca_steps(self):
        """A contract started on 31 January is billed 31 Jan, 29 Feb, 29 Mar."""
        subscription = self._start(self._create_subscription(start=date(2024, 1, 31)))
        subscription.recurring_next_date = date(2024, 1, 31)
        invoices = self.env["account.move"]
        for _period in range(3):
            before = subscription._billing_moves()
            subscription.generate_invoice()
            invoices |= subscription._billing_moves() - before
        self.assertEqual(
            [
                (move.subscription_period_start, move.subscription_period_next_start)
                for move in invoices.sorted("subscription_period_start")
            ],
            [
                (date(2024, 1, 31), date(2024, 2, 29)),
                (date(2024, 2, 29), date(2024, 3, 29)),
                (date(2024, 3, 29), date(2024, 4, 29)),
            ],
        )

    def test_cron_bills_and_stamps(self):
        self.subscription.recurring_next_date = date(2024, 7, 6)
        before = self.subscription._billing_moves()
        with freeze_time("2024-07-06"):
            self.env["sale.subscription"].cron_subscription_management()
        invoice = self._new_moves(before)
        self.assertEqual(len(invoice), 1)
        self._assert_period(invoice, date(2024, 7, 6), date(2024, 8, 6))

    def test_invoice_in_the_subscription_currency(self):
        usd = self.env.ref("base.USD")
        eur = self.env.ref("base.EUR")
        foreign = usd if self.currency != usd else eur
        foreign.active = True
        pricelist = self.env["product.pricelist"].create(
            {"name": "Foreign", "currency_id": foreign.id}
        )
        subscription = self._start(
            self._create_subscription(start=date(2024, 1, 6), pricelist_id=pricelist.id)
        )
        subscription.recurring_next_date = date(2024, 7, 6)
        before = subscription._billing_moves()
        subscription.generate_invoice()
        invoice = subscription._billing_moves() - before
        self.assertEqual(invoice.currency_id, foreign)
        self.assertEqual(invoice.amount_untaxed, 250.0)

    def test_sale_and_invoice_mode_in_the_subscription_currency(self):
        usd = self.env.ref("base.USD")
        eur = self.env.ref("base.EUR")
        foreign = usd if self.currency != usd else eur
        foreign.active = True
        pricelist = self.env["product.pricelist"].create(
            {"name": "Foreign", "currency_id": foreign.id}
        )
        self.template.invoicing_mode = "sale_and_invoice"
        subscription = self._start(
            self._create_subscription(start=date(2024, 1, 6), pricelist_id=pricelist.id)
        )
        subscription.recurring_next_date = date(2024, 7, 6)
        before = subscription._billing_moves()
        subscription.generate_invoice()
        invoice = subscription._billing_moves() - before
        self.assertEqual(subscription.sale_order_ids.currency_id, foreign)
        self.assertEqual(invoice.currency_id, foreign)
        self.assertEqual(invoice.amount_untaxed, 250.0)
        self.assertEqual(invoice.subscription_period_start, date(2024, 7, 6))
