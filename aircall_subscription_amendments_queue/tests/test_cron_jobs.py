# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The daily cron as jobs: one per chunk of due contracts."""

from datetime import date
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time

from odoo.addons.aircall_subscription_amendments.models import sale_subscription_cron
from odoo.addons.aircall_subscription_amendments.tests.test_renewal_cron import (
    CronCase,
)
from odoo.addons.queue_job.exception import RetryableJobError

from ..models import sale_subscription
from .common import trap_jobs


class TestCronJobs(CronCase):
    def setUp(self):
        super().setUp()
        self.contracts = self.env["sale.subscription"]
        for _index in range(5):
            self.contracts |= self._running()

    def _scheduler(self):
        """``sale.subscription`` as the scheduler calls the cron: with its
        progress record."""
        cron = self.env.ref("subscription_oca.ir_cron_subscription_management")
        _cron, progress = cron._add_progress()
        return self.env["sale.subscription"].with_context(
            ir_cron_progress_id=progress.id
        )

    def test_the_due_contracts_as_jobs_that_run_the_four_steps(self):
        subscriptions = self._scheduler()
        with (
            patch.object(sale_subscription, "CRON_BATCH", 2),
            trap_jobs() as trap,
            freeze_time("2025-01-06"),
        ):
            due = subscriptions._cron_due(date(2025, 1, 6))
            self.assertLessEqual(self.contracts, due)
            subscriptions.cron_subscription_management()
            trap.assert_jobs_count(-(-len(due) // 2))
            trap.assert_enqueued_job(due[:2]._cron_run_job, args=(date(2025, 1, 6),))
            # nothing ran yet
            self.assertEqual(
                set(self.contracts.mapped("renewal_date")), {date(2025, 1, 6)}
            )
            trap.perform_enqueued_jobs()
        self.contracts.invalidate_recordset()
        self.assertEqual(set(self.contracts.mapped("renewal_date")), {date(2026, 1, 6)})
        for contract in self.contracts:
            self.assertEqual(len(self._messages(contract, "New contract term")), 1)

    def test_a_job_runs_only_what_is_still_due(self):
        with trap_jobs() as trap, freeze_time("2025-01-06"):
            self._scheduler().cron_subscription_management()
            # meanwhile, the cron without the queue ran one of them
            self.contracts[:1]._cron_run(date(2025, 1, 6))
            trap.perform_enqueued_jobs()
        self.assertEqual(len(self._messages(self.contracts[0], "New contract term")), 1)

    def test_nothing_new_while_an_earlier_day_still_waits(self):
        with freeze_time("2025-01-05"):
            self.contracts[:1].with_delay()._cron_run_job(date(2025, 1, 5))
        with (
            trap_jobs() as trap,
            freeze_time("2025-01-06"),
            self.assertLogs(sale_subscription.__name__, level="ERROR") as logs,
        ):
            self._scheduler().cron_subscription_management()
            trap.assert_jobs_count(0)
        self.assertIn("still wait", logs.output[0])

    def test_a_failing_contract_in_a_job_is_skipped(self):
        faulty = self.contracts[1]
        original = type(self.env["sale.subscription"])._cron_renew_terms

        def renew(records, today):
            if records == faulty:
                raise ZeroDivisionError("a bug in a customization")
            return original(records, today)

        with (
            trap_jobs() as trap,
            freeze_time("2025-01-06"),
            patch.object(
                type(self.env["sale.subscription"]), "_cron_renew_terms", renew
            ),
            self.assertLogs(sale_subscription_cron.__name__, level="ERROR"),
        ):
            self._scheduler().cron_subscription_management()
            trap.perform_enqueued_jobs()
        self.contracts.invalidate_recordset()
        self.assertEqual(faulty.renewal_date, date(2025, 1, 6))
        self.assertEqual(
            set((self.contracts - faulty).mapped("renewal_date")), {date(2026, 1, 6)}
        )

    def test_a_lost_connection_runs_the_job_again_later(self):
        """A job whose database connection drops is retried, not failed: its
        contracts are not skipped until the next day. Run again, it renews
        each contract once."""
        original = type(self.env["sale.subscription"])._cron_run
        lost = [psycopg2.InterfaceError("connection already closed")]

        def run(records, today, skip_failures=True):
            if lost:
                raise lost.pop()
            return original(records, today, skip_failures)

        with trap_jobs() as trap, freeze_time("2025-01-06"):
            self._scheduler().cron_subscription_management()
            job = trap.enqueued_jobs[0]
            with (
                patch.object(type(self.env["sale.subscription"]), "_cron_run", run),
                self.assertRaisesRegex(RetryableJobError, "connection lost"),
            ):
                job.perform()
            job.perform()  # the runner's next try
            job.perform()  # and one more: nothing left due
        contracts = job.recordset & self.contracts
        self.assertTrue(contracts)
        contracts.invalidate_recordset()
        self.assertEqual(set(contracts.mapped("renewal_date")), {date(2026, 1, 6)})
        for contract in contracts:
            self.assertEqual(len(self._messages(contract, "New contract term")), 1)

    def test_called_directly_it_runs_at_once(self):
        # code, a shell, subscription_oca's own tests: no job, done when it returns
        with trap_jobs() as trap, freeze_time("2025-01-06"):
            self.env["sale.subscription"].cron_subscription_management()
            trap.assert_jobs_count(0)
        self.contracts.invalidate_recordset()
        self.assertEqual(set(self.contracts.mapped("renewal_date")), {date(2026, 1, 6)})

    def test_the_jobs_leave_the_e_mails_to_the_mail_queue(self):
        # the scheduler runs the cron in a server action, which queues the e-mails
        # it causes (mail_notify_force_send off): the jobs must not send them
        # themselves, one SMTP round trip each, inside the job
        partner = self.account_manager.partner_id
        before = self.env["mail.mail"].search([("recipient_ids", "in", partner.ids)])
        with trap_jobs() as trap, freeze_time("2024-11-22"):
            self._scheduler().cron_subscription_management()
            trap.perform_enqueued_jobs()
        self.assertEqual(
            len(
                self.contracts.activity_ids.filtered(
                    lambda a: a.user_id.partner_id == partner
                )
            ),
            len(self.contracts),
        )
        mails = (
            self.env["mail.mail"].search([("recipient_ids", "in", partner.ids)])
            - before
        )
        self.assertEqual(len(mails), len(self.contracts))
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})
