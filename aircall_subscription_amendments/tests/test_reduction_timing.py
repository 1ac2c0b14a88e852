# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""When a reduction takes effect (issue 24): the renewal a change must meet,
late requests scheduled for the next renewal they can meet, the reduction
timing of a template, and what a scheduled change freezes.

The article's contract: 10 users at 30.00 from 6 January 2024, a 12-month
term renewing on 6 January 2025, 30 days' notice; July (6 July – 5 August) is
invoiced and posted.
"""

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form

from .common_portal import PortalCase

MOVEMENTS = "sale.subscription.mrr.movement"


class TimingCase(PortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users_30 = cls._create_product("Users", 30.0)
        cls.admin = cls.users["amendment admin"]

    def _contract(self, timing="immediate", next_invoice=None):
        """The article's contract on a template of its own with ``timing``;
        July invoiced and posted, the next invoice on ``next_invoice``."""
        template = self.template.copy({"name": f"Monthly, {timing}"})
        template.reduction_timing = timing
        with freeze_time("2024-01-06"):
            subscription = self._customer_subscription(
                template_id=template.id, lines=[(self.users_30, 10)]
            )
        # on its day: the stored renewal date is the one of that day
        with freeze_time("2024-07-06"):
            invoice = self._invoice_period(subscription, date(2024, 7, 6))
            if next_invoice:
                subscription.recurring_next_date = next_invoice
            subscription.flush_recordset()
        return subscription, invoice

    def _users(self, subscription):
        return subscription.sale_subscription_line_ids.filtered(
            lambda line: line.product_id == self.users_30
        )

    def _reduce(self, subscription, quantity=6, user=None, **values):
        """``create_and_apply`` of 10 → ``quantity`` users, as RPC sends it."""
        amendments = self.env["sale.subscription.amendment"].with_user(
            user or self.manager
        )
        return amendments.create_and_apply(
            {
                "subscription_id": subscription.id,
                "line_ids": [
                    Command.create(
                        {
                            "subscription_line_id": self._users(subscription).id,
                            "new_quantity": quantity,
                        }
                    )
                ],
                **values,
            }
        )

    def _cron(self, day):
        with freeze_time(day):
            self.env["sale.subscription"].cron_subscription_management()
            self.env.flush_all()

    def _movements(self, subscription):
        return self.env[MOVEMENTS].search(
            [("subscription_id", "=", subscription.id)], order="id"
        )


class TestTiming(TimingCase):
    """The article's contract under each timing."""

    def test_immediate_credits_the_rest_of_july(self):
        subscription, invoice = self._contract("immediate")
        with freeze_time("2024-07-10"):
            amendment = self._reduce(subscription)
        self.assertEqual(amendment.state, "done")
        self.assertEqual(amendment.effective_date, date(2024, 7, 10))
        # 4 × 30.00 × 27/31
        self.assertEqual(amendment.move_ids.amount_untaxed, 104.52)
        self.assertEqual(amendment.move_ids.reversed_entry_id, invoice)
        self.assertEqual(amendment.reduction_timing, "immediate")

    def test_period_end_leaves_july_as_billed_and_bills_six_in_august(self):
        subscription, invoice = self._contract("period_end")
        with freeze_time("2024-07-10"):
            amendment = self._reduce(subscription)
        # no effective date sent: the template's timing gives it
        self.assertEqual(amendment.effective_date, date(2024, 8, 6))
        self.assertEqual(amendment.state, "scheduled")
        self.assertEqual(amendment.reduction_timing, "period_end")
        self.assertFalse(amendment.move_ids)
        self.assertEqual(self._users(subscription).product_uom_qty, 10)
        # the cron on 6 August: the change, then the invoice of August
        self.assertEqual(subscription.recurring_next_date, date(2024, 8, 6))
        self._cron("2024-08-06")
        self.assertEqual(amendment.state, "done")
        self.assertFalse(amendment.move_ids)
        self.assertFalse(
            self.env["account.move"].search(
                [
                    ("subscription_id", "=", subscription.id),
                    ("move_type", "=", "out_refund"),
                ]
            )
        )
        august = subscription.invoice_ids - invoice
        self.assertEqual(august.subscription_period_start, date(2024, 8, 6))
        self.assertEqual(august.invoice_line_ids.quantity, 6)
        self.assertEqual(invoice.invoice_line_ids.quantity, 10)

    def test_period_end_after_an_invoice_issued_ahead_starts_in_september(self):
        subscription, invoice = self._contract("period_end")
        august = self._invoice_period(subscription, date(2024, 8, 6))
        with freeze_time("2024-07-10"):
            amendment = self._reduce(subscription)
        self.assertEqual(amendment.effective_date, date(2024, 9, 6))
        self.assertFalse(amendment.move_ids)
        # an earlier date sent by a client is refused, and says which one it gets
        with (
            freeze_time("2024-07-10"),
            self.assertRaisesRegex(ValidationError, "09/06/2024"),
        ):
            self._reduce(subscription, 8, effective_date=date(2024, 8, 6))
        self._cron("2024-09-06")
        self.assertEqual(self._users(subscription).product_uom_qty, 6)
        self.assertFalse(
            (invoice | august).reversal_move_ids,
            "invoices issued ahead are never credited",
        )

    def test_renewal_keeps_ten_users_until_the_renewal(self):
        subscription, _invoice = self._contract(
            "renewal", next_invoice=date(2099, 1, 1)
        )
        with freeze_time("2024-07-10"):
            amendment = self._reduce(subscription)
        self.assertEqual(
            (amendment.state, amendment.effective_date),
            ("scheduled", date(2025, 1, 6)),
        )
        self._cron("2025-01-05")
        self.assertEqual(self._users(subscription).product_uom_qty, 10)
        self._cron("2025-01-06")
        self.assertEqual(amendment.state, "done")
        self.assertEqual(self._users(subscription).product_uom_qty, 6)
        self.assertFalse(amendment.move_ids)
        self.assertEqual(subscription.renewal_date, date(2026, 1, 6))
        self.assertTrue(subscription.in_progress)

    def test_an_earlier_date_than_the_timing_gives_is_refused_with_nothing_written(
        self,
    ):
        subscription, _invoice = self._contract("renewal")
        before = self.fingerprint()
        for effective in (date(2024, 7, 10), date(2024, 8, 6), date(2025, 1, 5)):
            with (
                freeze_time("2024-07-10"),
                self.assertRaisesRegex(ValidationError, "01/06/2025"),
            ):
                self._reduce(subscription, effective_date=effective)
        # a day after the renewal that is no renewal
        with freeze_time("2024-07-10"), self.assertRaises(ValidationError):
            self._reduce(subscription, effective_date=date(2025, 3, 6))
        self.assertUnchanged(before, "refused timings")

    def test_upgrades_stay_immediate_with_their_prorated_invoice(self):
        subscription, invoice = self._contract("renewal")
        with freeze_time("2024-07-10"):
            amendment = self._reduce(subscription, 12)
        self.assertEqual(
            (amendment.state, amendment.effective_date),
            ("done", date(2024, 7, 10)),
        )
        # 2 × 30.00 × 27/31
        self.assertEqual(amendment.move_ids.move_type, "out_invoice")
        self.assertEqual(amendment.move_ids.amount_untaxed, 52.26)
        self.assertEqual(amendment.reduction_timing, "immediate")

    def test_a_mixed_change_follows_the_reduction_timing_and_says_so(self):
        subscription, _invoice = self._contract("renewal")
        subscription = subscription.with_user(self.manager)
        with freeze_time("2024-07-10"):
            wizard = Form(
                self.env["sale.subscription.amendment.wizard"]
                .with_user(self.manager)
                .with_context(
                    active_model="sale.subscription", active_id=subscription.id
                )
            )
            self.assertEqual(wizard.effective_date, date(2024, 7, 10))
            with wizard.line_ids.edit(0) as line:
                line.new_quantity = 6
            with wizard.line_ids.new() as line:
                line.product_id = self.product_numbers
                line.new_quantity = 3
                line.price_unit = 6.0
            # the wizard takes the date the timing gives the change as a whole
            self.assertEqual(wizard.effective_date, date(2025, 1, 6))
            self.assertIn("adds and removes", wizard.preview_html)
            self.assertIn("Nothing is credited", wizard.preview_html)
            self.assertIn("make two amendments", wizard.preview_html)
            amendment = self.env["sale.subscription.amendment"].browse(
                wizard.save().action_confirm()["res_id"]
            )
        self.assertEqual(
            (amendment.amendment_type, amendment.state, amendment.effective_date),
            ("mixed", "scheduled", date(2025, 1, 6)),
        )
        self.assertFalse(amendment.move_ids)

    def test_a_scheduled_change_keeps_its_date_when_the_timing_changes(self):
        subscription, _invoice = self._contract(
            "renewal", next_invoice=date(2099, 1, 1)
        )
        with freeze_time("2024-07-10"):
            amendment = self._reduce(subscription)
        subscription.template_id.with_user(self.admin).reduction_timing = "immediate"
        self._cron("2025-01-06")
        self.assertEqual(amendment.state, "done")
        self.assertEqual(amendment.effective_date, date(2025, 1, 6))
        self.assertEqual(self._users(subscription).product_uom_qty, 6)
        self.assertFalse(amendment.move_ids)

    def test_only_administrators_set_the_timing(self):
        template = self.template.copy({"name": "Monthly, admin's"})
        for role in ("amendment user", "salesman", "billing"):
            with self.assertRaises(AccessError):
                template.with_user(self.users[role]).write(
                    {"reduction_timing": "renewal"}
                )
        with self.assertRaises(AccessError):
            self.env["sale.subscription.template"].with_user(
                self.users["amendment user"]
            ).create({"name": "Mine", "reduction_timing": "renewal"})
        template.with_user(self.admin).reduction_timing = "renewal"
        self.assertEqual(template.reduction_timing, "renewal")
        # the timing an amendment was accepted under is no client's to write
        subscription, _invoice = self._contract("renewal")
        with freeze_time("2024-07-10"):
            amendment = self._reduce(subscription)
        for user in (self.manager, self.admin):
            with self.assertRaises(UserError):
                amendment.with_user(user).write({"reduction_timing": "immediate"})


