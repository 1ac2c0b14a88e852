# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Bad input, from the wizard and over RPC: a clear error, nothing changed."""

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user

from .test_wizard import WizardCase


@freeze_time("2024-11-20")
class TestBadInput(WizardCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env, login="plain_salesman", groups="sales_team.group_sale_salesman"
        )

    def setUp(self):
        super().setUp()
        self.before = self._state()

    def _values(self, *line_values, **values):
        return {
            "subscription_id": self.subscription.id,
            "line_ids": [Command.create(vals) for vals in line_values],
            **values,
        }

    def _change(self, quantity):
        return {"subscription_line_id": self.users_line.id, "new_quantity": quantity}

    def _apply(self, values, user=None):
        """As the wizard and RPC clients do: one create_and_apply call."""
        model = self.env["sale.subscription.amendment"].with_user(user or self.manager)
        return model.create_and_apply(values)

    def assertNothingChanged(self):
        self.assertEqual(self._state(), self.before)

    def test_negative_quantity(self):
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self._apply(self._values(self._change(-1)))
        form = self._form()
        self._set_quantity(form, self.product_users, -2)
        self.assertIn("cannot be negative", form.preview_html)
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            form.save().action_confirm()
        self.assertNothingChanged()

    def test_non_numeric_quantity_over_rpc(self):
        for value in ("six", "6", float("nan"), float("inf"), True, [6]):
            with self.assertRaisesRegex(ValidationError, "must be a number"):
                self._apply(self._values(self._change(value)))
        with self.assertRaisesRegex(ValidationError, "must be a number"):
            self._apply(
                self._values(
                    {
                        "product_id": self.product_addon.id,
                        "new_quantity": 1,
                        "price_unit": "ten",
                    }
                )
            )
        draft = self._amend(self.subscription, {self.product_users: 6})
        with self.assertRaisesRegex(ValidationError, "must be a number"):
            draft.line_ids.with_user(self.manager).write({"new_quantity": "4"})
        self.assertEqual(draft.line_ids.new_quantity, 6)
        draft.unlink()
        self.assertNothingChanged()

    def test_no_change_at_all(self):
        for values in (self._values(), self._values(self._change(10))):
            with self.assertRaisesRegex(UserError, "changes nothing"):
                self._apply(values)
        with self.assertRaisesRegex(UserError, "changes nothing"):
            self._form().save().action_confirm()
        self.assertNothingChanged()

    def test_effective_date_before_the_request_date(self):
        with self.assertRaisesRegex(ValidationError, "effective date"):
            self._apply(
                self._values(self._change(12), effective_date=date(2024, 11, 19))
            )
        form = self._form()
        self._set_quantity(form, self.product_users, 12)
        form.effective_date = date(2024, 11, 1)
        self.assertIn("is before the request date", form.preview_html)
        self.assertNothingChanged()

    def test_effective_date_after_the_renewal_date(self):
        with self.assertRaisesRegex(ValidationError, "effective date"):
            self._apply(self._values(self._change(12), effective_date=date(2025, 1, 7)))
        self.assertNothingChanged()

    def test_closed_subscription(self):
        with freeze_time("2024-11-01"):
            self.subscription.close_subscription()
        self.before = self._state()
        with self.assertRaisesRegex(UserError, "not running"):
            self._apply(self._values(self._change(12)))
        self.assertNothingChanged()

    def test_subscription_not_yet_started(self):
        draft = self._create_subscription()
        with self.assertRaisesRegex(UserError, "not running"):
            self._apply(
                {
                    "subscription_id": draft.id,
                    "line_ids": [
                        Command.create(
                            {
                                "subscription_line_id": (
                                    draft.sale_subscription_line_ids.id
                                ),
                                "new_quantity": 12,
                            }
                        )
                    ],
                }
            )
        self.assertEqual(draft.sale_subscription_line_ids.product_uom_qty, 10)
        self.assertFalse(draft.amendment_ids)

    def test_product_of_another_company(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        foreign = self._create_product("Foreign add-on", 10.0)
        foreign.company_id = other_company
        self.manager.company_ids |= other_company
        with self.assertRaisesRegex(UserError, "compan"):
            self._apply(
                self._values(
                    {"product_id": foreign.id, "new_quantity": 1, "price_unit": 10}
                )
            )
        self.assertNothingChanged()

    def test_new_addon_without_a_price(self):
        for price in (0.0, -5.0):
            with self.assertRaisesRegex(ValidationError, "(?i)unit price"):
                self._apply(
                    self._values(
                        {
                            "product_id": self.product_addon.id,
                            "new_quantity": 1,
                            "price_unit": price,
                        }
                    )
                )
        self.assertNothingChanged()

    def test_a_line_of_another_subscription(self):
        other = self._start(self._create_subscription())
        with self.assertRaisesRegex(ValidationError, "another subscription"):
            self._apply(
                self._values(
                    {
                        "subscription_line_id": other.sale_subscription_line_ids.id,
                        "new_quantity": 12,
                    }
                )
            )
        self.assertNothingChanged()

    def test_user_without_the_amendment_group(self):
        salesman = self.salesman
        with self.assertRaises(AccessError):
            self._apply(self._values(self._change(12)), user=salesman)
        with self.assertRaises(AccessError):
            self.env["sale.subscription.amendment"].with_user(salesman).create(
                self._values(self._change(12))
            )
        draft = self._amend(self.subscription, {self.product_users: 12})
        with self.assertRaises(AccessError):
            draft.with_user(salesman).action_apply()
        with self.assertRaises(AccessError):
            draft.with_user(salesman).action_cancel()
        with self.assertRaises(AccessError):
            self.env["sale.subscription.amendment.wizard"].with_user(salesman).create(
                {"subscription_id": self.subscription.id}
            )
        self.assertEqual(draft.state, "draft")
        # and the salesman cannot change the lines directly either
        with self.assertRaisesRegex(UserError, "only through an amendment"):
            self.users_line.with_user(salesman).product_uom_qty = 12
        draft.unlink()
        self.assertNothingChanged()

    def test_state_is_not_written_directly(self):
        draft = self._amend(self.subscription, {self.product_users: 12})
        for state in ("done", "scheduled", "cancel"):
            with self.assertRaisesRegex(UserError, "Apply or Cancel"):
                draft.with_user(self.manager).write({"state": state})
        with self.assertRaisesRegex(UserError, "created as a draft"):
            self._amend(self.subscription, {self.product_users: 12}, state="done")
        self.assertEqual(draft.state, "draft")

    def test_a_done_amendment_cannot_change(self):
        amendment = self._apply(self._values(self._change(12)))
        with self.assertRaisesRegex(UserError, "draft"):
            amendment.with_user(self.manager).effective_date = date(2024, 12, 1)
        with self.assertRaisesRegex(UserError, "draft"):
            amendment.line_ids.with_user(self.manager).new_quantity = 20
        with self.assertRaisesRegex(UserError, "draft"):
            amendment.line_ids.with_user(self.manager).unlink()
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            amendment.with_user(self.admin).unlink()
        self.assertEqual(self.users_line.product_uom_qty, 12)
