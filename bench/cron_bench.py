"""B7: the daily subscription cron over 100,000 subscriptions, 1,000 of them due,
without and with the queue_job bridge.

Needs two databases with the same modules but the bridge: one with
``aircall_subscription_amendments`` only, one with
``aircall_subscription_amendments,queue_job`` (the bridge auto-installs). Both get
the same fixture, committed: 100,000 subscriptions of the "BENCH" template
(``odoo_bench.Bench.build_catalog``), of which

- a third reach their renewal date today (auto-renewing: a new term),
- a third carry a scheduled downgrade amendment effective today (created through
  the ORM three days ago, under freezegun, with lines and a posted invoice of the
  current period: the cron credits the rest of the period),
- a third have a notice deadline within the reminder horizon (an activity),

and the rest (bulk-inserted by ``odoo_bench.insert_subscriptions``, dates then
moved) have nothing to do today; the template's demo subscriptions are archived.
Every due contract has already been invoiced for its current period
(``recurring_next_date`` after today), so subscription_oca's invoicing step runs
its scoped search but bills nothing: it is kept cheap, not measured. The fixture
asserts that the cron's due search finds exactly the due contracts; after the
run, the script asserts the work was done (renewal dates moved, amendments
applied with their credit notes, reminder activities) and that no other
contract was touched.

Without the bridge, the cron runs as Odoo's scheduler runs it: ``ir.cron._run_job``
(a progress record, one batch of ``CRON_BATCH`` per call, a commit after each,
called again while contracts remain). With the bridge, the same scheduler call
enqueues one job per chunk; the jobs are then run in this process one after the
other, as queue_job's ``/queue_job/runjob`` controller runs them
(``_acquire_job`` then ``_runjob``, a commit each), until none is pending: the
jobs' own work at capacity 1, without the HTTP runner's overhead. Each step of
a contract's run (renewal, scheduled amendments, reminder, subscription_oca's
run) is timed apart. The cost of scanning the contracts not due is the same
cron run again once the day's work is done (nothing due any more), and the due
search alone.

Standalone:

    .venv/bin/python bench/cron_bench.py --config .cache/odoo.conf \\
        --database b7_plain --queue-database b7_queue \\
        [--rows 100000] [--due 1000] [--output .cache/bench/b7.md]

The fixture is committed: use fresh databases for each run. Times are wall-clock
(``time.perf_counter``); queries are Odoo's global ``sql_db.sql_counter`` (every
cursor); CPU is this Odoo process's ``time.process_time`` and, for PostgreSQL,
the user + system time of this database's backends read from ``/proc/<pid>/stat``
(this script must run on the database's host as a user who can read it);
wall time minus both is waits (I/O, locks, scheduling on a busy machine).
"""

import argparse
import contextlib
import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from odoo_bench import Bench, check_inserted, insert_subscriptions, log

import odoo
from odoo import Command, api, fields, sql_db
from odoo.modules.registry import Registry
from odoo.tools import config

from odoo.addons.base.models.ir_cron import CompletionStatus

#: scheduled amendments are created this many days before the cron's day
AMEND_LEAD_DAYS = 3
#: repetitions of the due search alone (the median is reported)
SEARCH_RUNS = 5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: the steps of a contract's run, timed apart: model, method, label
STEPS = (
    ("sale.subscription", "_cron_renew_terms", "renewals"),
    ("sale.subscription.amendment", "_cron_apply_scheduled", "scheduled amendments"),
    ("sale.subscription", "_cron_notice_reminders", "reminders"),
    ("sale.subscription", "_cron_subscription_oca", "subscription_oca's run"),
)


@dataclass
class Meter:
    seconds: float = 0.0
    queries: int = 0
    cpu_odoo: float = 0.0
    cpu_pg: float = 0.0

    def __add__(self, other):
        return Meter(
            self.seconds + other.seconds,
            self.queries + other.queries,
            self.cpu_odoo + other.cpu_odoo,
            self.cpu_pg + other.cpu_pg,
        )