class TestLaterRenewals(TimingCase):
    """A request too late for the coming renewal is on time for the next."""

    def test_a_late_reduction_is_refused_naming_the_next_renewal_then_accepted_for_it(
        self,
    ):
        subscription, _invoice = self._contract(next_invoice=date(2099, 1, 1))
        before = self.fingerprint()
        with (
            freeze_time("2024-12-20"),
            self.assertRaisesRegex(UserError, "Too late.*01/06/2025.*01/06/2026"),
        ):
            self._reduce(subscription)
        self.assertUnchanged(before, "a late reduction")
        with freeze_time("2024-12-20"):
            amendment = self._reduce(subscription, effective_date=date(2026, 1, 6))
        self.assertEqual(amendment.state, "scheduled")
        self.assertEqual(amendment.renewal_date, date(2026, 1, 6))
        self.assertEqual(amendment.notice_deadline, date(2025, 12, 7))
        # the contract renews under its current terms in 2025
        self._cron("2025-01-06")
        self.assertEqual(subscription.renewal_date, date(2026, 1, 6))
        self.assertEqual(self._users(subscription).product_uom_qty, 10)
        self.assertEqual(amendment.state, "scheduled")
        # ... and drops to 6 users on 6 January 2026
        self._cron("2026-01-06")
        self.assertEqual(amendment.state, "done")
        self.assertEqual(self._users(subscription).product_uom_qty, 6)
        self.assertEqual(subscription.renewal_date, date(2027, 1, 6))
        contraction = self._movements(subscription).filtered(
            lambda movement: movement.kind == "contraction"
        )
        self.assertEqual(contraction.date, date(2026, 1, 6))
        self.assertEqual(contraction.delta, -120.0)

    def test_the_wizard_offers_to_schedule_it_for_that_renewal(self):
        subscription, _invoice = self._contract(next_invoice=date(2099, 1, 1))
        with freeze_time("2024-12-20"):
            wizard = Form(
                self.env["sale.subscription.amendment.wizard"]
                .with_user(self.manager)
                .with_context(
                    active_model="sale.subscription", active_id=subscription.id
                )
            )
            with wizard.line_ids.edit(0) as line:
                line.new_quantity = 6
            self.assertIn("Too late", wizard.preview_html)
            self.assertEqual(wizard.schedule_date, date(2026, 1, 6))
            result = wizard.save().action_schedule()
        amendment = self.env["sale.subscription.amendment"].browse(result["res_id"])
        self.assertEqual(
            (amendment.state, amendment.effective_date, amendment.request_date),
            ("scheduled", date(2026, 1, 6), date(2024, 12, 20)),
        )
        self.assertEqual(amendment.line_ids.new_quantity, 6)

    def test_an_on_time_change_is_not_offered_a_later_renewal(self):
        subscription, _invoice = self._contract()
        with freeze_time("2024-07-10"):
            wizard = Form(
                self.env["sale.subscription.amendment.wizard"]
                .with_user(self.manager)
                .with_context(
                    active_model="sale.subscription", active_id=subscription.id
                )
            )
            with wizard.line_ids.edit(0) as line:
                line.new_quantity = 6
            self.assertFalse(wizard.schedule_date)
            with self.assertRaises(UserError):
                wizard.save().action_schedule()

    def test_a_cancellation_scheduled_for_a_renewal_closes_the_contract_on_that_day(
        self,
    ):
        subscription, _invoice = self._contract(next_invoice=date(2099, 1, 1))
        with freeze_time("2024-12-20"):
            amendment = (
                self.env["sale.subscription.amendment"]
                .with_user(self.manager)
                .create_and_apply(
                    {
                        "subscription_id": subscription.id,
                        "cancel_renewal": True,
                        "effective_date": date(2026, 1, 6),
                    }
                )
            )
        self.assertEqual(amendment.state, "scheduled")
        self._cron("2025-01-06")
        self.assertTrue(subscription.in_progress)
        self.assertTrue(subscription.auto_renew)
        # no reminder of the 2026 deadline: the cancellation is already scheduled
        self._cron("2025-11-27")
        self._cron("2025-12-07")
        self.assertFalse(
            subscription.activity_ids.filtered(
                lambda activity: (
                    activity.activity_type_id
                    == self.env.ref(
                        "aircall_subscription_amendments.mail_activity_notice_deadline"
                    )
                )
            )
        )
        self._cron("2026-01-05")
        self.assertTrue(subscription.in_progress)
        self._cron("2026-01-06")
        self.assertEqual(amendment.state, "done")
        self.assertFalse(subscription.in_progress)
        self.assertEqual(subscription.stage_id.type, "post")
        churn = self._movements(subscription).filtered(
            lambda movement: movement.kind == "churn"
        )
        self.assertEqual(churn.date, date(2026, 1, 6))

    def test_a_cancellation_effective_on_the_coming_renewal_closes_at_it(self):
        subscription, _invoice = self._contract(next_invoice=date(2099, 1, 1))
        with freeze_time("2024-11-01"):
            amendment = (
                self.env["sale.subscription.amendment"]
                .with_user(self.manager)
                .create_and_apply(
                    {
                        "subscription_id": subscription.id,
                        "cancel_renewal": True,
                        "effective_date": date(2025, 1, 6),
                    }
                )
            )
        self.assertEqual(amendment.state, "scheduled")
        self._cron("2025-01-06")
        self.assertEqual(amendment.state, "done")
        # not one term later
        self.assertFalse(subscription.in_progress)

    def test_an_administrators_late_change_with_a_reason_still_applies_at_once(self):
        subscription, _invoice = self._contract()
        with freeze_time("2024-12-20"):
            amendment = self._reduce(
                subscription, user=self.admin, override_reason="Goodwill, agreed"
            )
        self.assertEqual(amendment.state, "done")
        self.assertEqual(amendment.effective_date, date(2024, 12, 20))


