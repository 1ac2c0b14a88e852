# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The daily cron under the scheduler, contract by contract: a failing contract is
skipped, never rolls back the others; one batch per call. Called directly, errors
reach the caller, as subscription_oca's own cron does."""

from datetime import date
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time

from ..models import sale_subscription_cron
from .test_renewal_cron import CronCase


class TestCronBatches(CronCase):
    def setUp(self):
        super().setUp()
        # five contracts renewing on 6 January 2025, the third one faulty
        self.contracts = self.env["sale.subscription"]
        for _index in range(5):
            self.contracts |= self._running()
        self.faulty = self.contracts[2]

    def _renewed(self):
        self.contracts.invalidate_recordset()
        return self.contracts.filtered(lambda sub: sub.renewal_date == date(2026, 1, 6))

    def _failing_renewal(self):
        original = type(self.env["sale.subscription"])._cron_renew_terms
        faulty = self.faulty

        def renew(records, today):
            if records == faulty:
                raise ZeroDivisionError("a bug in a customization")
            return original(records, today)

        return patch.object(
            type(self.env["sale.subscription"]), "_cron_renew_terms", renew
        )

    def _run_scheduled(self, day):
        """The cron as the scheduler runs it: with its progress record, called
        again while contracts remain."""
        cron = self.env.ref("subscription_oca.ir_cron_subscription_management")
        cron, progress = cron._add_progress()
        subscriptions = self.env["sale.subscription"].with_context(
            ir_cron_progress_id=progress.id
        )
        with freeze_time(day):
            subscriptions.cron_subscription_management()
            while progress.remaining:
                subscriptions.cron_subscription_management()
            self.env.flush_all()

    def test_a_failing_contract_is_skipped_and_the_others_run(self):
        with (
            self._failing_renewal(),
            self.assertLogs(sale_subscription_cron.__name__, level="ERROR") as logs,
        ):
            self._run_scheduled("2025-01-06")
        self.assertIn(self.faulty.display_name, logs.output[0])
        self.assertIn("skipped until tomorrow", logs.output[0])
        self.assertEqual(self._renewed(), self.contracts - self.faulty)
        # nothing of the faulty contract's run was kept, and it is not run again
        # today; tomorrow, fixed, it is
        self.assertEqual(self.faulty.renewal_date, date(2025, 1, 6))
        self.assertFalse(self._messages(self.faulty, "New contract term"))
        self.assertEqual(self.faulty.amendment_cron_date, date(2025, 1, 6))
        self._run_scheduled("2025-01-06")
        self.assertEqual(self.faulty.renewal_date, date(2025, 1, 6))
        self._run_scheduled("2025-01-07")
        self.assertEqual(self._renewed(), self.contracts)
        self.assertEqual(len(self._messages(self.faulty, "New contract term")), 1)

    def test_a_concurrent_update_rolls_the_batch_back_not_skipped(self):
        """A contract another transaction is running (a serialization failure
        under REPEATABLE READ) is not the contract's fault: the batch's error is
        raised, so that it is rolled back and run again, instead of the contract
        being marked run for the day without its run."""
        original = type(self.env["sale.subscription"])._cron_renew_terms
        faulty = self.faulty

        def renew(records, today):
            if records == faulty:
                raise psycopg2.errors.SerializationFailure(
                    "could not serialize access due to concurrent update"
                )
            return original(records, today)

        with (
            patch.object(
                type(self.env["sale.subscription"]), "_cron_renew_terms", renew
            ),
            self.assertRaises(psycopg2.errors.SerializationFailure),
            self.env.cr.savepoint(),
        ):
            self._run_scheduled("2025-01-06")
        self.contracts.invalidate_recordset()
        self.assertFalse(self.faulty.amendment_cron_date)
        # run again (the other transaction is over): every contract once
        self._run_scheduled("2025-01-06")
        self.assertEqual(self._renewed(), self.contracts)
        for contract in self.contracts:
            self.assertEqual(len(self._messages(contract, "New contract term")), 1)

    def test_called_directly_an_error_reaches_the_caller(self):
        # subscription_oca's contract (its own test_subscription_oca_sub_cron_error):
        # outside the scheduler, the cron does not swallow errors
        with (
            self._failing_renewal(),
            self.assertRaisesRegex(ZeroDivisionError, "a bug in a customization"),
        ):
            self._run_cron("2025-01-06")

    def test_under_the_scheduler_one_batch_per_call(self):
        cron = self.env.ref("subscription_oca.ir_cron_subscription_management")
        cron, progress = cron._add_progress()
        subscriptions = self.env["sale.subscription"].with_context(
            ir_cron_progress_id=progress.id
        )
        with (
            patch.object(sale_subscription_cron, "CRON_BATCH", 2),
            freeze_time("2025-01-06"),
        ):
            due = subscriptions._cron_due(date(2025, 1, 6))
            self.assertLessEqual(self.contracts, due)
            calls = 0
            while True:
                subscriptions.cron_subscription_management()
                calls += 1
                # what was left before this call: done now, or still to do
                self.assertEqual(
                    progress.done + progress.remaining, len(due) - 2 * (calls - 1)
                )
                if not progress.remaining:
                    break
        self.assertEqual(calls, -(-len(due) // 2))
        self.assertEqual(self._renewed(), self.contracts)
