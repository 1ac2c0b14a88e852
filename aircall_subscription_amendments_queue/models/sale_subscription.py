# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The daily subscription cron as jobs: one job per chunk of due contracts."""

import logging

from odoo import api, fields, models

from odoo.addons.aircall_subscription_amendments.models.sale_subscription_cron import (
    CRON_BATCH,
)
from odoo.addons.queue_job.exception import RetryableJobError

from .sale_subscription_amendment_bulk import MAX_RETRIES, connection_lost

_logger = logging.getLogger(__name__)

#: the states of a job still to run
WAITING = ("wait_dependencies", "pending", "enqueued", "started")


class SaleSubscription(models.Model):
    _inherit = "sale.subscription"

    @api.model
    def cron_subscription_management(self):
        """Under the scheduler, enqueue the day's due contracts, one job per
        chunk of ``CRON_BATCH``.

        Each job runs the four steps on its contracts (``_cron_run_job``), as
        the main addon's cron runs a batch. Nothing is enqueued while jobs of an
        earlier day still wait: the days would run out of order. Called
        directly (code, a shell, tests), it runs at once as without the bridge.
        """
        if not self.env.context.get("ir_cron_progress_id"):
            return super().cron_subscription_management()
        work = self._cron_work()
        first_day = min((today for today, _due in work), default=None)
        late = first_day and (
            self.env["queue.job"]
            .sudo()
            .search_count(
                [
                    ("model_name", "=", self._name),
                    ("method_name", "=", "_cron_run_job"),
                    ("state", "in", WAITING),
                    ("date_created", "<", fields.Datetime.to_datetime(first_day)),
                ]
            )
        )
        if late:
            _logger.error(
                "Daily subscription run of %s not enqueued: %s job(s) of an earlier "
                "day still wait (see Queue / Jobs)",
                first_day,
                late,
            )
            return True
        for today, due in work:
            for start in range(0, len(due), CRON_BATCH):
                chunk = due[start : start + CRON_BATCH]
                chunk.with_delay(
                    description=self.env._(
                        "Daily subscription run of %(day)s: %(count)s contract(s)",
                        day=today,
                        count=len(chunk),
                    ),
                    max_retries=MAX_RETRIES,
                    identity_key=(
                        f"aircall-daily-run-{today}-{chunk.ids[0]}-{len(chunk)}"
                    ),
                )._cron_run_job(today)
        return True

    def _cron_run_job(self, today):
        """A job: the day's run on those of these contracts still due (another
        job, or a run of the cron without the queue, may have run some).

        The e-mails the run causes (the reminders' assignments) go to the mail
        queue, as when the scheduler runs the cron (its server action turns
        ``mail_notify_force_send`` off): a job does not wait for an SMTP server
        once per e-mail.

        A lost database connection makes the job run again later (nothing of it
        was committed); a contract that fails otherwise is skipped until the
        next day, as without the bridge."""
        try:
            self.filtered_domain(
                self._cron_due_domain(today, self.company_id)
            ).with_context(mail_notify_force_send=False)._cron_run(today)
        except Exception as error:
            if connection_lost(error):
                raise RetryableJobError(f"database connection lost: {error}") from error
            raise
        return True