class TestScheduledChanges(TimingCase):
    """A scheduled change freezes its line; the customer withdraws their own."""

    def test_a_scheduled_change_freezes_its_line_until_it_is_cancelled(self):
        subscription, _invoice = self._contract("renewal")
        with freeze_time("2024-07-10"):
            scheduled = self._reduce(subscription)
            with self.assertRaisesRegex(UserError, f"scheduled by {scheduled.name}"):
                self._reduce(subscription, 12)
            with self.assertRaisesRegex(UserError, f"scheduled by {scheduled.name}"):
                self._reduce(subscription, 8)
            # another line is free: an add-on, at once
            addon = (
                self.env["sale.subscription.amendment"]
                .with_user(self.manager)
                .create_and_apply(
                    {
                        "subscription_id": subscription.id,
                        "line_ids": [
                            Command.create(
                                {
                                    "product_id": self.product_numbers.id,
                                    "new_quantity": 2,
                                    "price_unit": 6.0,
                                }
                            )
                        ],
                    }
                )
            )
            self.assertEqual(addon.state, "done")
            scheduled.with_user(self.manager).action_cancel()
            upgrade = self._reduce(subscription, 12)
        self.assertEqual(upgrade.state, "done")
        self.assertEqual(self._users(subscription).product_uom_qty, 12)

    def test_a_second_cancellation_waits_for_the_scheduled_one(self):
        subscription, _invoice = self._contract()
        values = {"subscription_id": subscription.id, "cancel_renewal": True}
        amendments = self.env["sale.subscription.amendment"].with_user(self.manager)
        with freeze_time("2024-11-01"):
            first = amendments.create_and_apply(
                dict(values, effective_date=date(2025, 1, 6))
            )
            with self.assertRaisesRegex(UserError, first.name):
                amendments.create_and_apply(values)

    def _scheduled_request(self, subscription):
        """The customer's late request, scheduled for 6 January 2026 from the
        portal's offer, confirmed by the account manager."""
        customer = subscription.with_user(self.customer_user)
        values = self._request_values(subscription, {self.users_30: 6})
        with freeze_time("2024-12-20 10:00:00"):
            preview = customer.portal_preview_amendment(values)
            self.assertIn("Too late", preview["error"])
            self.assertEqual(preview["schedule_date"], "2026-01-06")
            request = self.env["sale.subscription.amendment"].browse(
                customer.portal_request_amendment(
                    dict(values, effective_date=preview["schedule_date"])
                )
            )
            self.assertEqual(request.state, "requested")
            request.with_user(self.manager).action_apply()
        self.assertEqual(request.state, "scheduled")
        return request

    def test_the_customer_schedules_a_late_request_and_withdraws_it(self):
        subscription, _invoice = self._contract(next_invoice=date(2099, 1, 1))
        request = self._scheduled_request(subscription)
        # another customer's user cannot withdraw it
        with self.assertRaises(AccessError):
            subscription.with_user(self.outsider).portal_withdraw_amendment(request.id)
        with freeze_time("2025-02-01"):
            subscription.with_user(self.customer_user).portal_withdraw_amendment(
                request.id
            )
        self.assertEqual(request.state, "cancel")
        self._cron("2026-01-06")
        self.assertEqual(self._users(subscription).product_uom_qty, 10)
        # once withdrawn, nothing more to withdraw
        with self.assertRaises(UserError):
            subscription.with_user(self.customer_user).portal_withdraw_amendment(
                request.id
            )

    def test_the_customer_withdraws_only_their_own_waiting_changes(self):
        subscription, _invoice = self._contract("renewal")
        with freeze_time("2024-07-10"):
            managers = self._reduce(subscription)
        customer = subscription.with_user(self.customer_user)
        for amendment_id in (managers.id, str(managers.id), None, 0):
            with self.assertRaises(AccessError):
                customer.portal_withdraw_amendment(amendment_id)
        # nor through another subscription of theirs
        other, _invoice = self._contract("renewal")
        with self.assertRaises(AccessError):
            other.with_user(self.customer_user).portal_withdraw_amendment(managers.id)
        # account managers and administrators are not customers
        for user in (self.manager, self.admin):
            with self.assertRaises(AccessError):
                subscription.with_user(user).portal_withdraw_amendment(managers.id)
        self.assertEqual(managers.state, "scheduled")
        # the account manager cancels it
        managers.with_user(self.manager).action_cancel()
        self.assertEqual(managers.state, "cancel")

    def test_the_customer_sees_the_next_renewal_in_the_portal_notice(self):
        subscription, _invoice = self._contract()
        with freeze_time("2024-12-20 10:00:00"):
            facts = subscription.sudo()._portal_notice_facts()
        self.assertEqual(facts["reductions_from"], date(2026, 1, 6))
        self.assertIn("scheduled for the renewal of 01/06/2026", facts["notice"])


