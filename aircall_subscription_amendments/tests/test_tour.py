# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The amendment wizard in a browser (static/tests/tours/amendment_tour.js), as an
account manager (a sales user with the amendment group, no accounting rights).

Needs headless Chromium (scripts/test.sh installs Debian's ``chromium`` when it
may) and an HTTP server (pytest-odoo's ``--odoo-http``); without them the test
is skipped, with the reason.
"""

import unittest

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.service import server
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.misc import find_in_path

from .common import SubscriptionCase

BROWSERS = ("google-chrome", "chromium", "chromium-browser", "google-chrome-stable")


def _on_path(name):
    try:
        return bool(find_in_path(name))
    except OSError:
        return False


@tagged("post_install", "-at_install")
class TestAmendmentTour(HttpCase, SubscriptionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account_manager = new_test_user(
            cls.env,
            login="tour_account_manager",
            groups="base.group_user,aircall_subscription_amendments.group_amendment_user",
        )
        # the browser lives in real time: the period starting today is invoiced,
        # so a change effective today credits all of it
        today = fields.Date.context_today(cls.env["sale.subscription"])
        cls.product_users.name = "Tour users"
        cls.subscription = cls._start(
            cls._create_subscription(
                start=today - relativedelta(months=3),
                user_id=cls.account_manager.id,
            )
        )
        cls.invoice = cls._invoice_period(cls.subscription, today)

    def setUp(self):
        super().setUp()
        if not any(_on_path(name) for name in BROWSERS):
            raise unittest.SkipTest(
                "no Chrome/Chromium on PATH: scripts/test.sh installs Debian's "
                "chromium when it runs as root or with sudo"
            )
        if server.server is None:
            raise unittest.SkipTest(
                "no Odoo HTTP server: run pytest-odoo with --odoo-http "
                "(scripts/test.sh does)"
            )

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
