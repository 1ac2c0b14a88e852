# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The daily cron of subscriptions, contract by contract: renewals, scheduled
amendments, reminders, then subscription_oca's invoicing.

A contract whose run fails is logged and skipped until the next day; it never
rolls back the others. Under Odoo's scheduler, each call runs one batch of due
contracts and tells ``ir.cron`` how many remain (its progress API): Odoo commits
the batch and calls again. The queue bridge (``aircall_subscription_amendments_queue``)
runs the same batches as jobs.
"""

import logging
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.osv import expression

from ..tools import DERIVED_WRITE, MRR_DEFERRED, internal

_logger = logging.getLogger(__name__)

#: contracts per batch: committed together under the scheduler
CRON_BATCH = 100
#: errors of a transaction that met another one on the same rows (PostgreSQL's
#: serialization failure under Odoo's REPEATABLE READ, a deadlock, a lock not
#: granted): not the contract's fault, and its run must not be marked done
CONCURRENCY_ERRORS = (
    pg_errors.SerializationFailure,
    pg_errors.DeadlockDetected,
    pg_errors.LockNotAvailable,
)


class CronScope:
    """The contracts subscription_oca's own daily run may see (a context value:
    an object of this process, not a client's)."""

    def __init__(self, ids):
        self.ids = tuple(ids)


#: context key restricting ``sale.subscription`` searches to a ``CronScope``
CRON_SCOPE = "aircall_cron_scope"