def backend_cpu(registry):
    """{pid: CPU seconds} of the PostgreSQL backends connected to this database."""
    with registry.cursor() as cr:
        cr.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        )
        pids = [pid for (pid,) in cr.fetchall()]
    cpu = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            # the command name may hold spaces: the fields follow its ')'
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu[pid] = (int(stat[11]) + int(stat[12])) / CLOCK_TICKS
    return cpu


@contextlib.contextmanager
def metered(registry):
    """Wall time, queries of every cursor, CPU of Odoo and of the database's
    backends during the block."""
    before = backend_cpu(registry)
    result = Meter()
    queries = sql_db.sql_counter
    cpu, start = time.process_time(), time.perf_counter()
    yield result
    result.seconds = time.perf_counter() - start
    result.cpu_odoo = time.process_time() - cpu
    result.queries = sql_db.sql_counter - queries
    after = backend_cpu(registry)
    result.cpu_pg = sum(
        max(0.0, seconds - before.get(pid, 0.0)) for pid, seconds in after.items()
    )


@contextlib.contextmanager
def step_meters(registry):
    """Time and queries of each step of the contracts' runs (``STEPS``), summed
    over every contract, whichever process path calls them. The writes a step
    leaves to the next flush are counted where they are flushed."""
    meters = {label: Meter() for *_rest, label in STEPS}
    with contextlib.ExitStack() as stack:
        for model, method, label in STEPS:
            original = getattr(registry[model], method)

            def timed(records, *args, _original=original, _meter=meters[label]):
                queries, start = sql_db.sql_counter, time.perf_counter()
                try:
                    return _original(records, *args)
                finally:
                    _meter.seconds += time.perf_counter() - start
                    _meter.queries += sql_db.sql_counter - queries

            stack.enter_context(patch.object(registry[model], method, timed))
        yield meters


@contextlib.contextmanager
def admin_env(registry):
    """The admin user's environment on a new cursor, committed on success."""
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        yield api.Environment(cr, env.ref("base.user_admin").id, {})


# -- fixture ------------------------------------------------------------------


