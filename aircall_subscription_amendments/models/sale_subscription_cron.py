# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The daily cron of subscriptions: renewals, scheduled amendments, reminders,
then subscription_oca's invoicing."""

from datetime import timedelta

from odoo import api, models

from ..tools import MRR_DEFERRED, internal, user_today


class SaleSubscription(models.Model):
    # one job per file (README, Architecture): sale_subscription.py has the fields
    _inherit = "sale.subscription"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def cron_subscription_management(self):
        """Renewals, then scheduled amendments, then reminders, then invoicing.

        subscription_oca's own run (``super()``) comes last: it invoices the
        periods that start today under the terms the steps before left.
        """
        self._cron_renew_terms()
        self.env["sale.subscription.amendment"]._cron_apply_scheduled()
        self._cron_notice_reminders()
        return super().cron_subscription_management()

    @api.model
    def _cron_notice_reminders(self):
        """Remind the responsible user of an approaching notice deadline.

        Once per term: ``notice_reminder_renewal_date`` remembers the term a
        reminder was made for. Only contracts that would renew need one.
        """
        today = user_today(self)
        companies = self.env["res.company"].search([])
        horizon = today + timedelta(
            days=max(companies.mapped("amendment_reminder_days") or [0])
        )
        candidates = self.search(
            [
                ("in_progress", "=", True),
                ("auto_renew", "=", True),
                ("notice_deadline", ">=", today),
                ("notice_deadline", "<=", horizon),
            ]
        )
        notes = self.env["sale.subscription.notes"]
        for subscription in candidates:
            reminder_day = subscription.notice_deadline - timedelta(
                days=subscription.company_id.amendment_reminder_days
            )
            if (
                reminder_day <= today
                and subscription.notice_reminder_renewal_date
                != subscription.renewal_date
            ):
                notes._schedule_notice_reminder(subscription)
                subscription.notice_reminder_renewal_date = subscription.renewal_date

    @api.model
    def _cron_renew_terms(self):
        """Start the next term of contracts whose renewal date has come.

        Auto-renewing contracts continue under the same lines and prices: their
        renewal date and notice deadline advance (subscription_oca runs them on
        its unlimited boundary, so none of its own fields needs re-aligning).
        The others are closed through subscription_oca's close flow, with the
        "not renewed" reason; their churn is dated the renewal date. A subscription with an end date is left to
        subscription_oca, which closes it on that date. Contracts that are not
        running only get their dates refreshed. Idempotent: a second run the
        same day finds nothing to do.
        """
        today = user_today(self)
        due = self.search([("renewal_date", "<=", today)])
        running = due.filtered(
            lambda subscription: subscription.in_progress and not subscription.date
        )
        to_close = running.filtered(lambda subscription: not subscription.auto_renew)
        reason = self.env.ref(
            "aircall_subscription_amendments.close_reason_not_renewed"
        )
        notes = self.env["sale.subscription.notes"]
        for subscription in to_close:
            renewal = subscription.renewal_date
            # its revenue stops at the renewal date, however late the cron runs
            internal(subscription, MRR_DEFERRED).close_subscription(reason.id)
            subscription._record_mrr_movements(renewal)
            notes._log_not_renewed(subscription, renewal)
        (due - to_close)._refresh_renewal_dates()
        for subscription in running - to_close:
            notes._log_renewed(subscription)