class SaleSubscription(models.Model):
    # one job per file (README, Architecture): sale_subscription.py has the fields
    _inherit = "sale.subscription"  # pylint: disable=consider-merging-classes-inherited

    amendment_cron_date = fields.Date(
        string="Daily run done on",
        copy=False,
        readonly=True,
        index=True,
        help="The day the daily cron last ran (or failed to run) on this contract: "
        "a contract is run once a day.",
    )

    @api.model
    def cron_subscription_management(self):
        """The due contracts of the day, by batches of ``CRON_BATCH``.

        Called by the scheduler (or *Run Manually*), one batch per call: Odoo
        commits it and calls again while some remain, and a contract that fails
        is logged and skipped until the next day. Called otherwise (code, a
        shell, tests), it keeps subscription_oca's contract: every batch in one
        call, and an error reaches the caller.
        """
        work = self._cron_work()
        scheduled = bool(self.env.context.get("ir_cron_progress_id"))
        batches = [
            (today, due[i : i + CRON_BATCH])
            for today, due in work
            for i in range(0, len(due), CRON_BATCH)
        ]
        for today, batch in batches[:1] if scheduled else batches:
            batch._cron_run(today, skip_failures=scheduled)
        if scheduled:
            total = sum(len(due) for _today, due in work)
            done = len(batches[0][1]) if batches else 0
            self.env["ir.cron"]._notify_progress(done=done, remaining=total - done)
        return True

    @api.model
    def _cron_work(self):
        """[(day, due contracts)]: the contracts due on their company's day
        (``company_today``), one entry per day the companies are on."""
        return [
            (today, self._cron_due(today, companies))
            for today, companies in sorted(self._companies_by_day().items())
        ]

    @api.model
    def _cron_due(self, today, companies=None):
        """The contracts with something to do ``today``, not yet run that day
        (of ``companies``; all by default)."""
        return self.search(self._cron_due_domain(today, companies), order="id")

    @api.model
    def _cron_due_domain(self, today, companies=None):
        companies = companies or self.env["res.company"].sudo().search([])
        horizon = today + timedelta(
            days=max(companies.mapped("amendment_reminder_days") or [0])
        )
        something_to_do = expression.OR(
            [
                # a renewal, or at least a date to refresh
                [("renewal_date", "<=", today)],
                # a scheduled amendment
                [
                    (
                        "amendment_ids",
                        "any",
                        [("state", "=", "scheduled"), ("effective_date", "<=", today)],
                    )
                ],
                # a reminder, perhaps
                [
                    ("in_progress", "=", True),
                    ("auto_renew", "=", True),
                    ("notice_deadline", ">=", today),
                    ("notice_deadline", "<=", horizon),
                ],
                # subscription_oca's run: an invoice, a close, a start
                [("in_progress", "=", True), ("recurring_next_date", "<=", today)],
                [
                    ("in_progress", "=", True),
                    ("recurring_rule_boundary", "=", False),
                    ("date", "<=", today),
                ],
                [("stage_id.type", "=", "pre"), ("date_start", "<=", today)],
            ]
        )
        not_run = [
            "|",
            ("amendment_cron_date", "=", False),
            ("amendment_cron_date", "<", today),
        ]
        return expression.AND(
            [something_to_do, not_run, [("company_id", "in", companies.ids)]]
        )

    def _cron_run(self, today, skip_failures=True):
        """Run the day's steps on each of these contracts, each in a savepoint
        of its own: one that fails is logged and skipped until the next day
        (``skip_failures``), or its error raised.

        A concurrency error (``CONCURRENCY_ERRORS``: another transaction ran the
        same contract, e.g. a job of the queue bridge run again while its first
        try still runs) is always raised: the batch is rolled back and run again
        (queue_job retries it; the scheduler at its next call), and what the
        other transaction committed is no longer due then. Skipping it would
        mark the contract run without its run."""
        for subscription in self:
            try:
                with self.env.cr.savepoint():
                    subscription._cron_steps(today)
            except Exception as error:
                if not skip_failures or isinstance(error, CONCURRENCY_ERRORS):
                    raise
                _logger.exception(
                    "Daily run of %s failed: skipped until tomorrow",
                    subscription.display_name,
                )
            internal(subscription, DERIVED_WRITE).amendment_cron_date = today

    def _cron_steps(self, today):
        """Scheduled amendments effective by the renewal, the renewal, the
        scheduled amendments after it, reminder, then subscription_oca's own
        run, which invoices the periods that start today under the terms the
        steps before left.

        A cancellation scheduled for a renewal is applied before the renewal
        step of that day: the contract closes at that renewal, not one term
        later."""
        self.ensure_one()
        due = self.amendment_ids.filtered(
            lambda amendment: (
                amendment.state == "scheduled" and amendment.effective_date <= today
            )
        )
        # in the order of their effective dates, those effective by the renewal
        # of the day before it (a cancellation closes the contract there), those
        # after it (a late run catching up) after it
        renewal = (
            self.renewal_date
            if self.renewal_date and self.renewal_date <= today
            else None
        )
        before = due.filtered(
            lambda amendment: not renewal or amendment.effective_date <= renewal
        )
        before._cron_apply_scheduled(today)
        self._cron_renew_terms(today)
        (due - before)._cron_apply_scheduled(today)
        self._cron_notice_reminders(today)
        self._cron_subscription_oca()

    def _cron_subscription_oca(self):
        """subscription_oca's daily run, on these contracts only: it searches
        every subscription, so its search is scoped to them."""
        scoped = self.with_context(**{CRON_SCOPE: CronScope(self.ids)})
        return super(SaleSubscription, scoped).cron_subscription_management()

    @api.model
    def _search(self, domain, *args, **kwargs):
        scope = self.env.context.get(CRON_SCOPE)
        if isinstance(scope, CronScope):
            domain = expression.AND([domain, [("id", "in", scope.ids)]])
        return super()._search(domain, *args, **kwargs)

    def _cron_notice_reminders(self, today):
        """Remind the responsible user of an approaching notice deadline.

        Once per term: ``notice_reminder_renewal_date`` remembers the term a
        reminder was made for. Only contracts that would renew need one.
        """
        notes = self.env["sale.subscription.notes"]
        for subscription in self.filtered(
            lambda sub: (
                sub.in_progress
                and sub.auto_renew
                and sub.notice_deadline
                and sub.notice_deadline >= today
                and sub.notice_reminder_renewal_date != sub.renewal_date
                and not sub._cancellation_scheduled_for(sub.renewal_date)
            )
        ):
            reminder_day = subscription.notice_deadline - timedelta(
                days=subscription.company_id.amendment_reminder_days
            )
            if reminder_day <= today:
                notes._schedule_notice_reminder(subscription)
                internal(
                    subscription, DERIVED_WRITE
                ).notice_reminder_renewal_date = subscription.renewal_date

    def _cancellation_scheduled_for(self, renewal):
        """A cancellation of this contract is scheduled to meet ``renewal``
        (effective on it or before): its reminder would ask for what is done."""
        self.ensure_one()
        return any(
            amendment.state == "scheduled"
            and amendment.cancel_renewal
            and amendment.effective_date <= renewal
            for amendment in self.amendment_ids
        )

    def _cron_renew_terms(self, today):
        """Start the next term of these contracts if their renewal date has come.

        Auto-renewing contracts continue under the same lines and prices: their
        renewal date and notice deadline advance (subscription_oca runs them on
        its unlimited boundary, so none of its own fields needs re-aligning).
        The others are closed through subscription_oca's close flow, with the
        "not renewed" reason; their churn is dated the renewal date. A subscription with an end date is left to
        subscription_oca, which closes it on that date. Contracts that are not
        running only get their dates refreshed.
        """
        due = self.filtered(lambda sub: sub.renewal_date and sub.renewal_date <= today)
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
