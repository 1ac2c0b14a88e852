# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The help-centre article's example, end to end (DOMAIN.md, "87 %")."""

from datetime import date

from freezegun import freeze_time

from .common import SubscriptionCase


class TestArticleExample(SubscriptionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.subscription = cls._start(cls._create_subscription(start=date(2024, 1, 6)))
        cls.invoice = cls._invoice_period(cls.subscription, date(2024, 7, 6))

    def test_invoice_records_its_billed_period(self):
        self.assertEqual(self.invoice.state, "posted")
        self.assertEqual(self.invoice.subscription_period_start, date(2024, 7, 6))
        self.assertEqual(self.invoice.subscription_period_next_start, date(2024, 8, 6))
        self.assertEqual(self.invoice.subscription_period_end, date(2024, 8, 5))
        self.assertEqual(
            self.invoice.invoice_line_ids.subscription_line_id,
            self.subscription.sale_subscription_line_ids,
        )

    def test_ten_users_to_six_on_10_july_credits_87_percent(self):
        with freeze_time("2024-07-10"):
            amendment = self._amend(self.subscription, {self.product_users: 6})
            self.assertEqual(amendment.request_date, date(2024, 7, 10))
            self.assertEqual(amendment.amendment_type, "downgrade")
            amendment.action_apply()
        self.assertEqual(amendment.state, "done")
        self.assertEqual(
            self.subscription.sale_subscription_line_ids.product_uom_qty, 6
        )
        credit_note = amendment.move_ids
        self.assertEqual(len(credit_note), 1)
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.state, "draft")
        self.assertEqual(credit_note.reversed_entry_id, self.invoice)
        self.assertEqual(credit_note.subscription_id, self.subscription)
        self.assertEqual(credit_note.invoice_date, date(2024, 7, 10))
        # 4 × 25.00 × 27/31 = 87.0967… rounded once
        self.assertEqual(credit_note.amount_untaxed, 87.10)
        self.assertEqual(credit_note.amount_tax, 17.42)
        line = credit_note.invoice_line_ids.filtered(
            lambda line: not line.subscription_rounding
        )
        # the 4 users at 25.00 × 27/31 = 21.77 each, and the cents that make 87.10
        self.assertEqual((line.quantity, line.price_unit), (4, 21.77))
        self.assertEqual(line.tax_ids, self.invoice.invoice_line_ids.tax_ids)
        self.assertEqual(line.account_id, self.invoice.invoice_line_ids.account_id)
        self.assertIn("10 → 6 (−4)", line.name)
        self.assertIn("(87 %)", line.name)
        self.assertIn("07/10/2024 – 08/05/2024", line.name)
