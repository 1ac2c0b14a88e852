# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The invoice report tells the billed period and, on amendment documents, the
amendment, its effective date and the invoice corrected."""

from datetime import date

from freezegun import freeze_time

from odoo import Command

from .common import SubscriptionCase

REPORT = "account.report_invoice"


class TestInvoiceReport(SubscriptionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.subscription = cls._start(cls._create_subscription(start=date(2024, 1, 6)))
        cls.invoice = cls._invoice_period(cls.subscription, date(2024, 7, 6))

    def _html(self, moves):
        html, _type = self.env["ir.actions.report"]._render_qweb_html(REPORT, moves.ids)
        return html.decode()

    def test_credit_note_shows_amendment_period_and_corrected_invoice(self):
        with freeze_time("2024-07-10"):
            amendment = self._amend(self.subscription, {self.product_users: 6})
            amendment.action_apply()
        credit_note = amendment.move_ids
        credit_note.action_post()
        html = self._html(credit_note)
        self.assertIn('id="subscription_amendment"', html)
        self.assertIn(amendment.name, html)
        self.assertIn("Corrected Invoice", html)
        self.assertIn(self.invoice.name, html)
        self.assertIn("Billed Period", html)
        # the billed period (6 July – 5 August) and the effective date, as dates
        # in the customer's language (en_US here)
        for day in ("07/06/2024", "08/05/2024", "07/10/2024"):
            self.assertIn(day, html)
        self.assertIn("10 → 6 (−4)", html)
        self.assertIn("(87 %)", html)
        self.assertIn("refunds", html)

    def test_upgrade_invoice_shows_amendment_without_corrected_invoice(self):
        with freeze_time("2024-07-10"):
            amendment = self._amend(self.subscription, {self.product_users: 12})
            amendment.action_apply()
        invoice = amendment.move_ids
        self.assertEqual(invoice.move_type, "out_invoice")
        html = self._html(invoice)
        self.assertIn(amendment.name, html)
        self.assertNotIn("Corrected Invoice", html)
        self.assertIn("10 → 12 (+2)", html)
        self.assertIn("bills, for the quantities added", html)

    def test_recurring_invoice_shows_billed_period_only(self):
        html = self._html(self.invoice)
        self.assertIn("Billed Period", html)
        self.assertIn("07/06/2024", html)
        self.assertIn("08/05/2024", html)
        self.assertNotIn('id="subscription_amendment"', html)

    def test_other_invoice_unchanged(self):
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.partner.id,
                "invoice_date": date(2024, 7, 1),
                "invoice_line_ids": [
                    Command.create({"product_id": self.product_users.id, "quantity": 1})
                ],
            }
        )
        html = self._html(move)
        self.assertNotIn("Billed Period", html)
        self.assertNotIn('id="subscription_amendment"', html)
