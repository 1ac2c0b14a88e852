# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The amendment wizard, opened and driven the way the UI does it.

Contract: started 6 January 2024, 12-month term → renewal 6 January 2025,
30 notice days → notice deadline 7 December 2024. The period 6 December 2024 –
5 January 2025 (31 days) is invoiced and posted.
"""

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user
from odoo.tools.misc import format_amount, format_date

from .common import SubscriptionCase

MANAGER_GROUPS = (
    "aircall_subscription_amendments.group_amendment_user,"
    "sales_team.group_sale_salesman_all_leads"
)


class WizardCase(SubscriptionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env, login="account_manager", groups=MANAGER_GROUPS
        )
        cls.admin = new_test_user(
            cls.env,
            login="amendment_admin",
            groups="aircall_subscription_amendments.group_amendment_admin,"
            "sales_team.group_sale_salesman_all_leads",
        )
        with freeze_time("2024-01-06"):
            cls.subscription = cls._start(
                cls._create_subscription(
                    lines=[(cls.product_users, 10), (cls.product_numbers, 3)]
                )
            )
            # the renewal date is stored: compute it on the start day
            cls.subscription.flush_recordset()
        cls.invoice = cls._invoice_period(cls.subscription, date(2024, 12, 6))
        cls.users_line = cls.subscription.sale_subscription_line_ids.filtered(
            lambda line: line.product_id == cls.product_users
        )

    def _form(self, user=None, subscription=None):
        """The wizard as the Amend button opens it."""
        subscription = subscription or self.subscription
        wizards = (
            self.env["sale.subscription.amendment.wizard"]
            .with_user(user or self.manager)
            .with_context(
                active_model="sale.subscription",
                active_id=subscription.id,
                active_ids=subscription.ids,
            )
        )
        return Form(wizards)

    def _set_quantity(self, form, product, quantity):
        for index in range(len(form.line_ids)):
            with form.line_ids.edit(index) as line:
                if line.product_id == product:
                    line.new_quantity = quantity
                    return
        raise AssertionError(f"no line for {product.display_name}")

    def _state(self):
        """What an amendment may change, to check that nothing changed."""
        subscription = self.subscription
        return (
            [
                (line.product_id, line.product_uom_qty)
                for line in subscription.sale_subscription_line_ids
            ],
            subscription.auto_renew,
            self.env["sale.subscription.amendment"].search_count(
                [("subscription_id", "=", subscription.id)]
            ),
            self.env["account.move"].search_count(
                [("subscription_billed_id", "=", subscription.id)]
            ),
        )

    def _day(self, day):
        return format_date(self.env, day)

    def _amount(self, amount):
        return format_amount(self.env, amount, self.subscription.currency_id)


class TestAmendmentWizard(WizardCase):
    def test_amend_button_opens_the_wizard_on_the_subscription(self):
        action = self.subscription.with_user(
            self.manager
        ).action_open_amendment_wizard()
        self.assertEqual(action["res_model"], "sale.subscription.amendment.wizard")
        self.assertEqual(action["target"], "new")
        self.assertEqual(action["context"]["active_id"], self.subscription.id)
        self.assertEqual(action["context"]["active_model"], "sale.subscription")

    def test_amend_button_only_on_running_subscriptions_for_amendment_users(self):
        arch = self.env["sale.subscription"].get_view(
            self.env.ref("subscription_oca.sale_subscription_form").id
        )["arch"]
        self.assertIn('name="action_open_amendment_wizard"', arch)
        button = self.env.ref(
            "aircall_subscription_amendments.sale_subscription_view_form_amend"
        ).arch
        self.assertIn('invisible="not in_progress"', button)
        self.assertIn(
            'groups="aircall_subscription_amendments.group_amendment_user"', button
        )

    @freeze_time("2024-11-20")
    def test_prefilled_with_the_current_lines(self):
        form = self._form()
        self.assertEqual(form.subscription_id, self.subscription)
        self.assertEqual(form.effective_date, date(2024, 11, 20))
        self.assertFalse(form.cancel_renewal)
        self.assertEqual(form.renewal_date, date(2025, 1, 6))
        self.assertEqual(form.notice_deadline, date(2024, 12, 7))
        self.assertEqual(len(form.line_ids), 2)
        lines = {
            form.line_ids.edit(i).product_id: form.line_ids.edit(i) for i in range(2)
        }
        users = lines[self.product_users]
        self.assertEqual(users.old_quantity, 10)
        self.assertEqual(users.new_quantity, 10)
        self.assertEqual(users.price_unit, 25.0)
        self.assertEqual(lines[self.product_numbers].old_quantity, 3)
        self.assertIn("Change a quantity", form.preview_html)
        wizard = form.save()
        self.assertFalse(wizard.request_date)  # today, for the amendment
        self.assertNotIn("request_date", wizard._prepare_amendment_values())

    @freeze_time("2024-12-07")
    def test_preview_shows_the_plan_and_writes_nothing(self):
        before = self._state()
        form = self._form()
        self._set_quantity(form, self.product_users, 6)
        preview = str(form.preview_html)
        self.assertIn("Users", preview)
        self.assertIn("10 → 6", preview)
        # 7 December 2024 – 5 January 2025: 30 of 31 days
        self.assertIn(
            f"{self._day(date(2024, 12, 7))} – {self._day(date(2025, 1, 5))}", preview
        )
        self.assertIn("97 %", preview)
        self.assertIn("Credit note", preview)
        # 4 × 25.00 × 30/31 = 96.774…
        self.assertIn(self._amount(96.77), preview)
        self.assertIn(self._amount(0.0), preview)  # nothing to invoice
        self.assertIn(f"notice deadline {self._day(date(2024, 12, 7))}", preview)
        self.assertIn(f"Renewal date {self._day(date(2025, 1, 6))}", preview)
        self.assertEqual(self._state(), before)

    @freeze_time("2024-03-10")
    def test_preview_of_a_change_in_a_period_not_invoiced_yet(self):
        subscription = self._start(self._create_subscription(start=date(2024, 3, 1)))
        form = self._form(subscription=subscription)
        self._set_quantity(form, self.product_users, 12)
        preview = str(form.preview_html)
        self.assertIn("10 → 12", preview)
        self.assertIn("not invoiced yet", preview)
        self.assertIn("next recurring invoice", preview)
        self.assertNotIn("Credit note", preview)
        form.save().action_confirm()
        self.assertEqual(subscription.sale_subscription_line_ids.product_uom_qty, 12)
        self.assertFalse(subscription.amendment_ids.move_ids)

    @freeze_time("2024-03-10")
    def test_preview_of_a_line_the_invoice_did_not_bill(self):
        subscription = self._start(
            self._create_subscription(
                start=date(2024, 3, 1),
                lines=[(self.product_users, 10), (self.product_numbers, 3)],
            )
        )
        march = self._invoice_period(subscription, date(2024, 3, 1), post=False)
        march.invoice_line_ids.filtered(
            lambda line: line.product_id == self.product_numbers
        ).unlink()
        march.action_post()
        form = self._form(subscription=subscription)
        self._set_quantity(form, self.product_numbers, 0)
        preview = str(form.preview_html)
        self.assertIn("3 → 0", preview)
        self.assertIn("nothing billed left", preview)
        self.assertIn("no document", preview)
        self.assertNotIn("next recurring invoice", preview)
        self.assertNotIn("Credit note", preview)

    @freeze_time("2024-12-20")
    def test_a_new_addon_takes_the_pricelists_price_over_rpc_too(self):
        """The default price of a new add-on is the amendment line's, not only
        the wizard's: an RPC client that sends none gets the pricelist's."""
        self.env["product.pricelist.item"].create(
            {
                "pricelist_id": self.pricelist.id,
                "product_id": self.product_addon.id,
                "compute_price": "fixed",
                "fixed_price": 8.0,
            }
        )
        amendment = (
            self.env["sale.subscription.amendment"]
            .with_user(self.manager)
            .create_and_apply(
                {
                    "subscription_id": self.subscription.id,
                    "line_ids": [
                        Command.create(
                            {"product_id": self.product_addon.id, "new_quantity": 2}
                        )
                    ],
                }
            )
        )
        self.assertEqual(amendment.line_ids.price_unit, 8.0)
        added = self.subscription.sale_subscription_line_ids.filtered(
            lambda line: line.product_id == self.product_addon
        )
        self.assertEqual((added.product_uom_qty, added.price_unit), (2, 8.0))
        # the December period, from the 20th: 2 × 8.00 × 17/31 = 8.77
        self.assertEqual(amendment.move_ids.amount_untaxed, 8.77)
        # the wizard offers the same price
        form = self._form()
        with form.line_ids.new() as line:
            line.product_id = self.product_addon
            line.new_quantity = 2
            self.assertEqual(line.price_unit, 8.0)

    @freeze_time("2024-12-20")
    def test_upgrade_inside_the_notice_period_is_accepted(self):
        form = self._form()
        self._set_quantity(form, self.product_users, 12)
        with form.line_ids.new() as addon:
            addon.product_id = self.product_addon
            addon.new_quantity = 1
            addon.price_unit = 10.0
        self.assertIn("Upgrades are accepted at any time.", form.preview_html)
        action = form.save().action_confirm()
        amendment = self.env["sale.subscription.amendment"].browse(action["res_id"])
        self.assertEqual(action["res_model"], "sale.subscription.amendment")
        self.assertEqual(amendment.state, "done")
        self.assertEqual(amendment.amendment_type, "upgrade")
        self.assertEqual(amendment.user_id, self.manager)
        self.assertEqual(amendment.request_date, date(2024, 12, 20))
        quantities = {
            line.product_id: line.product_uom_qty
            for line in self.subscription.sale_subscription_line_ids
        }
        self.assertEqual(
            quantities,
            {self.product_users: 12, self.product_numbers: 3, self.product_addon: 1},
        )
        invoice = amendment.move_ids
        self.assertEqual(invoice.move_type, "out_invoice")
        # 20 December – 5 January: 17 of 31 days; 2 × 25 × 17/31 + 1 × 10 × 17/31
        self.assertAlmostEqual(invoice.amount_untaxed, 27.42 + 5.48)

    @freeze_time("2024-12-08")
    def test_downgrade_one_day_after_the_deadline_is_refused(self):
        before = self._state()
        form = self._form()
        self._set_quantity(form, self.product_users, 6)
        preview = str(form.preview_html)
        self.assertIn("Too late", preview)
        wizard = form.save()
        with self.assertRaises(UserError) as refusal:
            wizard.action_confirm()
        message = str(refusal.exception)
        self.assertIn(self._day(date(2025, 1, 6)), message)  # the renewal date
        self.assertIn(self._day(date(2024, 12, 7)), message)  # the missed deadline
        self.assertIn("renews under its current terms", message)
        self.assertEqual(self._state(), before)

    @freeze_time("2024-12-07")
    def test_the_same_downgrade_on_the_deadline_is_accepted(self):
        form = self._form()
        self._set_quantity(form, self.product_users, 6)
        action = form.save().action_confirm()
        amendment = self.env["sale.subscription.amendment"].browse(action["res_id"])
        self.assertEqual(amendment.state, "done")
        self.assertEqual(amendment.amendment_type, "downgrade")
        self.assertEqual(self.users_line.product_uom_qty, 6)
        credit_note = amendment.move_ids
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.reversed_entry_id, self.invoice)
        self.assertAlmostEqual(credit_note.amount_untaxed, 96.77)

    @freeze_time("2024-11-20")
    def test_remove_a_line_with_quantity_zero(self):
        form = self._form()
        self._set_quantity(form, self.product_numbers, 0)
        form.save().action_confirm()
        self.assertEqual(
            self.subscription.sale_subscription_line_ids.product_id,
            self.product_users,
        )

    @freeze_time("2024-11-20")
    def test_do_not_renew(self):
        form = self._form()
        form.cancel_renewal = True
        self.assertIn("will not renew", form.preview_html)
        action = form.save().action_confirm()
        amendment = self.env["sale.subscription.amendment"].browse(action["res_id"])
        self.assertEqual(amendment.amendment_type, "cancellation")
        self.assertEqual(amendment.state, "done")
        self.assertFalse(self.subscription.auto_renew)
        self.assertFalse(amendment.move_ids)

    @freeze_time("2024-11-20")
    def test_a_future_effective_date_schedules_the_amendment(self):
        form = self._form()
        self._set_quantity(form, self.product_users, 8)
        form.effective_date = date(2024, 12, 6)
        self.assertIn("scheduled", form.preview_html)
        action = form.save().action_confirm()
        amendment = self.env["sale.subscription.amendment"].browse(action["res_id"])
        self.assertEqual(amendment.state, "scheduled")
        self.assertEqual(self.users_line.product_uom_qty, 10)

    @freeze_time("2024-12-08")
    def test_administrator_override_with_a_reason(self):
        form = self._form(user=self.admin)
        self._set_quantity(form, self.product_users, 6)
        self.assertIn("Too late", form.preview_html)
        form.override_reason = "Customer insolvency, agreed by the CFO"
        self.assertIn("override by an administrator", form.preview_html)
        action = form.save().action_confirm()
        amendment = self.env["sale.subscription.amendment"].browse(action["res_id"])
        self.assertEqual(amendment.state, "done")
        self.assertEqual(self.users_line.product_uom_qty, 6)
        for record in (amendment, self.subscription):
            self.assertIn(
                "Customer insolvency, agreed by the CFO",
                record.message_ids[0].body,
            )

    @freeze_time("2024-12-08")
    def test_administrator_late_change_without_a_reason_is_refused(self):
        form = self._form(user=self.admin)
        self._set_quantity(form, self.product_users, 6)
        with self.assertRaisesRegex(UserError, "Too late"):
            form.save().action_confirm()
        self.assertEqual(self.users_line.product_uom_qty, 10)

    @freeze_time("2024-11-20")
    def test_nothing_changed(self):
        wizard = self._form().save()
        with self.assertRaisesRegex(UserError, "changes nothing"):
            wizard.action_confirm()

    @freeze_time("2024-11-20")
    def test_a_wizard_prepared_before_another_change_is_refused(self):
        wizard = self._form()
        self._set_quantity(wizard, self.product_users, 6)
        wizard = wizard.save()
        self._amend(self.subscription, {self.product_users: 8}).action_apply()
        with self.assertRaisesRegex(UserError, "changed since"):
            wizard.action_confirm()
        self.assertEqual(self.users_line.product_uom_qty, 8)
