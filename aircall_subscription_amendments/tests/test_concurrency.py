# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Applying is atomic and idempotent: twice, a double click, two users at once.

The concurrent cases need two real transactions on committed data, which a
TransactionCase cannot give: they create their own fixtures in a cursor of
their own, commit them, and delete them (committed) in a ``finally``.
"""

import threading
from contextlib import closing, contextmanager
from datetime import date, timedelta

from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.tests import TransactionCase

from ..tools import ConcurrentAmendmentError
from .test_wizard import WizardCase

BUSY = "being amended by someone else"
# what a loser may hear, depending on when its transaction started
LOSER_ERRORS = (BUSY, "changed since this amendment was prepared")


class TestApplyTwice(WizardCase):
    @freeze_time("2024-12-02")
    def test_a_second_apply_is_refused_and_changes_nothing(self):
        amendment = self._amend(self.subscription, {self.product_users: 6})
        amendment = amendment.with_user(self.manager)
        amendment.action_apply()
        moves = amendment.move_ids
        messages = self.subscription.message_ids
        self.assertEqual(amendment.state, "done")
        self.assertEqual(len(moves), 1)
        with self.assertRaisesRegex(UserError, "already been applied"):
            amendment.action_apply()
        self.assertEqual(amendment.move_ids, moves)
        self.assertEqual(self.subscription.message_ids, messages)
        self.assertEqual(self.users_line.product_uom_qty, 6)
        self.assertEqual(
            self.env["account.move"].search_count(
                [("amendment_id", "=", amendment.id)]
            ),
            1,
        )

    @freeze_time("2024-11-20")
    def test_a_scheduled_amendment_applied_again_stays_scheduled(self):
        amendment = self._amend(
            self.subscription, {self.product_users: 6}, effective=date(2024, 12, 1)
        ).with_user(self.manager)
        amendment.action_apply()
        amendment.action_apply()
        self.assertEqual(amendment.state, "scheduled")
        self.assertEqual(self.users_line.product_uom_qty, 10)


class TestConcurrentApply(TransactionCase):
    """Two transactions, as two HTTP requests would be, on one subscription."""

    def setUp(self):
        super().setUp()
        if self.registry.test_cr is not None:
            self.skipTest("needs real cursors (the registry is in test mode)")

    # -- committed fixtures ----------------------------------------------------

    @contextmanager
    def _committed_fixtures(self):
        """A running contract (10 users) and three draft amendments, committed:
        ``minus`` (10 → 6), ``plus`` (10 → 12) and ``other`` (10 → 8)."""
        ids = {}
        try:
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
                ids.update(self._create_fixtures(env))
            yield ids
        finally:
            with self.registry.cursor() as cr:
                self._delete_fixtures(
                    api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True}),
                    ids,
                )

    @staticmethod
    def _create_fixtures(env):
        ids = {"admin": env.ref("base.user_admin").id}
        currency = env.company.currency_id
        ids["pricelist"] = (
            env["product.pricelist"]
            .create({"name": "Concurrency test", "currency_id": currency.id})
            .id
        )
        ids["partner"] = (
            env["res.partner"]
            .create(
                {
                    "name": "Concurrency test customer",
                    "property_product_pricelist": ids["pricelist"],
                }
            )
            .id
        )
        product = env["product.product"].create(
            {"name": "Concurrency test users", "type": "service", "list_price": 25}
        )
        ids["product"] = product.id
        ids["template"] = (
            env["sale.subscription.template"]
            .create(
                {
                    "name": "Concurrency test",
                    "code": "CONC",
                    "recurring_interval": 1,
                    "recurring_rule_type": "months",
                    "recurring_rule_boundary": "unlimited",
                    "invoicing_mode": "draft",
                    "term_interval": 12,
                    "term_unit": "month",
                }
            )
            .id
        )
        start = date.today() - timedelta(days=10)
        subscription = env["sale.subscription"].create(
            {
                "partner_id": ids["partner"],
                "pricelist_id": ids["pricelist"],
                "template_id": ids["template"],
                "date_start": start,
                "recurring_next_date": start,
                "sale_subscription_line_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": 10,
                            "price_unit": 25,
                        }
                    )
                ],
            }
        )
        subscription.action_start_subscription()
        ids["subscription"] = subscription.id
        ids["line"] = subscription.sale_subscription_line_ids.id
        for name, quantity in (("minus", 6), ("plus", 12), ("other", 8)):
            ids[name] = (
                env["sale.subscription.amendment"]
                .create(
                    {
                        "subscription_id": subscription.id,
                        "line_ids": [
                            Command.create(
                                {
                                    "subscription_line_id": ids["line"],
                                    "new_quantity": quantity,
                                }
                            )
                        ],
                    }
                )
                .id
            )
        return ids

    @staticmethod
    def _delete_fixtures(env, ids):
        amendment_ids = [
            ids[name] for name in ("minus", "plus", "other") if name in ids
        ]
        for model, res_ids in (
            ("sale.subscription.amendment", amendment_ids),
            ("sale.subscription", [ids.get("subscription")]),
        ):
            domain = [("model", "=", model), ("res_id", "in", res_ids)]
            env["mail.message"].search(domain).unlink()
            env["mail.followers"].search(
                [("res_model", "=", model), ("res_id", "in", res_ids)]
            ).unlink()
        # a running contract is never deleted: it is taken out of progress
        # first (committed fixtures of this test, cleaned up by SQL)
        if ids.get("subscription"):
            env.cr.execute(
                "UPDATE sale_subscription SET in_progress = false WHERE id = %s",
                [ids["subscription"]],
            )
            env.invalidate_all()
        # amendments and their lines go with the subscription (ondelete cascade)
        for model, key in (
            ("sale.subscription", "subscription"),
            ("sale.subscription.line", "line"),
            ("sale.subscription.template", "template"),
            ("product.product", "product"),
            ("res.partner", "partner"),
            ("product.pricelist", "pricelist"),
        ):
            if ids.get(key):
                env[model].browse(ids[key]).exists().unlink()

    # -- helpers ---------------------------------------------------------------

    @contextmanager
    def _request(self, ids):
        """One user's request: a cursor of its own, as the admin."""
        with closing(self.registry.cursor()) as cr:
            yield api.Environment(cr, ids["admin"], {})

    def _final_state(self, ids):
        with self._request(ids) as env:
            amendments = env["sale.subscription.amendment"].browse(
                [ids["minus"], ids["plus"], ids["other"]]
            )
            applied = {
                amendment.id: len(
                    amendment.message_ids.filtered(
                        lambda message: "applied by" in (message.body or "")
                    )
                )
                for amendment in amendments
            }
            return (
                {amendment.id: amendment.state for amendment in amendments},
                applied,
                env["sale.subscription.line"].browse(ids["line"]).product_uom_qty,
            )

    # -- tests -----------------------------------------------------------------

    def test_two_users_amend_one_subscription_at_the_same_time(self):
        with self._committed_fixtures() as ids:
            barrier = threading.Barrier(2, timeout=30)
            results = {}

            def apply(name):
                try:
                    with self.registry.cursor() as cr:
                        env = api.Environment(cr, ids["admin"], {})
                        amendment = env["sale.subscription.amendment"].browse(ids[name])
                        # the request reads its amendment, then both apply at once
                        self.assertEqual(amendment.state, "draft")
                        barrier.wait()
                        amendment.action_apply()
                    results[name] = "applied"
                except UserError as error:
                    results[name] = str(error)
                except Exception as error:  # reported by the assertions below
                    results[name] = f"unexpected {error!r}"

            threads = [
                threading.Thread(target=apply, args=(name,))
                for name in ("minus", "plus")
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            self.assertFalse(any(thread.is_alive() for thread in threads))

            winners = [name for name, result in results.items() if result == "applied"]
            self.assertEqual(len(winners), 1, results)
            (loser,) = {"minus", "plus"} - set(winners)
            self.assertTrue(
                any(error in results[loser] for error in LOSER_ERRORS), results
            )
            states, applied, quantity = self._final_state(ids)
            winner = winners[0]
            self.assertEqual(states[ids[winner]], "done")
            self.assertEqual(states[ids[loser]], "draft")
            self.assertEqual(applied[ids[winner]], 1)
            self.assertEqual(applied[ids[loser]], 0)
            self.assertEqual(quantity, {"minus": 6, "plus": 12}[winner])

    def test_a_second_request_while_the_first_one_runs(self):
        with self._committed_fixtures() as ids:
            with self._request(ids) as first, self._request(ids) as second:
                minus = first["sale.subscription.amendment"].browse(ids["minus"])
                plus = second["sale.subscription.amendment"].browse(ids["plus"])
                self.assertEqual(plus.state, "draft")  # its transaction has begun
                minus.action_apply()  # not committed yet: the row stays locked
                with self.assertRaisesRegex(ConcurrentAmendmentError, BUSY):
                    plus.action_apply()
                first.cr.commit()
                # committed meanwhile: this transaction's view is out of date
                with self.assertRaisesRegex(ConcurrentAmendmentError, BUSY):
                    plus.action_apply()
                second.cr.rollback()
            # trying again later: the quantities it was prepared from are gone
            with self._request(ids) as later:
                plus = later["sale.subscription.amendment"].browse(ids["plus"])
                with self.assertRaisesRegex(UserError, "changed since"):
                    plus.action_apply()
            states, applied, quantity = self._final_state(ids)
            self.assertEqual(states[ids["minus"]], "done")
            self.assertEqual(states[ids["plus"]], "draft")
            self.assertEqual(applied[ids["minus"]], 1)
            self.assertEqual(quantity, 6)

    def test_a_double_click_applies_once(self):
        with self._committed_fixtures() as ids:
            with self._request(ids) as first, self._request(ids) as second:
                clicked = first["sale.subscription.amendment"].browse(ids["other"])
                again = second["sale.subscription.amendment"].browse(ids["other"])
                self.assertEqual(again.state, "draft")
                clicked.action_apply()
                with self.assertRaisesRegex(ConcurrentAmendmentError, BUSY):
                    again.action_apply()
                first.cr.commit()
                second.cr.rollback()
            with self._request(ids) as later:
                again = later["sale.subscription.amendment"].browse(ids["other"])
                with self.assertRaisesRegex(UserError, "already been applied"):
                    again.action_apply()
            states, applied, quantity = self._final_state(ids)
            self.assertEqual(states[ids["other"]], "done")
            self.assertEqual(applied[ids["other"]], 1)
            self.assertEqual(quantity, 8)

    def test_an_accountant_changing_the_periods_invoice(self):
        """While an accountant's request holds the period's invoice (posting it,
        resetting it to draft, reversing it), an amendment of that period says
        so at once and writes nothing."""
        with self._committed_fixtures() as ids:
            try:
                with self._request(ids) as setup:
                    subscription = setup["sale.subscription"].browse(
                        ids["subscription"]
                    )
                    subscription.generate_invoice()
                    ids["invoice"] = subscription.invoice_ids.id
                    setup.cr.commit()
                with self._request(ids) as accountant, self._request(ids) as manager:
                    minus = manager["sale.subscription.amendment"].browse(ids["minus"])
                    self.assertEqual(minus.state, "draft")
                    # not committed yet: the invoice's row stays locked
                    accountant["account.move"].browse(ids["invoice"]).action_post()
                    with self.assertRaisesRegex(
                        ConcurrentAmendmentError,
                        "invoices of this subscription are being changed",
                    ):
                        minus.action_apply()
                    manager.cr.rollback()
                    accountant.cr.rollback()
                states, applied, quantity = self._final_state(ids)
                self.assertEqual(states[ids["minus"]], "draft")
                self.assertEqual(applied[ids["minus"]], 0)
                self.assertEqual(quantity, 10)
                with self._request(ids) as later:
                    self.assertFalse(
                        later["account.move"].search(
                            [("amendment_id", "=", ids["minus"])]
                        )
                    )
            finally:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    env["account.move"].browse(ids.get("invoice")).exists().unlink()