def build_fixture(registry, rows, due):
    """Commit the catalog, the due contracts and the rest; return the ids of
    each group and the day. Asserts the due search finds exactly the due ones."""
    n_amend = n_renew = due // 3
    n_remind = due - n_amend - n_renew
    bench = Bench(registry, 0)
    with admin_env(registry) as env:
        today = fields.Date.context_today(env.user)
        if env["sale.subscription.template"].search_count([("code", "=", "BENCH")]):
            raise SystemExit(f"{env.cr.dbname} already holds a fixture: use a new one")
        quiet = env(context=dict(env.context, tracking_disable=True))
        horizon = max(env["res.company"].search([]).mapped("amendment_reminder_days"))
        # the template's demo subscriptions would be due too: archived
        env.cr.execute("UPDATE sale_subscription SET active = false")
        env.invalidate_all()
        catalog = bench.build_catalog(quiet)
        products = catalog[1]
        with freeze_time(today - timedelta(days=AMEND_LEAD_DAYS)):
            # billed since today - 8 days: the downgrade credits the rest
            bench.today = today - timedelta(days=AMEND_LEAD_DAYS)
            amended, _invoices = bench.create_invoiced_subscriptions(
                quiet, catalog, [[(products[0], 10), (products[1], 4)]] * n_amend
            )
            amendments = quiet["sale.subscription.amendment"].create(
                [
                    {
                        "subscription_id": subscription.id,
                        "effective_date": today,
                        "line_ids": [
                            Command.create(
                                {"subscription_line_id": line.id, "new_quantity": 6}
                            )
                            for line in subscription.sale_subscription_line_ids
                            if line.product_id == products[0]
                        ],
                    }
                    for subscription in amended
                ]
            )
            amendments.action_apply()
            assert set(amendments.mapped("state")) == {"scheduled"}, (
                "the amendments were not scheduled"
            )
        insert_subscriptions(env, rows - n_amend, today)
        # Roles by the inserted row's number: the first ones renew today, the next
        # ones reach their reminder day; the others start at most 365 - horizon -
        # 32 days ago, so their notice deadline lies beyond the horizon. Every
        # contract is invoiced up to its next monthly anniversary after today.
        env.cr.execute(
            """
            WITH starts AS (
                SELECT id, CASE
                    WHEN n <= %(renew)s THEN (%(today)s::date - interval '12 months')::date
                    WHEN n <= %(renew)s + %(remind)s
                        THEN (%(today)s::date + 30 + n %% (%(horizon)s + 1)
                              - interval '12 months')::date
                    ELSE %(today)s::date - (n * 7919) %% (365 - %(horizon)s - 32)
                END AS date_start
                FROM (SELECT id, substr(code, 4)::int AS n FROM sale_subscription
                      WHERE code LIKE 'B3-%%') AS inserted
            )
            UPDATE sale_subscription s
               SET date_start = st.date_start,
                   renewal_date = (st.date_start + interval '12 months')::date,
                   notice_deadline = (st.date_start + interval '12 months')::date - 30,
                   recurring_next_date = CASE
                       WHEN st.date_start + interval '1 month' * st.months
                            > %(today)s::date
                       THEN st.date_start + interval '1 month' * st.months
                       -- past a month's end (31 March + 8 months = 30 November)
                       ELSE st.date_start + interval '1 month' * (st.months + 1)
                   END::date
              FROM (
                SELECT id, date_start, 1
                       + 12 * extract(year FROM age(%(today)s::date, date_start))
                       + extract(month FROM age(%(today)s::date, date_start)) AS months
                  FROM starts
              ) AS st
             WHERE s.id = st.id
            """,
            {"today": today, "renew": n_renew, "remind": n_remind, "horizon": horizon},
        )
        env.cr.execute("ANALYZE sale_subscription")
        env.invalidate_all()
        check_inserted(env)  # the highest ids: contracts of the rest

        def inserted(low, high):
            env.cr.execute(
                "SELECT id FROM sale_subscription WHERE code LIKE 'B3-%%' "
                "AND substr(code, 4)::int BETWEEN %s AND %s ORDER BY id",
                (low, high),
            )
            return [row[0] for row in env.cr.fetchall()]

        groups = {
            "renew": inserted(1, n_renew),
            "remind": inserted(n_renew + 1, n_renew + n_remind),
            "amend": amended.ids,
        }
        found = env["sale.subscription"]._cron_due(today).ids
        expected = sorted(groups["renew"] + groups["remind"] + groups["amend"])
        assert sorted(found) == expected, (
            f"the due search finds {len(found)} contracts, expected {len(expected)}"
        )
        env.cr.execute(
            "SELECT count(*), max(write_date) FROM sale_subscription WHERE active"
        )
        total, stamp = env.cr.fetchone()
        assert total == rows, f"{total} subscriptions, expected {rows}"
        groups["amendments"] = amendments.ids
        return today, groups, stamp


def check_done(registry, today, groups, stamp, rows):
    """The due work was done, and nothing else was touched."""
    with admin_env(registry) as env:
        subscriptions = env["sale.subscription"]
        renewed = subscriptions.browse(groups["renew"])
        assert all(
            sub.renewal_date == today + relativedelta(months=12) for sub in renewed
        ), "renewals: renewal date not moved"
        env.cr.execute(
            "SELECT count(DISTINCT res_id) FROM mail_message WHERE model = "
            "'sale.subscription' AND res_id = ANY(%s) AND body LIKE %s",
            (groups["renew"], "%New contract term%"),
        )
        assert env.cr.fetchone()[0] == len(renewed), "renewals: no message"
        amendments = env["sale.subscription.amendment"].browse(groups["amendments"])
        assert set(amendments.mapped("state")) == {"done"}, "amendments not applied"
        assert len(amendments.move_ids) == len(amendments), "no credit notes"
        lines = subscriptions.browse(groups["amend"]).sale_subscription_line_ids
        assert sorted(set(lines.mapped("product_uom_qty"))) == [4, 6], (
            "amended quantities"
        )
        reminded = subscriptions.browse(groups["remind"])
        assert len(reminded.activity_ids) == len(reminded), "reminders: activities"
        assert all(
            sub.notice_reminder_renewal_date == sub.renewal_date for sub in reminded
        ), "reminders: term not remembered"
        due_ids = groups["renew"] + groups["remind"] + groups["amend"]
        env.cr.execute(
            "SELECT count(*) FILTER (WHERE amendment_cron_date = %s AND id = ANY(%s)),"
            " count(*) FILTER (WHERE NOT id = ANY(%s) AND (amendment_cron_date IS NOT"
            " NULL OR write_date > %s)) FROM sale_subscription",
            (today, due_ids, due_ids, stamp),
        )
        run, touched = env.cr.fetchone()
        assert run == len(due_ids), f"{run} contracts run, expected {len(due_ids)}"
        assert touched == 0, f"{touched} contracts not due were touched"
        env.cr.execute(
            "SELECT count(*) FROM mail_activity WHERE res_model = 'sale.subscription'"
            " AND NOT res_id = ANY(%s)",
            (due_ids,),
        )
        assert env.cr.fetchone()[0] == 0, "activities on contracts not due"


