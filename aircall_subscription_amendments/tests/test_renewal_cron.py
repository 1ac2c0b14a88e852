# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The daily cron: renewals, closing at renewal, notice reminders."""

from datetime import date

from freezegun import freeze_time

from odoo.tests import Form, new_test_user

from .test_terms import TermsCase

REMINDER = "aircall_subscription_amendments.mail_activity_notice_deadline"


class CronCase(TermsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account_manager = new_test_user(
            cls.env,
            login="cron_account_manager",
            groups="aircall_subscription_amendments.group_amendment_user",
        )
        cls.not_renewed = cls.env.ref(
            "aircall_subscription_amendments.close_reason_not_renewed"
        )

    def _run_cron(self, day):
        with freeze_time(day):
            self.env["sale.subscription"].cron_subscription_management()
            self.env.flush_all()

    def _running(self, start=date(2024, 1, 6), next_invoice=None, **values):
        """A started contract; ``next_invoice`` far ahead keeps invoicing out."""
        with freeze_time(start):
            subscription = self._start(
                self._create_subscription(
                    start=start, user_id=self.account_manager.id, **values
                )
            )
            subscription.recurring_next_date = next_invoice or date(2099, 1, 1)
            subscription.flush_recordset()
        return subscription

    def _messages(self, subscription, text):
        return subscription.message_ids.filtered(lambda message: text in message.body)

    def _state(self, subscription):
        """Everything a cron run could change on ``subscription``."""
        subscription.invalidate_recordset()
        return (
            subscription.renewal_date,
            subscription.notice_deadline,
            subscription.stage_id,
            subscription.in_progress,
            subscription.close_reason_id,
            subscription.recurring_next_date,
            subscription.auto_renew,
            subscription.notice_reminder_renewal_date,
            [
                (line.product_id, line.product_uom_qty, line.price_unit)
                for line in subscription.sale_subscription_line_ids
            ],
            subscription.invoice_ids,
            subscription.message_ids,
            subscription.activity_ids,
        )


class TestRenewal(CronCase):
    def test_renewal_date_advances_over_several_terms(self):
        subscription = self._running()
        self.assertEqual(subscription.renewal_date, date(2025, 1, 6))
        lines = subscription.sale_subscription_line_ids
        self._run_cron("2025-01-05")
        self.assertEqual(subscription.renewal_date, date(2025, 1, 6))
        for day, renewal, deadline in (
            ("2025-01-06", date(2026, 1, 6), date(2025, 12, 7)),
            ("2026-01-06", date(2027, 1, 6), date(2026, 12, 7)),
            ("2027-01-06", date(2028, 1, 6), date(2027, 12, 7)),
        ):
            self._run_cron(day)
            self.assertEqual(subscription.renewal_date, renewal, day)
            self.assertEqual(subscription.notice_deadline, deadline, day)
            self.assertTrue(subscription.in_progress)
        # the same lines and prices, term after term
        self.assertEqual(subscription.sale_subscription_line_ids, lines)
        self.assertEqual(lines.product_uom_qty, 10)
        self.assertEqual(lines.price_unit, 25)
        self.assertEqual(len(self._messages(subscription, "New contract term")), 3)

    def test_monthly_terms_from_31_january(self):
        subscription = self._running(
            start=date(2024, 1, 31), template_id=self.template_monthly_term.id
        )
        self.assertEqual(subscription.renewal_date, date(2024, 2, 29))
        for day, renewal in (
            ("2024-02-29", date(2024, 3, 31)),
            ("2024-03-31", date(2024, 4, 30)),
            ("2024-04-30", date(2024, 5, 31)),
        ):
            self._run_cron(day)
            self.assertEqual(subscription.renewal_date, renewal, day)

    def test_missed_runs_catch_up_to_the_next_renewal_after_today(self):
        subscription = self._running()
        self._run_cron("2027-03-01")
        self.assertEqual(subscription.renewal_date, date(2028, 1, 6))
        self.assertEqual(subscription.notice_deadline, date(2027, 12, 7))
        self.assertTrue(subscription.in_progress)

    def test_cron_twice_on_the_same_day_changes_nothing(self):
        # invoiced up to the renewal: subscription_oca bills the new term's
        # first month in the same run
        subscription = self._running(next_invoice=date(2025, 1, 6))
        cancelled = self._running(next_invoice=date(2025, 1, 6))
        with freeze_time("2024-06-01"):
            cancelled.auto_renew = False
        self._run_cron("2024-11-22")  # and a reminder on the way
        self._run_cron("2025-01-06")
        self.assertEqual(subscription.renewal_date, date(2026, 1, 6))
        self.assertEqual(len(subscription.invoice_ids), 1)
        self.assertEqual(subscription.recurring_next_date, date(2025, 2, 6))
        self.assertEqual(cancelled.stage_id.type, "post")
        before = [self._state(subscription), self._state(cancelled)]
        self._run_cron("2025-01-06")
        self.assertEqual([self._state(subscription), self._state(cancelled)], before)

    def test_renewal_runs_before_subscription_oca_invoicing(self):
        subscription = self._running(next_invoice=date(2025, 1, 6))
        self._run_cron("2025-01-06")
        renewal = self._messages(subscription, "New contract term")
        invoicing = self._messages(subscription, "Created invoice")
        self.assertEqual(len(renewal), 1)
        self.assertEqual(len(invoicing), 1)
        self.assertLess(renewal.id, invoicing.id)
        # the new term's first period is invoiced under the same lines and prices
        invoice = subscription.invoice_ids
        self.assertEqual(invoice.invoice_date, date(2025, 1, 6))
        self.assertEqual(invoice.invoice_line_ids.quantity, 10)
        self.assertEqual(invoice.invoice_line_ids.price_unit, 25)

    def test_contract_created_through_the_form_renews(self):
        with freeze_time("2024-01-06"):
            form = Form(self.env["sale.subscription"])
            form.partner_id = self.partner
            form.pricelist_id = self.pricelist
            form.template_id = self.template
            form.date_start = date(2024, 1, 6)
            subscription = self._start(form.save())
            subscription.recurring_next_date = date(2099, 1, 1)
        # subscription_oca's "forever" boundary, not left unset by the form
        self.assertTrue(subscription.recurring_rule_boundary)
        self.assertFalse(subscription.date)
        self.assertTrue(subscription.auto_renew)
        self._run_cron("2025-01-06")
        self.assertEqual(subscription.renewal_date, date(2026, 1, 6))
        self.assertTrue(subscription.in_progress)

    def test_no_term_contract_is_left_alone(self):
        subscription = self._running(template_id=self.template_no_term.id)
        self._run_cron("2025-01-06")
        self.assertFalse(subscription.renewal_date)
        self.assertTrue(subscription.in_progress)
        self.assertFalse(self._messages(subscription, "contract term"))
        self.assertFalse(subscription.activity_ids)

    def test_draft_contract_only_gets_its_dates_refreshed(self):
        with freeze_time("2024-01-01"):
            draft = self._create_subscription()
        self.assertEqual(draft.renewal_date, date(2025, 1, 6))
        self._run_cron("2025-02-01")
        self.assertEqual(draft.renewal_date, date(2026, 1, 6))
        self.assertEqual(draft.stage_id.type, "draft")
        self.assertFalse(self._messages(draft, "contract term"))


class TestClosingAtRenewal(CronCase):
    def test_cancelled_contract_closes_at_renewal_with_a_reason(self):
        subscription = self._running(next_invoice=date(2025, 1, 6))
        with freeze_time("2024-06-01"):
            subscription.auto_renew = False
        self._run_cron("2025-01-05")
        self.assertTrue(subscription.in_progress)
        self._run_cron("2025-01-06")
        self.assertEqual(subscription.stage_id.type, "post")
        self.assertFalse(subscription.in_progress)
        self.assertEqual(subscription.close_reason_id, self.not_renewed)
        self.assertFalse(subscription.renewal_date)
        self.assertFalse(subscription.notice_deadline)
        self.assertTrue(self._messages(subscription, "Not renewed"))
        # closed before subscription_oca's run: the next term is not invoiced
        self.assertFalse(subscription.invoice_ids)
        self.assertFalse(subscription.recurring_next_date)

    def test_fixed_end_date_is_left_to_subscription_oca(self):
        template = self._create_template(
            "One year, fixed",
            recurring_rule_boundary="limited",
            recurring_rule_count=12,
            term_interval=12,
        )
        subscription = self._running(template_id=template.id)
        self.assertEqual(subscription.renewal_date, date(2025, 1, 6))
        self._run_cron("2025-01-05")
        self.assertTrue(subscription.in_progress)
        self._run_cron("2025-01-06")
        # subscription_oca closes it on its end date, without our reason
        self.assertEqual(subscription.stage_id.type, "post")
        self.assertNotEqual(subscription.close_reason_id, self.not_renewed)
        self.assertFalse(subscription.renewal_date)
        self.assertFalse(self._messages(subscription, "New contract term"))


class TestNoticeReminder(CronCase):
    def _reminders(self, subscription):
        return subscription.activity_ids.filtered(
            lambda activity: activity.activity_type_id == self.env.ref(REMINDER)
        )

    def test_reminder_once_per_term(self):
        subscription = self._running()
        self.assertEqual(subscription.notice_deadline, date(2024, 12, 7))
        # 15 days before the deadline
        self._run_cron("2024-11-21")
        self.assertFalse(self._reminders(subscription))
        self._run_cron("2024-11-22")
        reminder = self._reminders(subscription)
        self.assertEqual(len(reminder), 1)
        self.assertEqual(reminder.user_id, self.account_manager)
        self.assertEqual(reminder.date_deadline, date(2024, 12, 7))
        self.assertIn("12/07/2024", reminder.summary)
        self.assertIn("01/06/2025", reminder.note)
        self.assertEqual(subscription.notice_reminder_renewal_date, date(2025, 1, 6))
        for day in ("2024-11-22", "2024-11-30", "2024-12-07"):
            self._run_cron(day)
            self.assertEqual(self._reminders(subscription), reminder, day)
        # next term: one more
        self._run_cron("2025-01-06")
        self._run_cron("2025-11-21")
        self.assertEqual(self._reminders(subscription), reminder)
        self._run_cron("2025-11-22")
        self._run_cron("2025-11-23")
        reminders = self._reminders(subscription)
        self.assertEqual(len(reminders), 2)
        self.assertEqual((reminders - reminder).date_deadline, date(2025, 12, 7))

    def test_company_sets_the_reminder_days(self):
        self.company.amendment_reminder_days = 5
        subscription = self._running()
        self._run_cron("2024-12-01")
        self.assertFalse(self._reminders(subscription))
        self._run_cron("2024-12-02")
        self.assertEqual(len(self._reminders(subscription)), 1)

    def test_a_late_run_still_reminds_on_the_deadline(self):
        subscription = self._running()
        self._run_cron("2024-12-07")
        self.assertEqual(len(self._reminders(subscription)), 1)

    def test_no_reminder_after_the_deadline(self):
        subscription = self._running()
        self._run_cron("2024-12-08")
        self.assertFalse(self._reminders(subscription))

    def test_no_reminder_for_contracts_that_do_not_renew(self):
        cancelled = self._running()
        with freeze_time("2024-06-01"):
            cancelled.auto_renew = False
        no_term = self._running(template_id=self.template_no_term.id)
        self._run_cron("2024-11-22")
        self.assertFalse(self._reminders(cancelled))
        self.assertFalse(self._reminders(no_term))
