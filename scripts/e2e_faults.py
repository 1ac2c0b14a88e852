"""End to end under faults: a bulk amendment and the daily cron while workers are
killed, connections dropped and a contract held.

Run by ``make e2e-faults`` (``E2E_FAULTS=1 bash scripts/e2e.sh``; 500 contracts) and
by ``make test``'s queue tier (60). On a database where the addon, queue_job and the
bridge are installed and nothing else uses it, with the same real server and job
runner as ``make e2e`` (``scripts/e2e.py``: workers 2, channel capacity 2):

1. **The bulk amendment.** N contracts (``e2e.seed``) lose their add-on in bulk. Before
   the confirmation, the script holds one contract (``SELECT … FOR UPDATE`` on its
   ``sale_subscription`` row, from its own connection) and puts a trigger on another
   one's add-on line that makes any change to it fail (an unexpected error: neither a
   refusal nor a concurrency error). Both are among the last contracts of the last
   chunk. While the jobs run, it kills the worker running a chunk (``kill -9``, at a
   random point in it; once for 60 contracts, twice for 500) and terminates a chunk's
   database connection (``pg_terminate_backend``). It releases the held contract once
   every other fault is done and queue_job shows the job retried because of it.
   Checks, read back from the database: one result per contract; the late ones
   refused; the faulty one *failed* with the trigger's reason and nothing written for
   it; every other one applied once: one amendment, one draft credit note reversing its
   invoice, the add-on gone; the held one among them, its job's retries in queue_job.
2. **The daily cron, without the bridge.** M more contracts (60; 300 from N=200) due
   today (a third renew,
   a third have a reduction scheduled for today, all are invoiced) run by the main
   addon's cron as Odoo's scheduler calls it (one batch per call, a commit after
   each), in a process of this script's that is killed (``kill -9``) at a random
   point after its first batch is committed, while batches remain, then run again
   to the end.
3. **The daily cron, with the bridge.** M more such contracts: the cron enqueues its
   jobs (one per batch), the worker running one is killed at a random point in it,
   and the cron is run again at once (the killed job is requeued by the runner too).
   Checks: every contract run once: renewed once, amended once, invoiced once.

Batches are of ``CRON_BATCH`` (100) contracts, or of a third of M when M is under
two batches (the script sets the module's constant in its own processes: the
runner's workers run the jobs it enqueued, whatever their size).

It prints an ``e2e-faults:`` line and a ``cron-faults:`` line, and exits 1 when a
check fails (a duplicate, a lost or skipped contract, a wrong state).

    .venv/bin/python scripts/e2e_faults.py --config .cache/odoo.conf --database DB \\
        [--n 500] [--cron-n 300] [--kills 2] [--seed 1]
"""

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from dateutil.relativedelta import relativedelta

sys.path.insert(0, str(Path(__file__).resolve().parent))

import e2e
from e2e import BULK_MODEL, LOGIN, PASSWORD, CheckFailed, check

import odoo
from odoo import Command, api
from odoo.modules.registry import Registry
from odoo.tools import config

FAULT_TRIGGER = "e2e_fault"
#: what the trigger says; the failed result's message must carry it
FAULT_REASON = "e2e fault: the lines of this contract cannot change"
#: the states of a job not finished
WAITING = ("wait_dependencies", "pending", "enqueued", "started")


def log(message):
    print(f"[e2e-faults] {message}", file=sys.stderr, flush=True)


def db_now(registry):
    with registry.cursor() as cr:
        cr.execute("SELECT now() AT TIME ZONE 'utc'")
        return cr.fetchone()[0]


