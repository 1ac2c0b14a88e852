# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Installing on a database full of running contracts.

scripts/test.sh seeds the test database before it installs the addon
(scripts/seed_adoption.py): subscriptions billed by subscription_oca alone for
three months, the current month posted, in its invoice mode and in its sale
order and invoice mode, and one with an extra invoice off the recurrence. These
tests check what the installation (its post-init hook) made of them, and that
the upgrade from 18.0.1.0.0 does the same (its migration script).
"""

import importlib.util
import os
from datetime import date
from pathlib import Path

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.tests import new_test_user

from .. import tools
from ..tools import internal
from .common import SubscriptionCase

CUSTOMER = "Adoption customer (invoiced before the addon)"
MIGRATION = (
    Path(__file__).resolve().parent.parent
    / "migrations"
    / "18.0.1.1.0"
    / "post-migration.py"
)


class TestAdoption(SubscriptionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        subscriptions = cls.env["sale.subscription"].search(
            [("partner_id.name", "=", CUSTOMER)], order="id"
        )
        cls.seeded = {
            subscription.template_id.name: subscription
            for subscription in subscriptions
        }

    def setUp(self):
        super().setUp()
        if not self.seeded:
            if os.environ.get("AIRCALL_ADOPTION_SEEDED"):
                self.fail("scripts/test.sh seeded this database, yet no seed is found")
            self.skipTest(
                "no subscription invoiced before the addon: scripts/test.sh seeds them "
                "(scripts/seed_adoption.py) before installing"
            )
        self.today = fields.Date.context_today(self.env["sale.subscription"])
        self.first = (self.today - relativedelta(months=2)).replace(day=1)
        self.boundaries = [self.first + relativedelta(months=i) for i in range(4)]

    def _invoices(self, subscription):
        return (
            subscription._billing_moves()
            .filtered(lambda move: move.move_type == "out_invoice")
            .sorted("invoice_date")
        )

    def test_invoices_made_before_the_addon_have_their_billed_period(self):
        for name in ("Adoption: invoices", "Adoption: sale orders"):
            subscription = self.seeded[name]
            invoices = self._invoices(subscription)
            self.assertEqual(len(invoices), 3, name)
            self.assertEqual(set(invoices.mapped("state")), {"posted"})
            self.assertEqual(
                [
                    (
                        move.subscription_billed_id,
                        move.subscription_period_start,
                        move.subscription_period_next_start,
                    )
                    for move in invoices
                ],
                [
                    (subscription, start, next_start)
                    for start, next_start in zip(
                        self.boundaries, self.boundaries[1:], strict=False
                    )
                ],
                name,
            )
            self.assertEqual(
                invoices.invoice_line_ids.subscription_line_id,
                subscription.sale_subscription_line_ids,
            )

    def test_a_reduction_today_credits_the_current_period(self):
        admin = new_test_user(
            self.env,
            login="adoption_admin",
            groups="aircall_subscription_amendments.group_amendment_admin",
        )
        for name in ("Adoption: invoices", "Adoption: sale orders"):
            subscription = self.seeded[name]
            # the vendor gives the template its 12-month term: its contracts follow
            subscription.template_id.with_user(admin).term_interval = 12
            self.assertEqual(subscription.term_interval, 12)
            self.assertEqual(
                subscription.renewal_date, self.first + relativedelta(months=12)
            )
            current = self._invoices(subscription)[-1]
            line = subscription.sale_subscription_line_ids
            amendment = self.env["sale.subscription.amendment"].create_and_apply(
                {
                    "subscription_id": subscription.id,
                    "line_ids": [
                        Command.create(
                            {"subscription_line_id": line.id, "new_quantity": 6}
                        )
                    ],
                }
            )
            credit_note = amendment.move_ids
            self.assertEqual(credit_note.move_type, "out_refund", name)
            self.assertEqual(credit_note.reversed_entry_id, current, name)
            # 4 × 25.00 × the days left of the month / the month's days
            start, next_start = self.boundaries[2], self.boundaries[3]
            expected = round(
                4 * 25.0 * (next_start - self.today).days / (next_start - start).days,
                2,
            )
            self.assertAlmostEqual(credit_note.amount_untaxed, expected, places=2)

    def test_an_invoice_off_the_recurrence_is_listed_not_guessed(self):
        subscription = self.seeded["Adoption: off the recurrence"]
        invoices = self._invoices(subscription)
        self.assertEqual(len(invoices), 4)
        extra = invoices.filtered(lambda move: move.invoice_date.day == 15)
        self.assertFalse(extra.subscription_billed_id)
        self.assertTrue((invoices - extra).mapped("subscription_billed_id"))
        action = (
            self.env["res.config.settings"].create({}).action_amendment_check_invoices()
        )
        listed = self.env["account.move"].search(action["domain"])
        self.assertIn(extra, listed)
        self.assertFalse(listed & (invoices - extra))

    def test_the_upgrade_from_1_0_stamps_them_too(self):
        """The migration script runs what the post-init hook ran."""
        subscription = self.seeded["Adoption: invoices"]
        invoices = self._invoices(subscription)
        stamps = invoices.read(
            ["subscription_period_start", "subscription_period_next_start"]
        )
        # as an install of 18.0.1.0.0 left them: no period (the addon's own
        # bookkeeping, which no client writes)
        internal(invoices, tools.DERIVED_WRITE).write(
            {
                "subscription_billed_id": False,
                "subscription_period_start": False,
                "subscription_period_next_start": False,
            }
        )
        internal(invoices.invoice_line_ids, tools.DERIVED_WRITE).write(
            {"subscription_line_id": False}
        )
        spec = importlib.util.spec_from_file_location("migration_1_1", MIGRATION)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(
            invoices.read(
                ["subscription_period_start", "subscription_period_next_start"]
            ),
            stamps,
        )
        self.assertEqual(invoices.subscription_billed_id, subscription)
        self.assertEqual(
            invoices.invoice_line_ids.subscription_line_id,
            subscription.sale_subscription_line_ids,
        )

    def test_empty_boundaries_of_unlimited_subscriptions_are_repaired(self):
        subscription = self._create_subscription(start=date(2024, 1, 6))
        self.env.cr.execute(
            "UPDATE sale_subscription SET recurring_rule_boundary = false WHERE id = %s",
            [subscription.id],
        )
        self.env.invalidate_all()
        self.assertFalse(subscription.recurring_rule_boundary)
        repaired = self.env["sale.subscription.ledger"]._repair_boundaries()
        self.assertIn(subscription, repaired)
        self.assertTrue(subscription.recurring_rule_boundary)
