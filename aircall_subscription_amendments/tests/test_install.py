# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from .common import SubscriptionCase


class TestInstall(SubscriptionCase):
    def test_addon_installed_with_its_dependencies(self):
        modules = self.env["ir.module.module"].search(
            [
                (
                    "name",
                    "in",
                    ["aircall_subscription_amendments", "subscription_oca", "account"],
                )
            ]
        )
        self.assertEqual(set(modules.mapped("state")), {"installed"})
        self.assertEqual(len(modules), 3)

    def test_subscription_is_invoiced_through_subscription_oca(self):
        subscription = self._create_subscription(
            lines=[(self.product_users, 10), (self.product_numbers, 3)]
        )
        subscription.action_start_subscription()
        subscription.recurring_next_date = date(2024, 7, 6)
        subscription.generate_invoice()
        invoice = subscription.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.move_type, "out_invoice")
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(invoice.invoice_date, date(2024, 7, 6))
        self.assertEqual(
            sorted(invoice.invoice_line_ids.mapped("quantity")), [3.0, 10.0]
        )
        # 10 × 25 + 3 × 6
        self.assertAlmostEqual(invoice.amount_untaxed, 268.0)
        self.assertAlmostEqual(invoice.amount_tax, 53.6)
        # subscription_oca steps the next date from the previous one
        self.assertEqual(subscription.recurring_next_date, date(2024, 8, 6))