def is_child(pid, parent):
    """``pid`` is a process of ``parent``'s (this script kills no other)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return int(stat[stat.rindex(")") + 2 :].split()[1]) == parent


# -- the faults ------------------------------------------------------------------


class Faults:
    """The faults injected into the jobs of ``method`` while they run: at a random
    point of a try (a job's run from its start), kill its worker or terminate its
    database connection; each try is hit once at most."""

    def __init__(self, registry, server, plan, rng, window):
        self.registry, self.server, self.rng = registry, server, rng
        self.plan = list(plan)
        #: seconds after a try's start: a random point in [0.5, window]
        self.window = window
        self.done = []  # (fault, uuid)
        self.seen = set()  # (uuid, date_started) of the tries looked at
        self.aimed = None  # (uuid, date_started, worker_pid, when)

    def step(self, model, method):
        """Called in the polling loop: aim at a new try, or hit the one aimed at."""
        if not self.plan:
            return
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT uuid, date_started, worker_pid FROM queue_job "
                "WHERE model_name = %s AND method_name = %s AND state = 'started' "
                "ORDER BY date_started",
                (model, method),
            )
            started = cr.fetchall()
        if self.aimed is None:
            for uuid, date_started, worker_pid in started:
                if (uuid, date_started) not in self.seen and worker_pid:
                    self.seen.add((uuid, date_started))
                    delay = self.rng.uniform(0.5, self.window)
                    self.aimed = (
                        uuid,
                        date_started,
                        worker_pid,
                        time.monotonic() + delay,
                    )
                    return
            return
        uuid, date_started, worker_pid, when = self.aimed
        if (uuid, date_started, worker_pid) not in started:
            self.aimed = None  # the try ended before its fault: aim at another
            return
        if time.monotonic() < when:
            return
        self.aimed = None
        fault = self.plan[0]
        if fault == "kill":
            hit = self._kill(worker_pid)
        else:
            hit = self._terminate(uuid)
        if hit:
            self.plan.pop(0)
            self.done.append((fault, uuid))
            log(f"{fault}: job {uuid} (worker {worker_pid})")

    def _kill(self, worker_pid):
        if not is_child(worker_pid, self.server.process.pid):
            return False
        os.kill(worker_pid, signal.SIGKILL)
        return True

    def _terminate(self, uuid):
        """Terminate the job's database connection: of the server's backends in
        a transaction, the one whose transaction began when the job started
        (queue_job locks the job right after it marks it started). Odoo's
        workers name their connections after the server's process."""
        with self.registry.cursor() as cr:
            cr.execute(
                """
                SELECT a.pid FROM pg_stat_activity a, queue_job j
                 WHERE j.uuid = %s AND a.datname = current_database()
                   AND a.application_name = %s AND a.xact_start IS NOT NULL
                   AND a.state <> 'idle'
                   AND a.xact_start AT TIME ZONE 'utc'
                       >= j.date_started - interval '1 second'
                 ORDER BY a.xact_start LIMIT 1
                """,
                (uuid, f"odoo-{self.server.process.pid}"),
            )
            row = cr.fetchone()
            if not row:
                return False
            cr.execute("SELECT pg_terminate_backend(%s)", row)
            return cr.fetchone()[0]

    def count(self, fault):
        return sum(1 for kind, _uuid in self.done if kind == fault)


class HeldContract:
    """A contract held by another transaction: its ``sale_subscription`` row locked
    ``FOR UPDATE`` from this script's own connection until ``release``."""

    def __init__(self, registry, subscription_id):
        self.cr = registry.cursor()
        self.cr.execute(
            "SELECT id FROM sale_subscription WHERE id = %s FOR UPDATE",
            (subscription_id,),
        )
        self.since = time.monotonic()
        self.seconds = None

    @property
    def held(self):
        return self.seconds is None

    def release(self):
        if self.held:
            self.cr.rollback()
            self.cr.close()
            self.seconds = time.monotonic() - self.since


def add_fault_trigger(registry, subscription_id):
    """Any change to ``subscription_id``'s lines fails: a fault no rule expects."""
    with registry.cursor() as cr:
        cr.execute(
            f"""
            CREATE FUNCTION {FAULT_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{FAULT_REASON}'; END $$;
            CREATE TRIGGER {FAULT_TRIGGER} BEFORE UPDATE OR DELETE
            ON sale_subscription_line FOR EACH ROW
            WHEN (OLD.sale_subscription_id = {int(subscription_id)})
            EXECUTE FUNCTION {FAULT_TRIGGER}();
            """
        )


def drop_fault_trigger(registry):
    with registry.cursor() as cr:
        cr.execute(
            f"DROP TRIGGER IF EXISTS {FAULT_TRIGGER} ON sale_subscription_line; "
            f"DROP FUNCTION IF EXISTS {FAULT_TRIGGER}()"
        )


# -- 1. the bulk amendment ---------------------------------------------------------


def run_bulk(registry, server, fixture, kills, rng, timeout):
    """Create the bulk amendment, set the held and the faulty contract, confirm,
    inject the faults until every contract has a result; returns what the checks
    and the line need."""
    client = e2e.Client(server.url, registry.db_name, LOGIN, PASSWORD)
    bulk_id = client(
        BULK_MODEL,
        "create",
        {
            "subscription_ids": [(6, 0, fixture["subscription_ids"])],
            "effective_date": fixture["today"].isoformat(),
            "operation_ids": [
                (0, 0, {"action": "remove", "product_id": fixture["addon_id"]})
            ],
        },
    )
    with registry.cursor() as cr:
        # the order the jobs take them in: the last two on time are in the last chunk
        order = (
            api.Environment(cr, odoo.SUPERUSER_ID, {})[BULK_MODEL]
            .browse(bulk_id)
            .subscription_ids.ids
        )
    late = set(fixture["late_ids"])
    held_id, faulty_id = [sid for sid in order if sid not in late][-2:]
    add_fault_trigger(registry, faulty_id)
    hold = HeldContract(registry, held_id)
    stamp = db_now(registry)
    chunk = min(len(order), 100)
    faults = Faults(
        registry,
        server,
        ["kill", "terminate"] + ["kill"] * (kills - 1),
        rng,
        window=max(1.0, 0.025 * chunk),
    )
    start = time.perf_counter()
    client(BULK_MODEL, "action_confirm", [bulk_id])
    deadline = time.monotonic() + timeout
    n, held_retries = len(order), set()
    try:
        while True:
            faults.step(BULK_MODEL, "_run_chunk")
            with registry.cursor() as cr:
                cr.execute(
                    "SELECT count(*) FROM sale_subscription_amendment_bulk_result "
                    "WHERE bulk_id = %s",
                    (bulk_id,),
                )
                done = cr.fetchone()[0]
                cr.execute(
                    "SELECT uuid, retry FROM queue_job WHERE model_name = %s "
                    "AND retry > 0 AND result LIKE %s",
                    (BULK_MODEL, "%someone else%"),
                )
                held_retries.update(cr.fetchall())
                cr.execute(
                    "SELECT count(*) FROM queue_job WHERE model_name = %s "
                    "AND state IN %s",
                    (BULK_MODEL, WAITING),
                )
                waiting = cr.fetchone()[0]
            if hold.held and not faults.plan and held_retries:
                hold.release()
                log(f"the held contract released after {hold.seconds:.1f} s")
            if done >= n and not waiting:
                seconds = time.perf_counter() - start
                break
            check(server.process.poll() is None, "the server exited")
            check(
                time.monotonic() < deadline,
                f"{n - done} contracts without a result after {timeout} s "
                f"(faults left: {faults.plan}, held: {hold.held})",
            )
            time.sleep(0.2)
    finally:
        hold.release()
        drop_fault_trigger(registry)
    check(not faults.plan, f"faults not injected: {faults.plan}")
    return {
        "bulk_id": bulk_id,
        "held_id": held_id,
        "faulty_id": faulty_id,
        "stamp": stamp,
        "faults": faults,
        "hold_seconds": hold.seconds,
        "held_retries": held_retries,
        "seconds": seconds,
    }


def check_bulk(registry, fixture, run, server):
    """Every contract: one result; applied ones one amendment and one credit note
    against their invoice; refused ones and the faulty one nothing written.
    Returns the figures of the line; raises ``CheckFailed`` after counting."""
    ids = fixture["subscription_ids"]
    late, faulty, held = set(fixture["late_ids"]), run["faulty_id"], run["held_id"]
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        cr.execute(
            "SELECT subscription_id, count(*), min(state), min(message) "
            "FROM sale_subscription_amendment_bulk_result WHERE bulk_id = %s "
            "GROUP BY subscription_id",
            (run["bulk_id"],),
        )
        results = {sid: (count, state, msg) for sid, count, state, msg in cr.fetchall()}
        cr.execute(
            "SELECT subscription_id, count(*) FROM sale_subscription_amendment "
            "WHERE subscription_id = ANY(%s) AND create_date >= %s "
            "GROUP BY subscription_id",
            (ids, run["stamp"]),
        )
        amendments = dict(cr.fetchall())
        cr.execute(
            """
            SELECT inv.subscription_id, count(refund.id),
                   count(refund.id) FILTER (WHERE refund.state = 'draft'
                                            AND refund.move_type = 'out_refund')
              FROM account_move refund
              JOIN account_move inv ON inv.id = refund.reversed_entry_id
             WHERE inv.subscription_id = ANY(%s) AND refund.create_date >= %s
             GROUP BY inv.subscription_id
            """,
            (ids, run["stamp"]),
        )
        credits = {sid: (count, good) for sid, count, good in cr.fetchall()}
        addon_qty = dict.fromkeys(ids, 0.0)
        cr.execute(
            "SELECT sale_subscription_id, sum(product_uom_qty) FROM "
            "sale_subscription_line WHERE sale_subscription_id = ANY(%s) "
            "AND product_id = %s GROUP BY sale_subscription_id",
            (ids, fixture["addon_id"]),
        )
        addon_qty.update(cr.fetchall())
        jobs = env["queue.job"].search([("model_name", "=", BULK_MODEL)])
        job_states = {
            state: jobs.mapped("state").count(state)
            for state in set(jobs.mapped("state"))
        }
        held_job = jobs.filtered(
            lambda job: job.method_name == "_run_chunk" and held in job.args[0]
        )
        held_job_retries = max(held_job.mapped("retry") or [0])
        jobs_count = len(jobs)
    duplicates = {
        sid
        for sid in ids
        if results.get(sid, (0,))[0] > 1
        or amendments.get(sid, 0) > 1
        or credits.get(sid, (0, 0))[0] > 1
    }
    expected = {
        sid: "refused" if sid in late else "failed" if sid == faulty else "applied"
        for sid in ids
    }
    lost = {
        sid
        for sid in ids
        if sid not in results
        or (
            expected[sid] == "applied"
            and (amendments.get(sid, 0) < 1 or credits.get(sid, (0, 0))[1] < 1)
        )
    }
    wrong = {
        sid
        for sid in ids
        if sid in results
        and (
            results[sid][1] != expected[sid]
            or (
                expected[sid] != "applied" and (amendments.get(sid) or credits.get(sid))
            )
            or addon_qty[sid] != (0 if expected[sid] == "applied" else 1)
        )
    }
    per_state = {}
    for _count, state, _msg in results.values():
        per_state[state] = per_state.get(state, 0) + 1
    requeued = server.log_path.read_text().count("Re-queued dead job")
    figures = {
        "n": len(ids),
        "kills": run["faults"].count("kill"),
        "terminated": run["faults"].count("terminate"),
        "requeued": requeued,
        "hold_seconds": run["hold_seconds"],
        "held_job_retries": held_job_retries,
        "per_state": per_state,
        "amendments": sum(amendments.values()),
        "credit_notes": sum(count for count, _good in credits.values()),
        "duplicates": len(duplicates),
        "lost": len(lost),
        "wrong": len(wrong),
        "seconds": run["seconds"],
        "jobs": jobs_count,
        "job_states": job_states,
    }
    failed_message = results.get(faulty, (0, "", ""))[2] or ""
    figures["line"] = bulk_line(figures)
    print(figures["line"], flush=True)
    check(not duplicates, f"contracts amended twice: {sorted(duplicates)}")
    check(
        not lost,
        f"contracts lost (no result, or applied without documents): {sorted(lost)}",
    )
    check(not wrong, f"contracts in a wrong state: {sorted(wrong)}")
    check(
        FAULT_REASON in failed_message,
        f"the faulty contract's reason: {failed_message!r}",
    )
    check(
        expected[held] == "applied" and results[held][1] == "applied",
        "held not applied",
    )
    check(run["held_retries"], "no retry of the held contract's job seen in queue_job")
    check(figures["held_job_retries"] >= 1, "the held contract's job has no retry")
    check(set(job_states) == {"done"}, f"jobs not all done: {job_states}")
    check(
        requeued >= figures["kills"],
        f"{requeued} dead job(s) requeued by the runner for {figures['kills']} kill(s)",
    )
    return figures


def bulk_line(f):
    states = ", ".join(
        f"{f['per_state'].get(state, 0)} {state}"
        for state in ("applied", "refused", "failed", "unchanged")
    )
    return (
        f"e2e-faults: {f['n']} contracts amended in bulk by a real job runner "
        f"(workers 2, channel capacity 2); faults: {f['kills']} worker(s) killed "
        f"(kill -9 mid-chunk, {f['requeued']} dead job(s) requeued by the runner), "
        f"{f['terminated']} connection(s) terminated mid-chunk, 1 contract held "
        f"{f['hold_seconds']:.0f} s (its job retried {f['held_job_retries']} time(s)), "
        f"1 faulty contract; results: {states}; documents: {f['amendments']} "
        f"amendments, {f['credit_notes']} credit notes; {f['jobs']} jobs; "
        f"duplicates {f['duplicates']}; lost {f['lost']}; wrong {f['wrong']}; "
        f"{f['seconds']:.1f} s from the confirmation to the last result"
    )


# -- 2 and 3. the daily cron ------------------------------------------------------


def seed_cron(registry, m, fixture, tag):
    """Commit ``m`` contracts due today: a third renew today, a third have a
    reduction (users 10 to 6) scheduled for today, all have a period to invoice
    starting today. Returns their ids by role and the commit's time."""
    from freezegun import freeze_time  # noqa: PLC0415

    today = fixture["today"]
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
        admin = env(user=env.ref("base.user_admin").id)
        template = env["sale.subscription.template"].search([("code", "=", "E2E")])
        users = env["product.product"].search([("name", "=", "E2E Users")])
        addon = env["product.product"].browse(fixture["addon_id"])
        partner = env["res.partner"].search([("name", "=", "E2E customer 0")])
        roles = ["renew", "amend", "invoice"]
        months = {"renew": 12, "amend": 6, "invoice": 3}
        subscriptions = env["sale.subscription"].create(
            [
                {
                    "partner_id": partner.id,
                    "pricelist_id": partner.property_product_pricelist.id,
                    "template_id": template.id,
                    "code": f"{tag}-{i}",
                    "date_start": today - relativedelta(months=months[roles[i % 3]]),
                    "recurring_next_date": today,
                    "sale_subscription_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": quantity,
                                "price_unit": product.list_price,
                            }
                        )
                        for product, quantity in ((users, 10), (addon, 1))
                    ],
                }
                for i in range(m)
            ]
        )
        subscriptions.action_start_subscription()
        subscriptions.recurring_next_date = today
        groups = {role: subscriptions[index::3].ids for index, role in enumerate(roles)}
        # a term started twelve months ago: its renewal is today (set as B7 sets
        # it: the addon computes the next renewal when a contract starts)
        cr.execute(
            "UPDATE sale_subscription SET renewal_date = %s, "
            "notice_deadline = %s::date - 30 WHERE id = ANY(%s)",
            (today, today, groups["renew"]),
        )
        env.invalidate_all()
        amended = admin["sale.subscription"].browse(groups["amend"])
        with freeze_time(today - relativedelta(days=3)):
            amendments = admin["sale.subscription.amendment"].create(
                [
                    {
                        "subscription_id": subscription.id,
                        "effective_date": today,
                        "line_ids": [
                            Command.create(
                                {"subscription_line_id": line.id, "new_quantity": 6}
                            )
                            for line in subscription.sale_subscription_line_ids
                            if line.product_id == users
                        ],
                    }
                    for subscription in amended
                ]
            )
            amendments.action_apply()
        check(
            set(amendments.mapped("state")) == {"scheduled"},
            f"the cron fixture's amendments: {set(amendments.mapped('state'))}",
        )
        check(
            all(
                sub.renewal_date == today
                for sub in subscriptions.browse(groups["renew"])
            ),
            "the cron fixture's renewals are not due today",
        )
        due = set(env["sale.subscription"]._cron_due(today).ids)
        check(
            set(subscriptions.ids) <= due,
            f"{len(set(subscriptions.ids) - due)} of the cron's contracts not due",
        )
        groups["all"] = subscriptions.ids
        groups["others_due"] = len(due - set(subscriptions.ids))
        cr.commit()
    groups["stamp"] = db_now(registry)
    return groups


