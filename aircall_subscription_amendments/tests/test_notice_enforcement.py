# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The notice rule holds on every path: the model, the cron, the subscription
form (lines, Close, stages, auto-renew) and RPC; administrators override it
with a reason, logged.

Contract (see test_wizard): renewal 6 January 2025, notice deadline 7 December
2024; the period 6 December 2024 – 5 January 2025 is invoiced.
"""

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError

from .test_wizard import WizardCase


class TestNoticeRule(WizardCase):
    def _create_and_apply(self, quantities=None, user=None, add=(), **values):
        lines = [
            Command.create({"subscription_line_id": line.id, "new_quantity": quantity})
            for product, quantity in (quantities or {}).items()
            for line in self.subscription.sale_subscription_line_ids
            if line.product_id == product
        ] + [
            Command.create(
                {"product_id": product.id, "new_quantity": qty, "price_unit": price}
            )
            for product, qty, price in add
        ]
        return (
            self.env["sale.subscription.amendment"]
            .with_user(user or self.manager)
            .create_and_apply(
                {"subscription_id": self.subscription.id, "line_ids": lines, **values}
            )
        )

    @freeze_time("2024-12-08")
    def test_late_downgrade_is_refused_naming_renewal_and_deadline(self):
        before = self._state()
        with self.assertRaises(UserError) as refusal:
            self._create_and_apply({self.product_users: 6})
        message = str(refusal.exception)
        self.assertIn(
            f"submitted by the end of {self._day(date(2024, 12, 7))} (UTC)", message
        )
        self.assertIn(f"renewal date {self._day(date(2025, 1, 6))}", message)
        self.assertIn("1 day(s) late", message)
        self.assertIn(
            f"renews under its current terms on {self._day(date(2025, 1, 6))}",
            message,
        )
        self.assertEqual(self._state(), before)

    @freeze_time("2024-12-08")
    def test_late_mixed_change_is_refused(self):
        before = self._state()
        with self.assertRaisesRegex(UserError, "Too late"):
            self._create_and_apply({self.product_users: 12, self.product_numbers: 1})
        self.assertEqual(self._state(), before)

    @freeze_time("2024-12-08")
    def test_late_cancellation_is_refused(self):
        before = self._state()
        with self.assertRaisesRegex(UserError, "Too late"):
            self._create_and_apply(cancel_renewal=True)
        self.assertEqual(self._state(), before)

    @freeze_time("2024-12-08")
    def test_a_draft_amendment_applied_late_stays_a_draft(self):
        amendment = self._amend(self.subscription, {self.product_users: 6})
        with self.assertRaisesRegex(UserError, "Too late"):
            amendment.with_user(self.manager).action_apply()
        self.assertEqual(amendment.state, "draft")
        self.assertFalse(amendment.move_ids)
        self.assertEqual(self.users_line.product_uom_qty, 10)

    @freeze_time("2025-01-05")
    def test_late_upgrade_is_accepted(self):
        amendment = self._create_and_apply({self.product_users: 11})
        self.assertEqual(amendment.state, "done")
        self.assertEqual(self.users_line.product_uom_qty, 11)

    # -- request date --------------------------------------------------------

    @freeze_time("2024-12-08")
    def test_only_an_administrator_sets_another_request_date(self):
        with self.assertRaisesRegex(AccessError, "request date"):
            self._create_and_apply(
                {self.product_users: 6}, request_date=date(2024, 12, 1)
            )
        draft = self._amend(self.subscription, {self.product_users: 6})
        with self.assertRaisesRegex(AccessError, "request date"):
            draft.with_user(self.manager).request_date = date(2024, 12, 1)
        # an administrator records a request received on time by post
        amendment = self._create_and_apply(
            {self.product_users: 6}, user=self.admin, request_date=date(2024, 12, 1)
        )
        self.assertEqual(amendment.request_date, date(2024, 12, 1))
        self.assertEqual(amendment.state, "done")

    # -- administrator override ----------------------------------------------

    @freeze_time("2024-12-08")
    def test_administrator_override_needs_a_reason_and_is_logged(self):
        with self.assertRaisesRegex(UserError, "Too late"):
            self._create_and_apply({self.product_users: 6}, user=self.admin)
        with self.assertRaisesRegex(AccessError, "Only an administrator"):
            self._create_and_apply(
                {self.product_users: 6}, override_reason="Because I say so"
            )
        self.assertEqual(self.users_line.product_uom_qty, 10)
        amendment = self._create_and_apply(
            {self.product_users: 6},
            user=self.admin,
            override_reason="Signed waiver from the customer",
        )
        self.assertEqual(amendment.state, "done")
        for record in (amendment, self.subscription):
            body = record.message_ids[0].body
            self.assertIn("Late change accepted by an administrator", body)
            self.assertIn(self._day(date(2024, 12, 7)), body)
            self.assertIn("Signed waiver from the customer", body)

    # -- chatter -------------------------------------------------------------

    @freeze_time("2024-12-02")
    def test_chatter_says_who_changed_what_with_links_to_the_documents(self):
        amendment = self._create_and_apply(
            {self.product_users: 6, self.product_numbers: 3.5}
        )
        moves = amendment.move_ids
        credit_note = moves.filtered(lambda move: move.move_type == "out_refund")
        invoice = moves.filtered(lambda move: move.move_type == "out_invoice")
        self.assertTrue(credit_note and invoice)
        amendment_body = amendment.message_ids[0].body
        subscription_body = self.subscription.message_ids[0].body
        for body in (amendment_body, subscription_body):
            self.assertIn(
                f"submitted by {self.manager.name} on {self._day(date(2024, 12, 2))}"
                f", applied by {self.manager.name}",
                body,
            )
            self.assertIn(f"effective {self._day(date(2024, 12, 2))}", body)
            self.assertIn("Users: 10 → 6", body)
            self.assertIn("Phone numbers: 3 → 3.5", body)
            for move in (credit_note, invoice):
                self.assertIn(
                    f'data-oe-model="account.move" data-oe-id="{move.id}"', body
                )
        self.assertIn(
            f'data-oe-model="sale.subscription.amendment" data-oe-id="{amendment.id}"',
            subscription_body,
        )


class TestScheduledAmendments(WizardCase):
    def test_future_amendment_is_scheduled_then_applied_by_the_cron(self):
        with freeze_time("2024-07-10"):
            amendment = self._amend(
                self.subscription,
                {self.product_users: 6},
                effective=date(2024, 7, 15),
                user_id=self.manager.id,
            ).with_user(self.manager)
            amendment.action_apply()
            self.assertEqual(amendment.state, "scheduled")
            self.assertEqual(self.users_line.product_uom_qty, 10)
            self.assertFalse(amendment.move_ids)
        with freeze_time("2024-07-14"):
            self.env["sale.subscription"].cron_subscription_management()
            self.assertEqual(amendment.state, "scheduled")
        with freeze_time("2024-07-15"):
            self.env["sale.subscription"].cron_subscription_management()
        self.assertEqual(amendment.state, "done")
        self.assertEqual(self.users_line.product_uom_qty, 6)
        body = amendment.message_ids[0].body
        self.assertIn(f"submitted by {self.manager.name}", body)
        self.assertIn(f"applied by {self.env.user.name}", body)  # the cron's user

    def test_the_cron_applies_and_documents_on_the_effective_date(self):
        with freeze_time("2024-12-01"):
            amendment = self._amend(
                self.subscription, {self.product_users: 6}, effective=date(2024, 12, 6)
            )
            amendment.with_user(self.manager).action_apply()
            self.assertEqual(amendment.state, "scheduled")
        # the December period is invoiced (setUpClass): a full period to credit
        with freeze_time("2024-12-06"):
            self.env["sale.subscription"].cron_subscription_management()
        self.assertEqual(amendment.state, "done")
        self.assertEqual(amendment.move_ids.move_type, "out_refund")
        self.assertEqual(amendment.move_ids.amount_untaxed, 100.0)

    def test_the_notice_rule_is_judged_on_the_request_date(self):
        # requested on time, effective at the renewal: applied after the deadline
        with freeze_time("2024-12-01"):
            amendment = self._amend(
                self.subscription, {self.product_users: 6}, effective=date(2025, 1, 6)
            )
            amendment.with_user(self.manager).action_apply()
        with freeze_time("2025-01-06"):
            self.env["sale.subscription"].cron_subscription_management()
        self.assertEqual(amendment.state, "done")
        self.assertEqual(self.users_line.product_uom_qty, 6)

    def test_a_scheduled_amendment_is_frozen(self):
        with freeze_time("2024-11-01"):
            amendment = self._amend(
                self.subscription, {self.product_users: 11}, effective=date(2024, 12, 1)
            ).with_user(self.manager)
            amendment.action_apply()
        with freeze_time("2024-12-10"):
            # turning a scheduled upgrade into a late downgrade is refused
            with self.assertRaisesRegex(UserError, "draft"):
                amendment.line_ids.new_quantity = 2
            with self.assertRaisesRegex(UserError, "draft"):
                amendment.line_ids = [
                    Command.create(
                        {
                            "product_id": self.product_addon.id,
                            "new_quantity": 1,
                            "price_unit": 10,
                        }
                    )
                ]
            with self.assertRaisesRegex(UserError, "Apply or Cancel"):
                amendment.state = "draft"
            amendment.action_cancel()
        self.assertEqual(amendment.state, "cancel")


class TestRunningContractGuards(WizardCase):
    """Lines, Close, stages and auto-renew on the subscription itself."""

    # -- lines ---------------------------------------------------------------

    def test_subscription_lines_are_read_only_in_the_form_while_running(self):
        view = self.env.ref(
            "aircall_subscription_amendments.sale_subscription_view_form_amend"
        )
        self.assertIn("in_progress and term_interval", view.arch)
        arch = self.env["sale.subscription"].get_view(
            self.env.ref("subscription_oca.sale_subscription_form").id
        )["arch"]
        self.assertIn('readonly="in_progress and term_interval"', arch)

    @freeze_time("2024-11-20")
    def test_editing_a_line_inline_is_refused(self):
        line = self.users_line.with_user(self.manager)
        with self.assertRaisesRegex(UserError, "only through an amendment"):
            line.product_uom_qty = 6
        with self.assertRaisesRegex(UserError, "only through an amendment"):
            line.product_id = self.product_addon
        # the form saves lines through the subscription
        with self.assertRaisesRegex(UserError, "only through an amendment"):
            self.subscription.with_user(self.manager).write(
                {
                    "sale_subscription_line_ids": [
                        Command.update(line.id, {"product_uom_qty": 6})
                    ]
                }
            )
        with self.assertRaisesRegex(UserError, "only through an amendment"):
            self.subscription.with_user(self.manager).write(
                {
                    "sale_subscription_line_ids": [
                        Command.create(
                            {"product_id": self.product_addon.id, "product_uom_qty": 1}
                        )
                    ]
                }
            )
        with self.assertRaisesRegex(UserError, "only through an amendment"):
            line.unlink()
        self.assertEqual(self.users_line.product_uom_qty, 10)
        self.assertEqual(len(self.subscription.sale_subscription_line_ids), 2)

    @freeze_time("2024-11-20")
    def test_descriptions_and_invoicing_stay_free_prices_do_not(self):
        line = self.users_line.with_user(self.manager)
        line.write({"name": "Users (seats)"})
        line.product_uom_qty = 10  # unchanged value: not an edit
        line.price_unit = 25.0  # likewise
        # a price, a discount or taxes are what the customer pays: amendments only
        for vals in (
            {"price_unit": 24.0},
            {"price_unit": 26.0},
            {"discount": 10.0},
            {"tax_ids": [Command.clear()]},
        ):
            with self.assertRaisesRegex(UserError, "only through an amendment"):
                line.write(vals)
        self.assertEqual((line.price_unit, line.discount), (25.0, 0.0))
        self.assertEqual(line.name, "Users (seats)")
        invoice = self._invoice_period(
            self.subscription.with_user(self.manager), date(2025, 1, 6), post=False
        )
        self.assertEqual(len(invoice.invoice_line_ids), 2)
        self.assertAlmostEqual(invoice.amount_untaxed, 10 * 25.0 + 3 * 6.0)

    @freeze_time("2024-11-20")
    def test_administrator_edits_directly_and_it_is_logged(self):
        self.users_line.with_user(self.admin).product_uom_qty = 12
        self.assertEqual(self.users_line.product_uom_qty, 12)
        body = self.subscription.message_ids[0].body
        self.assertIn("changed directly by", body)
        self.assertIn(self.admin.name, body)
        self.assertIn("Users: 10 × $&nbsp;25.00 → 12 × $&nbsp;25.00", body)

    def test_lines_of_contracts_without_term_or_not_started_stay_editable(self):
        no_term = self._start(self._create_subscription(term_interval=0))
        no_term.sale_subscription_line_ids.with_user(self.manager).product_uom_qty = 4
        self.assertEqual(no_term.sale_subscription_line_ids.product_uom_qty, 4)
        draft = self._create_subscription()
        draft.sale_subscription_line_ids.with_user(self.manager).product_uom_qty = 4
        self.assertEqual(draft.sale_subscription_line_ids.product_uom_qty, 4)

    # -- closing ---------------------------------------------------------------

    def _close_wizard(self, user, **values):
        return (
            self.env["close.reason.wizard"]
            .with_user(user)
            .with_context(
                active_model="sale.subscription",
                active_id=self.subscription.id,
                active_ids=self.subscription.ids,
            )
            .create(values)
        )

    @freeze_time("2024-12-08")
    def test_closing_inside_the_notice_period_is_refused(self):
        next_date = self.subscription.recurring_next_date
        with self.assertRaisesRegex(UserError, "Too late") as refusal:
            self._close_wizard(self.manager).button_confirm()
        self.assertIn("renews under its current terms", str(refusal.exception))
        self.assertTrue(self.subscription.in_progress)
        self.assertEqual(self.subscription.stage_id.type, "in_progress")
        self.assertEqual(self.subscription.recurring_next_date, next_date)

    @freeze_time("2024-12-08")
    def test_administrator_closes_late_with_a_reason(self):
        with self.assertRaisesRegex(UserError, "Too late"):
            self._close_wizard(self.admin).button_confirm()
        with self.assertRaisesRegex(AccessError, "Only an administrator"):
            self._close_wizard(self.manager, override_reason="Why not").button_confirm()
        self._close_wizard(
            self.admin, override_reason="Customer went out of business"
        ).button_confirm()
        self.assertFalse(self.subscription.in_progress)
        self.assertEqual(self.subscription.stage_id.type, "post")
        bodies = " ".join(self.subscription.message_ids.mapped("body"))
        self.assertIn("Customer went out of business", bodies)
        self.assertIn("Late cancellation accepted", bodies)

    @freeze_time("2024-12-07")
    def test_closing_on_time_is_accepted(self):
        self._close_wizard(self.manager).button_confirm()
        self.assertEqual(self.subscription.stage_id.type, "post")
        self.assertFalse(self.subscription.in_progress)

    @freeze_time("2024-12-08")
    def test_moving_to_a_closed_or_draft_stage_or_archiving_is_refused(self):
        subscription = self.subscription.with_user(self.manager)
        stages = self.env["sale.subscription.stage"]
        for stage_type in ("post", "draft", "pre"):
            stage = stages.search([("type", "=", stage_type)], limit=1)
            with self.assertRaisesRegex(UserError, "Too late"):
                subscription.stage_id = stage
        with self.assertRaisesRegex(UserError, "Too late"):
            subscription.in_progress = False
        with self.assertRaisesRegex(UserError, "Too late"):
            subscription.action_archive()
        self.assertTrue(self.subscription.in_progress)
        self.assertTrue(self.subscription.active)

    def test_deleting_a_running_contract_is_refused(self):
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            self.subscription.with_user(self.manager).unlink()
        self.assertTrue(self.subscription.exists())

    # -- auto-renew ------------------------------------------------------------

    @freeze_time("2024-12-08")
    def test_switching_auto_renew_off_inside_the_notice_period_is_refused(self):
        with self.assertRaisesRegex(UserError, "Too late"):
            self.subscription.with_user(self.manager).auto_renew = False
        self.assertTrue(self.subscription.auto_renew)

    @freeze_time("2024-12-07")
    def test_switching_auto_renew_off_on_time_is_accepted(self):
        self.subscription.with_user(self.manager).auto_renew = False
        self.assertFalse(self.subscription.auto_renew)

    def test_the_renewal_cron_still_closes_contracts_that_do_not_renew(self):
        self.assertEqual(self.subscription.renewal_date, date(2025, 1, 6))
        with freeze_time("2024-12-01"):
            self.subscription.with_user(self.manager).auto_renew = False
        with freeze_time("2025-01-06"):
            self.env["sale.subscription"].cron_subscription_management()
        self.assertEqual(self.subscription.stage_id.type, "post")
        self.assertEqual(
            self.subscription.close_reason_id,
            self.env.ref("aircall_subscription_amendments.close_reason_not_renewed"),
        )