class TestWhatTheReviewFound(TimingCase):
    """What a review of the first version found, each reproduced."""

    def test_a_cancellation_that_lowers_lines_follows_the_timing(self):
        subscription, invoice = self._contract("renewal")
        with freeze_time("2024-07-10"):
            with self.assertRaisesRegex(ValidationError, "01/06/2025"):
                self._reduce(
                    subscription, cancel_renewal=True, effective_date=date(2024, 7, 10)
                )
            amendment = self._reduce(subscription, cancel_renewal=True)
        self.assertEqual(
            (amendment.amendment_type, amendment.state, amendment.effective_date),
            ("cancellation", "scheduled", date(2025, 1, 6)),
        )
        self.assertEqual(amendment.reduction_timing, "renewal")
        self.assertFalse(amendment.move_ids | invoice.reversal_move_ids)
        self.assertEqual(self._users(subscription).product_uom_qty, 10)

    def test_a_template_with_another_timing_is_the_administrators(self):
        subscription, _invoice = self._contract("renewal")
        twin = subscription.template_id.copy({"name": "Twin"})
        twin.reduction_timing = "immediate"
        with self.assertRaisesRegex(AccessError, "reduction timing"):
            subscription.with_user(self.manager).write({"template_id": twin.id})
        self.assertEqual(subscription.template_id.reduction_timing, "renewal")
        # the same timing: nothing to protect
        same = subscription.template_id.copy({"name": "Same"})
        subscription.with_user(self.manager).write({"template_id": same.id})
        self.assertEqual(subscription.template_id, same)

    def test_a_batch_is_frozen_by_what_it_schedules_before(self):
        subscription, _invoice = self._contract(next_invoice=date(2099, 1, 1))
        amendments = self.env["sale.subscription.amendment"].with_user(self.manager)
        before = self.fingerprint()
        with freeze_time("2024-11-01"):
            twice = amendments.create(
                {
                    "subscription_id": subscription.id,
                    "cancel_renewal": True,
                    "effective_date": date(2025, 1, 6),
                }
            ) | amendments.create(
                {
                    "subscription_id": subscription.id,
                    "cancel_renewal": True,
                    "effective_date": date(2024, 12, 1),
                }
            )
            with self.assertRaisesRegex(UserError, "scheduled by"):
                twice.action_apply()
            self.assertEqual(set(twice.mapped("state")), {"draft"})
            one_line = self._amend(
                subscription, {self.users_30: 8}, effective=date(2024, 12, 1)
            ) | self._amend(
                subscription, {self.users_30: 6}, effective=date(2025, 1, 6)
            )
            with self.assertRaisesRegex(UserError, "scheduled by"):
                one_line.action_apply()
        # all or nothing: both drafts, the contract as it was
        self.assertEqual(set(one_line.mapped("state")), {"draft"})
        (twice | one_line).sudo().unlink()
        self.assertUnchanged(before, "batches refused")

    def test_a_request_confirmed_after_the_next_invoice_moves_to_the_next_period(self):
        subscription, _invoice = self._contract("period_end")
        with freeze_time("2024-11-06"):
            self._invoice_period(subscription, date(2024, 11, 6))
        customer = subscription.with_user(self.customer_user)
        with freeze_time("2024-12-05 10:00:00"):
            request = self.env["sale.subscription.amendment"].browse(
                customer.portal_request_amendment(
                    self._request_values(subscription, {self.users_30: 6})
                )
            )
        self.assertEqual(request.effective_date, date(2024, 12, 6))
        with freeze_time("2024-12-06"):
            december = self._invoice_period(subscription, date(2024, 12, 6))
        with freeze_time("2024-12-09"):
            request.with_user(self.manager).action_apply()
        # on time when sent (5 December, deadline 7 December): the first period
        # not invoiced, the renewal, nothing credited
        self.assertEqual(
            (request.state, request.effective_date, request.request_date),
            ("scheduled", date(2025, 1, 6), date(2024, 12, 5)),
        )
        self.assertFalse(request.move_ids | december.reversal_move_ids)

    def test_a_late_run_applies_the_due_changes_in_their_order(self):
        subscription, _invoice = self._contract(next_invoice=date(2099, 1, 1))
        amendments = self.env["sale.subscription.amendment"].with_user(self.manager)
        with freeze_time("2024-11-01"):
            reduction = self._reduce(subscription, effective_date=date(2024, 12, 1))
            cancellation = amendments.create_and_apply(
                {
                    "subscription_id": subscription.id,
                    "cancel_renewal": True,
                    "effective_date": date(2024, 12, 20),
                }
            )
        self._cron("2024-12-21")
        self.assertEqual((reduction.state, cancellation.state), ("done", "done"))
        self.assertEqual(self._users(subscription).product_uom_qty, 6)
        self.assertFalse(subscription.auto_renew)

    def test_an_administrator_does_not_edit_a_frozen_line_either(self):
        subscription, _invoice = self._contract("renewal")
        with freeze_time("2024-07-10"):
            scheduled = self._reduce(subscription)
        line = self._users(subscription).with_user(self.admin)
        with self.assertRaisesRegex(UserError, scheduled.name):
            line.write({"product_uom_qty": 12})
        with self.assertRaisesRegex(UserError, scheduled.name):
            line.write_with_override({"product_uom_qty": 4}, "agreed")
        with self.assertRaisesRegex(UserError, scheduled.name):
            line.with_context(override_reason="agreed").unlink()
        self.assertEqual(self._users(subscription).product_uom_qty, 10)
        scheduled.with_user(self.admin).action_cancel()
        line.write({"product_uom_qty": 12})
        self.assertEqual(self._users(subscription).product_uom_qty, 12)

    def test_a_scheduled_change_that_cannot_apply_is_cancelled_once(self):
        subscription, _invoice = self._contract(next_invoice=date(2099, 1, 1))
        amendments = self.env["sale.subscription.amendment"].with_user(self.manager)
        with freeze_time("2024-11-01"):
            cancellation = amendments.create_and_apply(
                {
                    "subscription_id": subscription.id,
                    "cancel_renewal": True,
                    "effective_date": date(2025, 1, 6),
                }
            )
            reduction = self._reduce(subscription, effective_date=date(2026, 1, 6))
        self._cron("2025-01-06")
        self.assertEqual(cancellation.state, "done")
        self.assertFalse(subscription.in_progress)
        self._cron("2026-01-06")
        self._cron("2026-01-07")
        self.assertEqual(reduction.state, "cancel")
        notes = reduction.message_ids.filtered(
            lambda message: "Not applied on" in (message.body or "")
        )
        self.assertEqual(len(notes), 1)
        self.assertIn("not running", notes.body)