def cron_batch(m):
    from odoo.addons.aircall_subscription_amendments.models import (  # noqa: PLC0415
        sale_subscription_cron,
    )

    batch = sale_subscription_cron.CRON_BATCH
    return batch if m >= 2 * batch else max(1, m // 3)


def cron_driver(registry, batch):
    """The main addon's cron as Odoo's scheduler calls it (``ir.cron._run_job``):
    a progress record, one batch per call, a commit after each, again while some
    remain. The main addon's method itself: without the bridge's enqueuing."""
    from odoo.addons.aircall_subscription_amendments.models import (  # noqa: PLC0415
        sale_subscription_cron,
    )

    sale_subscription_cron.CRON_BATCH = batch
    while True:
        with registry.cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, {})
            cron = env.ref("subscription_oca.ir_cron_subscription_management")
            _cron, progress = cron._add_progress()
            sale_subscription_cron.SaleSubscription.cron_subscription_management(
                env["sale.subscription"].with_context(ir_cron_progress_id=progress.id)
            )
            remaining = progress.remaining
        print(f"batch committed, {remaining} remaining", flush=True)
        if not remaining:
            return 0


def cron_done(registry, ids, today):
    with registry.cursor() as cr:
        cr.execute(
            "SELECT count(*) FROM sale_subscription WHERE id = ANY(%s) "
            "AND amendment_cron_date = %s",
            (ids, today),
        )
        return cr.fetchone()[0]