def run_emails(registry, stamp):
    """The e-mails the run created: (left to the mail queue, sent at once).
    Sent at once without an SMTP server, they end in exception."""
    with registry.cursor() as cr:
        cr.execute(
            "SELECT count(*) FILTER (WHERE state = 'outgoing'), "
            "count(*) FILTER (WHERE state <> 'outgoing') "
            "FROM mail_mail WHERE create_date > %s",
            (stamp,),
        )
        return cr.fetchone()


# -- runs -----------------------------------------------------------------------


def cron_job(registry):
    """subscription_oca's daily cron as ``ir.cron._process_jobs`` hands it over."""
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        cron = env.ref("subscription_oca.ir_cron_subscription_management")
        return {
            "id": cron.id,
            "cron_name": cron.cron_name,
            "user_id": cron.user_id.id,
            "lastcall": cron.lastcall,
            "timed_out_counter": 0,
            "ir_actions_server_id": cron.ir_actions_server_id.id,
            "active": cron.active,
            "done": 0,
        }


def run_scheduler(registry, job):
    """Run the cron as the scheduler does (``_run_job``: progress record, commit,
    call, commit, again while contracts remain; rescheduled at once when it stops
    after ``MAX_BATCH_PER_CRON_JOB`` calls). Returns the number of calls."""
    with registry.cursor() as cr:
        cr.execute("SELECT coalesce(max(id), 0) FROM ir_cron_progress")
        first = cr.fetchone()[0]
    while True:
        status = registry["ir.cron"]._run_job(dict(job))
        if status != CompletionStatus.PARTIALLY_DONE:
            break
    assert status == CompletionStatus.FULLY_DONE, f"the cron ended {status}"
    with registry.cursor() as cr:
        cr.execute("SELECT count(*) FROM ir_cron_progress WHERE id > %s", (first,))
        return cr.fetchone()[0]


def pending_jobs(registry):
    with registry.cursor() as cr:
        cr.execute(
            "SELECT count(*) FROM queue_job WHERE state = 'pending' "
            "AND method_name = '_cron_run_job'"
        )
        return cr.fetchone()[0]


def drain_queue(registry):
    """Run the pending jobs one after the other as the runner and its controller
    would (set enqueued, ``_acquire_job``, ``_runjob``), until none is pending.
    Returns the number of jobs run."""
    # queue_job is importable once the configuration gives its addons path
    from odoo.addons.queue_job.controllers.main import (  # noqa: PLC0415
        RunJobController,
    )

    count = 0
    while True:
        with registry.cursor() as cr:
            cr.execute(
                "SELECT uuid FROM queue_job WHERE state = 'pending' AND "
                "(eta IS NULL OR eta <= now() at time zone 'utc') "
                "ORDER BY priority, date_created, id LIMIT 1"
            )
            row = cr.fetchone()
            if not row:
                return count
            cr.execute(
                "UPDATE queue_job SET state = 'enqueued', date_enqueued = "
                "date_trunc('seconds', now() at time zone 'utc') WHERE uuid = %s",
                row,
            )
            cr.commit()
            env = api.Environment(cr, odoo.SUPERUSER_ID, {})
            job = RunJobController._acquire_job(env, row[0])
            assert job, f"job {row[0]} could not be acquired"
            RunJobController._runjob(env, job)
            count += 1


