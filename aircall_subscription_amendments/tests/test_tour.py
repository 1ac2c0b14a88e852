# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The external interfaces, as an account manager (a sales user with the
amendment group, no accounting rights): the amendment wizard in a browser
(static/tests/tours/amendment_tour.js) and the XML-RPC calls readme/USAGE.md
documents.

They need an HTTP server (pytest-odoo's ``--odoo-http``), and the tour headless
Chromium (scripts/test.sh installs Debian's ``chromium`` when it may); without
them the tests are skipped, with the reason.
"""

import unittest
import xmlrpc.client

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import new_test_user, tagged
from odoo.tools.misc import find_in_path

from .common import LiveServerCase, SubscriptionCase

BROWSERS = ("google-chrome", "chromium", "chromium-browser", "google-chrome-stable")


def _on_path(name):
    try:
        return bool(find_in_path(name))
    except OSError:
        return False


def skip_without_browser():
    """A tour needs Chrome or Chromium: skip, saying why, when none is on PATH."""
    if not any(_on_path(name) for name in BROWSERS):
        raise unittest.SkipTest(
            "no Chrome/Chromium on PATH: scripts/test.sh installs Debian's "
            "chromium when it runs as root or with sudo"
        )


class ExternalCase(LiveServerCase, SubscriptionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account_manager = new_test_user(
            cls.env,
            login="amendment_account_manager",
            groups="base.group_user,aircall_subscription_amendments.group_amendment_user",
        )
        # the browser and the server live in real time: the period starting today
        # is invoiced, so a change effective today credits or bills all of it
        cls.today = fields.Date.context_today(cls.env["sale.subscription"])
        cls.product_users.name = "Tour users"
        cls.subscription = cls._start(
            cls._create_subscription(
                start=cls.today - relativedelta(months=3),
                user_id=cls.account_manager.id,
            )
        )
        cls.invoice = cls._invoice_period(cls.subscription, cls.today)


@tagged("post_install", "-at_install")
class TestAmendmentTour(ExternalCase):
    def setUp(self):
        super().setUp()
        skip_without_browser()

    def test_amend_lowers_users_and_credits(self):
        self.start_tour(
            f"/odoo/sale.subscription/{self.subscription.id}",
            "aircall_subscription_amendment_tour",
            login=self.account_manager.login,
        )
        amendment = self.subscription.amendment_ids
        self.assertEqual(amendment.state, "done")
        self.assertEqual(
            self.subscription.sale_subscription_line_ids.product_uom_qty, 6
        )
        credit_note = amendment.move_ids
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.reversed_entry_id, self.invoice)
        self.assertEqual(credit_note.amount_untaxed, 100.0)

    def test_a_late_reduction_is_scheduled_for_the_next_renewal(self):
        # a contract renewing in 10 days: inside its 30-day notice period
        late = self._start(
            self._create_subscription(
                start=self.today + relativedelta(months=-12, days=10),
                user_id=self.account_manager.id,
            )
        )
        self.start_tour(
            f"/odoo/sale.subscription/{late.id}",
            "aircall_subscription_schedule_tour",
            login=self.account_manager.login,
        )
        amendment = late.amendment_ids
        self.assertEqual(amendment.state, "scheduled")
        self.assertEqual(
            amendment.effective_date,
            self.today + relativedelta(days=10, months=12),
        )
        self.assertEqual(late.sale_subscription_line_ids.product_uom_qty, 10)


@tagged("post_install", "-at_install")
class TestAmendmentRpc(ExternalCase):
    def setUp(self):
        super().setUp()
        login = self.account_manager.login
        self.uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, login, login, {})

    def _call(self, model, method, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname,
            self.uid,
            self.account_manager.login,
            model,
            method,
            list(args),
            kwargs,
        )

    def test_create_and_apply_returns_the_id(self):
        users = self.subscription.sale_subscription_line_ids
        amendment_id = self._call(
            "sale.subscription.amendment",
            "create_and_apply",
            {
                "subscription_id": self.subscription.id,
                "line_ids": [
                    (0, 0, {"subscription_line_id": users.id, "new_quantity": 12}),
                    (
                        0,
                        0,
                        {
                            "product_id": self.product_addon.id,
                            "new_quantity": 1,
                            "price_unit": 10.0,
                        },
                    ),
                ],
            },
        )
        self.assertIsInstance(amendment_id, int)
        [amendment] = self._call(
            "sale.subscription.amendment",
            "read",
            [amendment_id],
            ["state", "amendment_type", "move_ids"],
        )
        self.assertEqual(amendment["state"], "done")
        self.assertEqual(amendment["amendment_type"], "upgrade")
        invoice = self.env["account.move"].browse(amendment["move_ids"])
        self.assertEqual(invoice.move_type, "out_invoice")
        # 2 users × 25.00 + 1 add-on × 10.00, the whole period
        self.assertEqual(invoice.amount_untaxed, 60.0)

    def test_create_then_apply_and_late_refusal(self):
        users = self.subscription.sale_subscription_line_ids
        amendment_id = self._call(
            "sale.subscription.amendment",
            "create",
            {
                "subscription_id": self.subscription.id,
                "effective_date": fields.Date.to_string(self.today),
                "line_ids": [
                    (0, 0, {"subscription_line_id": users.id, "new_quantity": 6})
                ],
            },
        )
        self.assertIs(
            self._call("sale.subscription.amendment", "action_apply", [amendment_id]),
            True,
        )
        amendment = self.env["sale.subscription.amendment"].browse(amendment_id)
        self.assertEqual(amendment.state, "done")
        self.assertEqual(amendment.move_ids.amount_untaxed, 100.0)
        # a contract renewing in 10 days: inside its 30-day notice period
        late = self._start(
            self._create_subscription(
                start=self.today + relativedelta(months=-12, days=10),
                user_id=self.account_manager.id,
            )
        )
        with self.assertRaisesRegex(xmlrpc.client.Fault, "Too late to reduce"):
            self._call(
                "sale.subscription.amendment",
                "create_and_apply",
                {
                    "subscription_id": late.id,
                    "line_ids": [
                        (
                            0,
                            0,
                            {
                                "subscription_line_id": late.sale_subscription_line_ids.id,
                                "new_quantity": 5,
                            },
                        )
                    ],
                },
            )
        self.assertFalse(late.amendment_ids)
        self.assertEqual(late.sale_subscription_line_ids.product_uom_qty, 10)