def run_cron_plain(registry, args, groups, today, rng):
    """Kill the scheduler's process at a random point after its first batch is
    committed (while batches remain), then run it again to the end."""
    batch = cron_batch(len(groups["all"]))
    command = [
        sys.executable,
        __file__,
        "--config",
        args.config,
        "--database",
        args.database,
        "--cron-driver",
        str(batch),
    ]
    driver = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while cron_done(registry, groups["all"], today) < batch:
        check(driver.poll() is None, f"the cron's process ended ({driver.returncode})")
        check(time.monotonic() < deadline, "the cron's first batch took 600 s")
        time.sleep(0.1)
    # a random point in a later batch: a batch of ``batch`` contracts takes seconds
    time.sleep(rng.uniform(0.3, max(0.5, 0.04 * batch)))
    check(driver.poll() is None, "the cron ended before it was killed")
    driver.kill()
    driver.wait()
    done_at_kill = cron_done(registry, groups["all"], today)
    check(
        done_at_kill < len(groups["all"]),
        "the cron had done every contract when it was killed",
    )
    log(f"cron without the bridge killed with {done_at_kill} contracts done")
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=1200)
    check(rerun.returncode == 0, f"the cron's rerun failed: {rerun.stderr[-2000:]}")
    return {"batch": batch, "done_at_kill": done_at_kill}