def due_search(registry, today):
    """The due search alone, on a fresh cache: median time, queries, found."""
    samples, queries, found = [], 0, 0
    for _run in range(SEARCH_RUNS):
        with registry.cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, {})
            counted, start = sql_db.sql_counter, time.perf_counter()
            found = len(env["sale.subscription"]._cron_due(today))
            samples.append(time.perf_counter() - start)
            queries = sql_db.sql_counter - counted
            cr.rollback()
    return statistics.median(samples), queries, found


def bench_database(database, rows, due, bridge):
    """Fixture, a search-only warm-up measure, the day's run, the check, then the
    same cron again on a day with nothing left to do."""
    registry = Registry(database)
    assert ("queue.job" in registry) == bridge, f"{database}: queue_job installed?"
    start = time.perf_counter()
    today, groups, stamp = build_fixture(registry, rows, due)
    result = {"fixture_seconds": time.perf_counter() - start, "today": today}
    log(f"{database}: fixture in {result['fixture_seconds']:.0f} s")
    result["search_due"] = due_search(registry, today)
    job = cron_job(registry)
    with step_meters(registry) as result["steps"]:
        day_run(registry, job, bridge, result, due)
    log(f"{database}: the day's run in {result['run'].seconds:.1f} s")
    check_done(registry, today, groups, stamp, rows)
    result["emails"] = run_emails(registry, stamp)
    # the same cron again: every contract is done for today, nothing is due
    with metered(registry) as idle:
        result["idle_calls"] = run_scheduler(registry, job)
        if bridge:
            result["idle_jobs"] = drain_queue(registry)
            assert not result["idle_jobs"], "jobs enqueued with nothing due"
    result["idle"] = idle
    result["search_none"] = due_search(registry, today)
    assert result["search_none"][2] == 0, "contracts still due after the run"
    return result


def day_run(registry, job, bridge, result, due):
    """The day's run: the scheduler's calls, and with the bridge the jobs."""
    # importable once the configuration gives the addons path
    from odoo.addons.aircall_subscription_amendments.models import (  # noqa: PLC0415
        sale_subscription_cron,
    )

    if not bridge:
        with metered(registry) as run:
            result["calls"] = run_scheduler(registry, job)
        result["run"] = run
    else:
        with metered(registry) as enqueue:
            result["calls"] = run_scheduler(registry, job)
        result["jobs"] = pending_jobs(registry)
        assert result["jobs"] == -(-due // sale_subscription_cron.CRON_BATCH), (
            f"{result['jobs']} jobs"
        )
        with metered(registry) as drain:
            result["jobs_run"] = drain_queue(registry)
        result["enqueue"], result["drain"], result["run"] = (
            enqueue,
            drain,
            enqueue + drain,
        )


# -- table ----------------------------------------------------------------------


