# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Bulk amendments as jobs (queue_job's ``trap_jobs``: enqueued, then run here)."""

from contextlib import closing
from datetime import date
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user

from odoo.addons.aircall_subscription_amendments.tests.common import SubscriptionCase
from odoo.addons.aircall_subscription_amendments.tools import (
    ConcurrentAmendmentError,
)
from odoo.addons.queue_job.exception import RetryableJobError

from ..models import sale_subscription_amendment_bulk
from .common import trap_jobs

USER_GROUP = "aircall_subscription_amendments.group_amendment_user"
TODAY = "2024-11-20"


class BulkCase(SubscriptionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(cls.env, login="bulk_manager", groups=USER_GROUP)
        # 12-month contracts started on the 6th of a month, invoiced for the
        # current month: some renew in more than 30 days, some inside
        cls.on_time = cls.env["sale.subscription"]
        for _index in range(4):
            cls.on_time |= cls._contract(date(2024, 3, 6))  # renews 6 March 2025
        cls.late = cls._contract(date(2023, 12, 6))  # renews 6 December 2024
        cls.contracts = cls.on_time | cls.late

    @classmethod
    def _contract(cls, start):
        with freeze_time(start):
            subscription = cls._start(
                cls._create_subscription(
                    start=start,
                    lines=[(cls.product_users, 10), (cls.product_numbers, 3)],
                )
            )
        cls._invoice_period(subscription, date(2024, 11, 6))
        return subscription

    def _bulk(self, operations, subscriptions=None):
        return (
            self.env["sale.subscription.amendment.bulk"]
            .with_user(self.manager)
            .with_context(
                active_model="sale.subscription",
                active_ids=(subscriptions or self.contracts).ids,
            )
            .create(
                {
                    "effective_date": date(2024, 11, 20),
                    "operation_ids": [Command.create(op) for op in operations],
                }
            )
        )

    def _users(self, subscription):
        return subscription.sale_subscription_line_ids.filtered(
            lambda line: line.product_id == self.product_users
        )

    def _results(self, bulk):
        return {
            result.subscription_id: (result.state, result.message)
            for result in bulk.result_ids
        }


@freeze_time(TODAY)
class TestBulkAmendment(BulkCase):
    def test_list_selection_and_preview(self):
        bulk = self._bulk(
            [
                {
                    "action": "set_quantity",
                    "product_id": self.product_users.id,
                    "quantity": 6,
                }
            ]
        )
        self.assertEqual(bulk.subscription_ids, self.contracts)
        self.assertEqual(bulk.state, "draft")
        # 5 contracts lower their users; the one renewing on 6 December is past
        # its deadline (6 November): the notice rule will refuse it
        preview = str(bulk.preview_html)
        self.assertIn(
            "Effective 11/20/2024: 5 of the 5 contract(s) change; the notice rule "
            "refuses 1 of them.",
            preview,
        )

    def test_the_whole_list_by_its_domain(self):
        bulk = (
            self.env["sale.subscription.amendment.bulk"]
            .with_user(self.manager)
            .with_context(
                active_model="sale.subscription",
                active_ids=self.contracts[:1].ids,  # the ids the list sends
                active_domain=[("id", "in", self.contracts.ids)],
            )
            .create({"operation_ids": [Command.create({"action": "cancel_renewal"})]})
        )
        self.assertEqual(bulk.subscription_ids, self.contracts)

    def test_refused_contracts_are_reported_and_the_others_applied(self):
        bulk = self._bulk(
            [
                {
                    "action": "set_quantity",
                    "product_id": self.product_users.id,
                    "quantity": 6,
                },
                {
                    "action": "add",
                    "product_id": self.product_addon.id,
                    "quantity": 1,
                    "price_unit": 10.0,
                },
            ]
        )
        with trap_jobs() as trap:
            bulk.action_confirm()
            trap.assert_jobs_count(1)
            trap.assert_enqueued_job(bulk._run_chunk, args=(self.contracts.ids,))
            trap.perform_enqueued_jobs()
        self.assertEqual(bulk.state, "running")
        results = self._results(bulk)
        self.assertEqual(
            {sub: state for sub, (state, _message) in results.items()},
            {**dict.fromkeys(self.on_time, "applied"), self.late: "refused"},
        )
        self.assertIn("Too late to reduce or cancel", results[self.late][1])
        self.assertEqual(
            (
                bulk.applied_count,
                bulk.refused_count,
                bulk.failed_count,
                bulk.pending_count,
            ),
            (4, 1, 0, 0),
        )
        for subscription in self.on_time:
            self.assertEqual(self._users(subscription).product_uom_qty, 6)
            amendment = bulk.result_ids.filtered(
                lambda r, s=subscription: r.subscription_id == s
            ).amendment_id
            self.assertEqual(amendment.state, "done")
            self.assertEqual(amendment.amendment_type, "mixed")
            # the documents wait in draft for an accountant (whom the salesman's
            # "own documents" rule lets read them, unlike the manager)
            self.assertEqual(set(amendment.sudo().move_ids.mapped("state")), {"draft"})
            self.assertEqual(
                sorted(amendment.sudo().move_ids.mapped("move_type")),
                ["out_invoice", "out_refund"],
            )
        self.assertEqual(self._users(self.late).product_uom_qty, 10)
        self.assertFalse(self.late.amendment_ids)

    def test_a_contract_held_by_someone_else_is_retried_then_applied(self):
        bulk = self._bulk(
            [
                {
                    "action": "set_quantity",
                    "product_id": self.product_users.id,
                    "quantity": 8,
                }
            ],
            self.on_time,
        )
        amendments = type(self.env["sale.subscription.amendment"])
        original = amendments._lock_for_apply
        held = self.on_time[1]

        def lock(records):
            if records.subscription_id == held:
                raise ConcurrentAmendmentError("being amended by someone else")
            return original(records)

        with trap_jobs() as trap:
            bulk.action_confirm()
            (job,) = trap.enqueued_jobs
            # retried after 10 s four times, then every minute, then failed
            self.assertEqual(job.max_retries, 10)
            self.assertEqual(
                [job._get_retry_seconds() for job.retry in (1, 4, 5, 9)],
                [10, 10, 60, 60],
            )
            job.retry = 0
            with (
                patch.object(amendments, "_lock_for_apply", lock),
                self.assertRaises(RetryableJobError),
            ):
                # queue_job rolls the job back and runs it again later
                with self.env.cr.savepoint():
                    job.perform()
            self.env.invalidate_all()
            self.assertFalse(bulk.result_ids)
            job.perform()  # later: no longer held
        self.assertEqual(set(bulk.result_ids.mapped("state")), {"applied"})
        self.assertEqual(len(bulk.result_ids), 4)
        self.assertEqual(self._users(held).product_uom_qty, 8)

    def test_a_contract_locked_by_another_transaction_retries_the_job(self):
        """A contract another transaction holds (a second connection's row lock,
        as a user's write takes) makes the job retry at once, even when the job
        has nothing to change on it (it would record it *unchanged* behind the
        other's back); released, it is done once. A committed contract (the demo
        data's) is needed: the test's own are invisible to a second cursor.
        ``FOR NO KEY UPDATE``: the test's transaction already references it (the
        bulk amendment's contracts), which a ``FOR UPDATE`` would wait for."""
        held = self.env["sale.subscription"].search(
            [("id", "not in", self.contracts.ids)], limit=1
        )
        if not held:
            self.skipTest("no committed subscription in this database")
        bulk = self._bulk(
            [
                {
                    "action": "set_quantity",
                    "product_id": self.product_users.id,
                    "quantity": 8,
                }
            ],
            self.on_time[:1] | held,
        )
        with trap_jobs() as trap:
            bulk.action_confirm()
            (job,) = trap.enqueued_jobs
            # waiting behind the lock would end in a lock timeout, not a retry
            self.env.cr.execute("SET LOCAL lock_timeout = '3s'")
            with closing(self.registry.cursor()) as other:
                other.execute(
                    "SELECT id FROM sale_subscription WHERE id = %s FOR NO KEY UPDATE",
                    [held.id],
                )
                with (
                    self.assertRaisesRegex(RetryableJobError, "someone else"),
                    self.env.cr.savepoint(),
                ):
                    job.perform()
                other.rollback()
            self.env.cr.execute("SET LOCAL lock_timeout = 0")
            self.env.invalidate_all()
            self.assertFalse(bulk.result_ids)
            job.perform()  # later: released
        self.assertEqual(bulk.result_ids.subscription_id, self.on_time[:1] | held)
        self.assertEqual(len(self.on_time[:1].amendment_ids), 1)

    def test_an_unexpected_error_fails_only_its_contract(self):
        bulk = self._bulk(
            [
                {
                    "action": "set_quantity",
                    "product_id": self.product_users.id,
                    "quantity": 8,
                }
            ],
            self.on_time,
        )
        faulty = self.on_time[2]
        amendments = type(self.env["sale.subscription.amendment"])
        original = amendments.create_and_apply

        def create_and_apply(model, vals):
            if vals["subscription_id"] == faulty.id:
                raise ZeroDivisionError("a bug in a customization")
            return original(model, vals)

        with (
            trap_jobs() as trap,
            patch.object(amendments, "create_and_apply", create_and_apply),
            self.assertLogs(sale_subscription_amendment_bulk.__name__, level="ERROR"),
        ):
            bulk.action_confirm()
            trap.perform_enqueued_jobs()  # the chunk: one job per contract left
            self.assertEqual(len(bulk.result_ids), 2)  # the two before the faulty one
            trap.assert_jobs_count(2, only=bulk._run_one)
            trap.perform_enqueued_jobs()
        results = self._results(bulk)
        self.assertEqual(results[faulty][0], "failed")
        self.assertIn("ZeroDivisionError", results[faulty][1])
        self.assertEqual(
            {sub for sub, (state, _m) in results.items() if state == "applied"},
            set(self.on_time - faulty),
        )
        self.assertEqual(self._users(faulty).product_uom_qty, 10)

    def test_a_lost_connection_retries_the_job_and_records_nothing(self):
        """A dropped connection (``pg_terminate_backend``, a failover) is not a
        contract's fault: the job runs again later, nothing is failed, no job
        per contract is enqueued; the next try applies every contract once."""
        bulk = self._bulk(
            [
                {
                    "action": "set_quantity",
                    "product_id": self.product_users.id,
                    "quantity": 8,
                }
            ],
            self.on_time,
        )
        amendments = type(self.env["sale.subscription.amendment"])
        original = amendments.create_and_apply
        dropped = self.on_time[2]
        errors = [
            psycopg2.OperationalError(
                "terminating connection due to administrator command"
            ),
            psycopg2.InterfaceError("connection already closed"),
        ]

        def create_and_apply(model, vals):
            if vals["subscription_id"] == dropped.id and errors:
                raise errors.pop(0)
            return original(model, vals)

        with (
            trap_jobs() as trap,
            patch.object(amendments, "create_and_apply", create_and_apply),
        ):
            bulk.action_confirm()
            (job,) = trap.enqueued_jobs
            for _try in range(2):
                with (
                    self.assertRaisesRegex(RetryableJobError, "connection lost"),
                    self.env.cr.savepoint(),
                ):
                    job.perform()
                self.env.invalidate_all()
                self.assertFalse(bulk.result_ids)
                trap.assert_jobs_count(0, only=bulk._run_one)
            job.perform()
        self.assertEqual(set(bulk.result_ids.mapped("state")), {"applied"})
        self.assertEqual(bulk.result_ids.subscription_id, self.on_time)
        self.assertEqual(len(self.on_time.amendment_ids), len(self.on_time))

    def test_a_retried_job_skips_what_an_earlier_try_committed(self):
        """A job run again (requeued after its worker was killed, or after a
        retry) recognises the contracts a committed try applied: one result and
        one amendment each, never two."""
        bulk = self._bulk(
            [
                {
                    "action": "set_quantity",
                    "product_id": self.product_users.id,
                    "quantity": 8,
                }
            ],
            self.on_time,
        )
        with trap_jobs() as trap:
            bulk.action_confirm()
            (job,) = trap.enqueued_jobs
            job.perform()
            documents = self.on_time.amendment_ids.move_ids
            job.perform()  # the runner runs it again
        self.assertEqual(len(bulk.result_ids), len(self.on_time))
        self.assertEqual(len(self.on_time.amendment_ids), len(self.on_time))
        self.assertEqual(self.on_time.amendment_ids.move_ids, documents)
        self.assertEqual(set(self._users(self.on_time).mapped("product_uom_qty")), {8})

    def test_a_contract_left_as_it_is_is_unchanged_not_refused(self):
        bulk = self._bulk(
            [
                {
                    "action": "set_quantity",
                    "product_id": self.product_numbers.id,
                    "quantity": 3,  # what every contract has already
                }
            ],
            self.on_time,
        )
        self.assertIn("0 of the 4 contract(s) change", str(bulk.preview_html))
        with trap_jobs() as trap:
            bulk.action_confirm()
            trap.perform_enqueued_jobs()
        self.assertEqual(set(bulk.result_ids.mapped("state")), {"unchanged"})
        self.assertEqual(
            (bulk.unchanged_count, bulk.applied_count, bulk.refused_count), (4, 0, 0)
        )
        self.assertEqual(bulk.pending_count, 0)
        self.assertFalse(self.on_time.amendment_ids)

    def test_confirmed_twice_applies_nothing_twice(self):
        bulk = self._bulk(
            [{"action": "remove", "product_id": self.product_numbers.id}], self.on_time
        )
        with trap_jobs() as trap:
            bulk.action_confirm()
            with self.assertRaisesRegex(UserError, "confirmed already"):
                bulk.action_confirm()
            trap.assert_jobs_count(1)
            (job,) = trap.enqueued_jobs
            # retried after 10 s four times, then every minute, then failed
            self.assertEqual(job.max_retries, 10)
            self.assertEqual(
                [job._get_retry_seconds() for job.retry in (1, 4, 5, 9)],
                [10, 10, 60, 60],
            )
            job.retry = 0
            trap.perform_enqueued_jobs()
            job.perform()  # the same job run again (a requeue, say)
        self.assertEqual(len(bulk.result_ids), 4)
        self.assertEqual(
            self.env["sale.subscription.amendment"].search_count(
                [("subscription_id", "in", self.on_time.ids)]
            ),
            4,
        )
        with self.assertRaises(UserError):
            bulk.write({"state": "draft"})
        with self.assertRaises(UserError):
            bulk.operation_ids.quantity = 3

    def test_chunks_of_a_hundred(self):
        many = self.on_time
        with patch.object(sale_subscription_amendment_bulk, "CHUNK", 3):
            bulk = self._bulk([{"action": "cancel_renewal"}], many)
            with trap_jobs() as trap:
                bulk.action_confirm()
                trap.assert_jobs_count(2)
                trap.assert_enqueued_job(
                    bulk._run_chunk,
                    args=(many[:3].ids,),
                    properties={"identity_key": f"aircall-bulk-{bulk.id}-0"},
                )
                trap.assert_enqueued_job(
                    bulk._run_chunk,
                    args=(many[3:].ids,),
                    properties={"identity_key": f"aircall-bulk-{bulk.id}-3"},
                )
                trap.perform_enqueued_jobs()
        self.assertFalse(any(many.mapped("auto_renew")))


@freeze_time(TODAY)
class TestBulkAccess(BulkCase):
    """Who may do what, as an RPC client would call it."""

    def test_a_salesman_without_the_amendment_group_creates_nothing(self):
        salesman = new_test_user(
            self.env, login="bulk_salesman", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaises(AccessError):
            self.env["sale.subscription.amendment.bulk"].with_user(salesman).create(
                {"subscription_ids": [Command.set(self.on_time.ids)]}
            )

    def test_a_bulk_amendment_is_created_as_a_draft(self):
        with self.assertRaisesRegex(UserError, "created as a draft"):
            self.env["sale.subscription.amendment.bulk"].with_user(self.manager).create(
                {
                    "state": "running",
                    "subscription_ids": [Command.set(self.on_time.ids)],
                }
            )

    def test_results_are_written_by_the_jobs_only(self):
        bulk = self._bulk([{"action": "cancel_renewal"}], self.on_time)
        with trap_jobs() as trap:
            bulk.action_confirm()
            trap.perform_enqueued_jobs()
        results = self.env["sale.subscription.amendment.bulk.result"].with_user(
            self.manager
        )
        with self.assertRaises(AccessError):
            results.create(
                {
                    "bulk_id": bulk.id,
                    "subscription_id": self.late.id,
                    "state": "applied",
                }
            )
        with self.assertRaises(AccessError):
            bulk.result_ids[:1].write({"state": "failed"})
        with self.assertRaises(AccessError):
            bulk.result_ids[:1].unlink()
        self.assertEqual(set(bulk.result_ids.mapped("state")), {"applied"})

    def test_a_running_bulk_amendment_cannot_be_deleted(self):
        bulk = self._bulk([{"action": "cancel_renewal"}], self.on_time)
        with trap_jobs():
            bulk.action_confirm()
        with self.assertRaisesRegex(UserError, "Only a draft"):
            bulk.unlink()
        with self.assertRaisesRegex(UserError, "Only a draft"):
            bulk.operation_ids.unlink()
        draft = self._bulk([{"action": "cancel_renewal"}], self.on_time)
        draft.unlink()
        self.assertFalse(draft.exists())

    def test_the_jobs_run_with_the_rights_of_who_confirmed(self):
        bulk = self._bulk([{"action": "cancel_renewal"}], self.on_time)
        with trap_jobs() as trap:
            bulk.action_confirm()
            (job,) = trap.enqueued_jobs
            self.assertEqual(job.recordset.env.uid, self.manager.id)
            self.assertFalse(job.recordset.env.su)