def enqueue_cron(registry, batch):
    """The cron as the scheduler calls it, with the bridge: its jobs enqueued."""
    from odoo.addons.aircall_subscription_amendments_queue.models import (  # noqa: PLC0415
        sale_subscription as bridge_cron,
    )

    bridge_cron.CRON_BATCH = batch
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        cron = env.ref("subscription_oca.ir_cron_subscription_management")
        _cron, progress = cron._add_progress()
        env["sale.subscription"].with_context(
            ir_cron_progress_id=progress.id
        ).cron_subscription_management()


def run_cron_queue(registry, server, groups, today, rng, timeout):
    """Enqueue the day's jobs, kill the worker of one at a random point in it,
    run the cron again at once, and wait until no job is left."""
    batch = cron_batch(len(groups["all"]))
    faults = Faults(registry, server, ["kill"], rng, window=max(1.0, 0.03 * batch))
    enqueue_cron(registry, batch)
    deadline = time.monotonic() + timeout
    rerun = False
    while True:
        faults.step("sale.subscription", "_cron_run_job")
        if not faults.plan and not rerun:
            enqueue_cron(registry, batch)  # the scheduler's next run
            rerun = True
        with registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM queue_job WHERE method_name = '_cron_run_job' "
                "AND state IN %s",
                (WAITING,),
            )
            waiting = cr.fetchone()[0]
        if rerun and not waiting:
            break
        check(
            faults.plan
            or cron_done(registry, groups["all"], today) < len(groups["all"])
            or waiting,
            "the cron's jobs ended before a worker was killed",
        )
        check(time.monotonic() < deadline, f"cron jobs still waiting after {timeout} s")
        time.sleep(0.2)
    with registry.cursor() as cr:
        cr.execute(
            "SELECT state, count(*) FROM queue_job WHERE method_name = "
            "'_cron_run_job' GROUP BY state"
        )
        states = dict(cr.fetchall())
    check(set(states) == {"done"}, f"cron jobs: {states}")
    return {"batch": batch, "jobs": sum(states.values()), "kills": faults.count("kill")}