def b7_table(plain, queue, rows, due, loads):
    def wall(meter):
        return f"{meter.seconds:.2f} s"

    def cpu(meter):
        waits = meter.seconds - meter.cpu_odoo - meter.cpu_pg
        return f"{meter.cpu_odoo:.2f} s / {meter.cpu_pg:.2f} s / {waits:.2f} s"

    def per_due(meter):
        return f"{meter.seconds / due * 1000:.1f} ms / {meter.queries / due:.1f}"

    def search(measure):
        seconds, queries, found = measure
        return f"{seconds * 1000:.0f} ms / {queries} ({found} found)"

    def both(render, key):
        return [render(plain[key]), render(queue[key])]

    na = "—"
    lines = [
        f"| B7: daily cron, {rows:,} subscriptions, {due:,} due | without the bridge "
        "| with the bridge |",
        "|---|---:|---:|",
        "| scheduler calls (`ir.cron._run_job` batches) | "
        f"{plain['calls']} | {queue['calls']} |",
        f"| jobs enqueued / run | {na} | {queue['jobs']} / {queue['jobs_run']} |",
        f"| enqueue: wall / queries | {na} | {wall(queue['enqueue'])} / "
        f"{queue['enqueue'].queries:,} |",
        f"| jobs until the queue is empty: wall / queries | {na} | "
        f"{wall(queue['drain'])} / {queue['drain'].queries:,} |",
        "| **total wall time** | " + " | ".join(both(wall, "run")) + " |",
        "| **total queries** | "
        + " | ".join([f"{plain['run'].queries:,}", f"{queue['run'].queries:,}"])
        + " |",
        "| per due contract: time / queries | "
        + " | ".join(both(per_due, "run"))
        + " |",
        *(
            f"| step: {label} (every due contract): time / queries | "
            + " | ".join(
                f"{r['steps'][label].seconds:.2f} s / {r['steps'][label].queries:,}"
                for r in (plain, queue)
            )
            + " |"
            for *_rest, label in STEPS
        ),
        "| e-mails of the run: left to the mail queue / sent at once | "
        + " | ".join("{} / {}".format(*r["emails"]) for r in (plain, queue))
        + " |",
        "| CPU: Odoo / PostgreSQL / rest (waits) | "
        + " | ".join(both(cpu, "run"))
        + " |",
        f"| scan of the {rows - due:,} not due: the cron again, nothing due: "
        "wall / queries | "
        + " | ".join(
            f"{wall(r['idle'])} / {r['idle'].queries:,}" for r in (plain, queue)
        )
        + " |",
        "| due search alone, before the run: median / queries | "
        + " | ".join(both(search, "search_due"))
        + " |",
        "| due search alone, after the run (nothing due) | "
        + " | ".join(both(search, "search_none"))
        + " |",
        "| fixture (not measured) | "
        + " | ".join(f"{r['fixture_seconds']:.0f} s" for r in (plain, queue))
        + " |",
    ]
    notes = [
        "",
        f"Due: {due // 3} renewals, {due - 2 * (due // 3)} reminders, {due // 3} "
        "scheduled downgrades (each a posted credit note); the due contracts are "
        "invoiced ahead, so subscription_oca's invoicing step bills nothing. "
        "Without the bridge: Odoo's scheduler code (`_run_job`, one batch of 100 "
        "per call, a commit each). With it: the scheduler call enqueues, then the "
        "jobs run in this process one after the other as queue_job's controller "
        "runs them (capacity 1, no HTTP runner). Queries: every cursor. CPU: this "
        "process (`process_time`) and this database's PostgreSQL backends "
        "(`/proc/<pid>/stat`). Load average (1, 5, 15 min) at the start: "
        f"{loads[0]}, at the end: {loads[1]}; {os.cpu_count()} cores.",
        "",
        "E-mails: the scheduler runs the cron in a server action, whose context "
        "(mail's `ir.actions.server`) sets `mail_notify_force_send=False`, so the "
        "reminders' assignment e-mails wait for the mail queue's cron; the bridge's "
        "jobs turn it off too, so that no job waits for an SMTP server (an e-mail "
        "sent at once would be counted in the right-hand figure).",
    ]
    return "\n".join(lines + notes) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True, help="without the bridge")
    parser.add_argument("--queue-database", required=True, help="with the bridge")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--output", help="write the markdown table there too")
    args = parser.parse_args(argv)
    if args.due < 3 or args.rows < args.due + 1000:
        parser.error("--due must be at least 3 and --rows at least --due + 1000")
    config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    loads = [", ".join(f"{load:.2f}" for load in os.getloadavg())]
    plain = bench_database(args.database, args.rows, args.due, bridge=False)
    queue = bench_database(args.queue_database, args.rows, args.due, bridge=True)
    loads.append(", ".join(f"{load:.2f}" for load in os.getloadavg()))
    text = b7_table(plain, queue, args.rows, args.due, loads)
    print(text)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)


if __name__ == "__main__":
    main()
