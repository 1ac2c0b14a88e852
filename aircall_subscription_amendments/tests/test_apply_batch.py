# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Applying many amendments in one call: the same results as one by one, in a
number of queries that does not grow with the lines (bench/ measures the time)."""

from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError

from .common import SubscriptionCase


class TestApplyBatch(SubscriptionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.amendment_auto_post = True
        cls.lines = [
            (cls.product_users, 10),
            (cls.product_numbers, 4),
            (cls.product_addon, 1),
        ]
        cls.subscriptions = cls.env["sale.subscription"]
        cls.invoices = cls.env["account.move"]
        for _i in range(3):
            subscription = cls._start(cls._create_subscription(lines=cls.lines))
            cls.invoices |= cls._invoice_period(subscription, date(2024, 7, 6))
            cls.subscriptions |= subscription

    def test_one_call_for_several_subscriptions(self):
        quantities = {self.product_users: 6, self.product_addon: 0}
        with freeze_time("2024-07-10"):
            amendments = self.env["sale.subscription.amendment"]
            for subscription in self.subscriptions:
                amendments |= self._amend(subscription, quantities)
            amendments.action_apply()
        self.assertEqual(set(amendments.mapped("state")), {"done"})
        for amendment, subscription, invoice in zip(
            amendments, self.subscriptions, self.invoices, strict=True
        ):
            credit_note = amendment.move_ids
            self.assertEqual(len(credit_note), 1)
            self.assertEqual(credit_note.state, "posted")
            self.assertEqual(credit_note.reversed_entry_id, invoice)
            # reconciled with the invoice it corrects, and only with it
            receivable = invoice.line_ids.filtered(
                lambda line: line.account_type == "asset_receivable"
            )
            self.assertEqual(
                receivable.matched_credit_ids.credit_move_id.move_id, credit_note
            )
            self.assertEqual(credit_note.payment_state, "paid")
            self.assertEqual(invoice.payment_state, "partial")
            self.assertAlmostEqual(
                invoice.amount_residual,
                invoice.amount_total - credit_note.amount_total,
            )
            # 4 × 25.00 × 27/31 = 87.10 and 1 × 10.00 × 27/31 = 8.71
            self.assertAlmostEqual(credit_note.amount_untaxed, 95.81)
            lines = subscription.sale_subscription_line_ids
            self.assertEqual(
                lines.product_id, self.product_users | self.product_numbers
            )
            self.assertEqual(lines.mapped("product_uom_qty"), [6, 4])
            self.assertEqual(
                credit_note.invoice_line_ids.subscription_line_id,
                invoice.invoice_line_ids.filtered(
                    lambda line: line.product_id != self.product_numbers
                ).subscription_line_id,
            )
            for record in (amendment, subscription):
                notes = record.message_ids.filtered(
                    lambda message, amendment=amendment: (
                        amendment.name in (message.body or "")
                        and "applied by" in (message.body or "")
                    )
                )
                self.assertEqual(len(notes), 1, record.display_name)
                self.assertIn(credit_note.name, notes.body)

    def test_queries_do_not_grow_with_the_lines(self):
        products = [self._create_product(f"Option {i}", 5.0 + i) for i in range(10)]
        small = self._start(self._create_subscription(lines=[(products[0], 4)]))
        large = self._start(
            self._create_subscription(lines=[(product, 4) for product in products])
        )
        warm_up = self._start(self._create_subscription(lines=self.lines))
        for subscription in (small, large, warm_up):
            self._invoice_period(subscription, date(2024, 7, 6))
        counts = []
        with freeze_time("2024-07-10"):
            self._amend(warm_up, {self.product_users: 6}).action_apply()
            for subscription in (small, large):
                amendment = self._amend(
                    subscription,
                    dict.fromkeys(
                        subscription.sale_subscription_line_ids.product_id, 2
                    ),
                )
                self.env.flush_all()
                before = self.env.cr.sql_log_count
                amendment.action_apply()
                self.env.cr.flush()
                counts.append(self.env.cr.sql_log_count - before)
                self.assertEqual(
                    len(
                        amendment.move_ids.invoice_line_ids.filtered(
                            lambda line: not line.subscription_rounding
                        )
                    ),
                    len(subscription.sale_subscription_line_ids),
                )
        small_count, large_count = counts
        # one line → ten lines: at most a few more queries, none per line
        self.assertLessEqual(large_count - small_count, 3, counts)

    def test_two_amendments_of_one_subscription_in_one_batch(self):
        """The second is judged on the lines the first left: both prepared from
        10 users cannot both credit from 10; on different lines, both apply."""
        subscription = self.subscriptions[0]
        with freeze_time("2024-07-10"):
            first = self._amend(subscription, {self.product_users: 8})
            second = self._amend(subscription, {self.product_users: 6})
            with self.assertRaisesRegex(UserError, "changed since this amendment"):
                (first | second).action_apply()
        self.assertEqual(set((first | second).mapped("state")), {"draft"})
        self.assertFalse((first | second).move_ids)
        users = subscription.sale_subscription_line_ids.filtered(
            lambda line: line.product_id == self.product_users
        )
        self.assertEqual(users.product_uom_qty, 10)

        with freeze_time("2024-07-10"):
            numbers = self._amend(subscription, {self.product_numbers: 2})
            (first | numbers).action_apply()
        self.assertEqual(set((first | numbers).mapped("state")), {"done"})
        self.assertEqual(users.product_uom_qty, 8)
        # 2 × 25.00 × 27/31 = 43.55 and 2 × 6.00 × 27/31 = 10.45
        self.assertEqual(first.move_ids.amount_untaxed, 43.55)
        self.assertEqual(numbers.move_ids.amount_untaxed, 10.45)