def check_cron(registry, groups, today):
    """Each contract run once: renewed once, amended once, invoiced once.
    Returns (due, renewed, amended, invoiced, duplicates, skipped) as sets/counts."""
    ids = groups["all"]
    with registry.cursor() as cr:
        cr.execute(
            "SELECT id, amendment_cron_date, renewal_date, recurring_next_date "
            "FROM sale_subscription WHERE id = ANY(%s)",
            (ids,),
        )
        rows = {sid: rest for sid, *rest in cr.fetchall()}
        cr.execute(
            "SELECT res_id, count(*) FROM mail_message WHERE model = "
            "'sale.subscription' AND res_id = ANY(%s) AND body LIKE %s "
            "GROUP BY res_id",
            (ids, "%New contract term%"),
        )
        renewals = dict(cr.fetchall())
        cr.execute(
            "SELECT subscription_id, count(*) FILTER (WHERE state = 'done'), "
            "count(*) FILTER (WHERE state = 'scheduled') FROM "
            "sale_subscription_amendment WHERE subscription_id = ANY(%s) "
            "GROUP BY subscription_id",
            (groups["amend"],),
        )
        amendments = {sid: (done, left) for sid, done, left in cr.fetchall()}
        cr.execute(
            "SELECT subscription_id, count(*) FROM account_move WHERE "
            "move_type = 'out_invoice' AND subscription_id = ANY(%s) "
            "AND create_date >= %s GROUP BY subscription_id",
            (ids, groups["stamp"]),
        )
        invoices = dict(cr.fetchall())
        cr.execute(
            "SELECT sale_subscription_id, product_uom_qty FROM sale_subscription_line "
            "l JOIN product_product p ON p.id = l.product_id JOIN product_template t "
            "ON t.id = p.product_tmpl_id WHERE sale_subscription_id = ANY(%s) "
            "AND t.name->>'en_US' = 'E2E Users'",
            (groups["amend"],),
        )
        users_qty = dict(cr.fetchall())
    renew, amend = set(groups["renew"]), set(groups["amend"])
    next_term = today + relativedelta(months=12)
    next_period = today + relativedelta(months=1)
    duplicates, skipped = set(), set()
    for sid in ids:
        run_date, renewal_date, next_date = rows[sid]
        twice = invoices.get(sid, 0) > 1 or renewals.get(sid, 0) > 1
        twice |= next_date > next_period
        missing = (
            run_date != today or invoices.get(sid, 0) < 1 or next_date < next_period
        )
        if sid in renew:
            twice |= renewal_date > next_term
            missing |= renewals.get(sid, 0) < 1 or renewal_date < next_term
        if sid in amend:
            done, left = amendments.get(sid, (0, 0))
            twice |= done > 1
            missing |= done < 1 or left > 0 or users_qty.get(sid) != 6
        if twice:
            duplicates.add(sid)
        if missing:
            skipped.add(sid)
    return {
        "due": len(ids),
        "renewed": sum(1 for sid in renew if renewals.get(sid)),
        "amended": sum(1 for sid in amend if amendments.get(sid, (0, 0))[0]),
        "invoiced": sum(1 for sid in ids if invoices.get(sid)),
        "duplicates": duplicates,
        "skipped": skipped,
    }


def cron_line(plain, queue, plain_run, queue_run):
    total = {
        key: plain[key] + queue[key]
        for key in ("due", "renewed", "amended", "invoiced")
    }
    return (
        f"cron-faults: {total['due']} contracts due "
        f"({plain['due']} without the bridge, in batches of {plain_run['batch']}: its "
        f"process killed (kill -9) in a batch with {plain_run['done_at_kill']} done, "
        f"then run again; {queue['due']} with it, {queue_run['jobs']} jobs of up to "
        f"{queue_run['batch']}: {queue_run['kills']} job's worker killed mid-job and "
        f"the cron run again at once): {total['renewed']} renewed, "
        f"{total['amended']} amended, {total['invoiced']} invoiced; duplicates "
        f"{len(plain['duplicates']) + len(queue['duplicates'])}; skipped "
        f"{len(plain['skipped']) + len(queue['skipped'])}"
    )


# -- the whole run ---------------------------------------------------------------


def run(args):
    rng = random.Random(args.seed)
    registry = Registry(args.database)
    started = time.perf_counter()
    fixture = e2e.seed(registry, args.n)
    log(
        f"{args.n} contracts billed and committed in {time.perf_counter() - started:.0f} s"
    )
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    server = e2e.Server(
        e2e.runner_config(args.config, 2, cache / f"odoo-{args.database}.conf"),
        args.database,
        cache / f"server-{args.database}.log",
    )
    failures = []
    try:
        server.wait_ready()
        server.warm_up(args.database)
        log(f"server and job runner ready on {server.url}")
        bulk_run = run_bulk(
            registry, server, fixture, args.kills, rng, 600 + 2 * args.n
        )
        try:
            check_bulk(registry, fixture, bulk_run, server)
        except CheckFailed as error:
            failures.append(str(error))
        today = fixture["today"]
        cron_n = args.cron_n or (300 if args.n >= 200 else min(args.n, 60))
        plain_groups = seed_cron(registry, cron_n, fixture, "E2E-CRON-A")
        plain_run = run_cron_plain(registry, args, plain_groups, today, rng)
        plain = check_cron(registry, plain_groups, today)
        queue_groups = seed_cron(registry, cron_n, fixture, "E2E-CRON-B")
        queue_run = run_cron_queue(registry, server, queue_groups, today, rng, 900)
        queue = check_cron(registry, queue_groups, today)
        print(cron_line(plain, queue, plain_run, queue_run), flush=True)
        for label, result in (("without", plain), ("with", queue)):
            if result["duplicates"] or result["skipped"]:
                failures.append(
                    f"cron {label} the bridge: duplicates "
                    f"{sorted(result['duplicates'])}, skipped {sorted(result['skipped'])}"
                )
        check(not failures, "; ".join(failures))
    except BaseException:
        server.stop()
        log(f"the server's log ({server.log_path}), last lines:\n{server.tail()}")
        raise
    server.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument(
        "--cron-n", type=int, default=0, help="default: 60, 300 from N=200"
    )
    parser.add_argument("--kills", type=int, default=0, help="default: 1, 2 from 200")
    parser.add_argument(
        "--seed", type=int, default=None, help="the faults' random seed"
    )
    parser.add_argument("--cache", default=".cache/e2e")
    parser.add_argument("--cron-driver", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    if args.cron_driver:
        return cron_driver(Registry(args.database), args.cron_driver)
    args.kills = args.kills or (2 if args.n >= 200 else 1)
    if args.seed is None:
        args.seed = random.randrange(10**6)
    log(f"random seed {args.seed} (--seed to replay)")
    started = time.perf_counter()
    try:
        run(args)
    except CheckFailed as error:
        log(f"FAILED: {error}")
        return 1
    log(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
