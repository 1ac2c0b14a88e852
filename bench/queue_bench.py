"""B6: a bulk amendment of 2,000 contracts, in process against the job runner.

Run by ``make bench`` (scripts/bench.sh). Standalone, on a database where the addon
and queue_job are installed (the bridge installs itself) and nothing else runs:

    .venv/bin/python bench/queue_bench.py --config .cache/odoo.conf \
        --database aircall_bench_queue [--n 2000] [--output .cache/bench/queue.md]

The fixture of scripts/e2e.py (monthly contracts, their month billed and posted,
the bulk amendment removing an add-on: one draft credit note per contract; here
every contract is on time) is committed once, then copied into one database per
path (``createdb -T``), so each path starts from the same state:

- in process: the bulk amendment's job method ``_run_chunk`` on each chunk of 100
  contracts, one after another, in this process, each chunk in a transaction of its
  own (a new cursor and environment, committed), as each job runs;
- capacity 1 and capacity 2: the same bulk amendment confirmed over XML-RPC on a
  real server (``odoo --workers=2 --max-cron-threads=0 --load=base,web,queue_job``)
  whose job runner has a channel capacity of 1, then 2; timed from the
  confirmation to the last result, which this process waits for by counting the
  results in SQL twice a second (no request takes a worker from the jobs).

CPU: the Odoo side is this process (in process) or the server's process tree
(``/proc``: its workers and job runner, living or reaped); the PostgreSQL side is
the postmaster's tree (its backends, living or reaped), so other databases' work
on this server counts too: run it on a quiet machine.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import e2e

import odoo
from odoo import api, sql_db
from odoo.modules.registry import Registry
from odoo.tools import config

PATHS = ("in process", "jobs, capacity 1", "jobs, capacity 2")
#: the issue's targets: throughput against in process
TARGETS = {"jobs, capacity 1": 0.9, "jobs, capacity 2": 1.2}


def release(database):
    """Close this process's connections to ``database`` (``createdb -T`` needs
    none)."""
    Registry.delete(database)
    sql_db.close_db(database)


def copy_database(source, target):
    subprocess.run(["dropdb", "--if-exists", target], check=True)
    subprocess.run(["createdb", "-T", source, target], check=True)


def in_process(database, fixture, chunk):
    """``_run_chunk`` on each chunk, one after another, each in a transaction of
    its own (a new cursor and environment, committed), as each job runs; returns
    the figures."""
    registry = Registry(database)
    with registry.cursor() as cr:
        pg_pid = e2e.postmaster_pid(cr)
        env = api.Environment(cr, fixture["manager_id"], {})
        bulk_id = (
            env[e2e.BULK_MODEL]
            .create(
                {
                    "subscription_ids": [(6, 0, fixture["subscription_ids"])],
                    "effective_date": fixture["today"],
                    "operation_ids": [
                        (0, 0, {"action": "remove", "product_id": fixture["addon_id"]})
                    ],
                }
            )
            .id
        )
    ids = fixture["subscription_ids"]
    cpu, pg_cpu = time.process_time(), e2e.tree_cpu(pg_pid)
    start = time.perf_counter()
    for index in range(0, len(ids), chunk):
        with registry.cursor() as cr:  # committed on exit
            env = api.Environment(cr, fixture["manager_id"], {})
            env[e2e.BULK_MODEL].browse(bulk_id)._run_chunk(ids[index : index + chunk])
    seconds = time.perf_counter() - start
    figures = {
        "seconds": seconds,
        "odoo_cpu": time.process_time() - cpu,
        "postgres_cpu": e2e.tree_cpu(pg_pid) - pg_cpu,
        "jobs": 0,
        "overlap": 1,
    }
    with registry.cursor() as cr:
        bulk = api.Environment(cr, odoo.SUPERUSER_ID, {})[e2e.BULK_MODEL].browse(
            bulk_id
        )
        e2e.check(
            bulk.applied_count == len(ids),
            f"in process: {bulk.applied_count} applied of {len(ids)}",
        )
    release(database)
    return figures


def table(rows, n, seed_seconds, load):
    base = rows["in process"]["seconds"]
    lines = [
        f"## B6: a bulk amendment of {n:,} contracts, documents in draft",
        "",
        "Each contract loses an add-on mid-month: one draft credit note each. Same "
        "committed fixture for each path (a database copy); wall time from the first "
        "chunk (in process) or the confirmation (jobs) to the last result.",
        "",
        "| path | wall time | contracts/s | throughput vs in process (target) "
        "| Odoo CPU | PostgreSQL CPU | jobs | most jobs at once |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for path in PATHS:
        row = rows[path]
        ratio = base / row["seconds"]
        target = TARGETS.get(path)
        verdict = (
            f" (≥ {target}×: {'met' if ratio >= target else 'NOT met'})"
            if target
            else ""
        )
        lines.append(
            f"| {path} | {row['seconds']:.1f} s | {n / row['seconds']:.1f} "
            f"| {ratio:.3f}×{verdict} | {row['odoo_cpu']:.1f} s "
            f"| {row['postgres_cpu']:.1f} s | {row['jobs'] or '—'} "
            f"| {row['overlap']} |"
        )
    lines += [
        "",
        f"Fixture: {n:,} contracts billed and posted in {seed_seconds:.0f} s. "
        f"Load average (1, 5, 15 min) at the end: {load}. Odoo CPU: this process "
        "(in process) or the server's processes; PostgreSQL CPU: the postmaster and "
        "its backends (whole server).",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--cache", default=".cache/bench/b6")
    parser.add_argument("--output", help="write the markdown table there too")
    args = parser.parse_args(argv)
    config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    from odoo.addons.aircall_subscription_amendments_queue.models import (  # noqa: PLC0415
        sale_subscription_amendment_bulk as bulk_module,
    )

    start = time.perf_counter()
    fixture = e2e.seed(Registry(args.database), args.n, late_every=0)
    seed_seconds = time.perf_counter() - start
    e2e.log(f"B6: {args.n} contracts billed and committed in {seed_seconds:.0f} s")
    release(args.database)
    copies = {path: f"{args.database}_b6_{i}" for i, path in enumerate(PATHS)}
    rows = {}
    try:
        for path, database in copies.items():
            copy_database(args.database, database)
            e2e.log(f"B6: {path}")
            if path == "in process":
                rows[path] = in_process(database, fixture, bulk_module.CHUNK)
            else:
                capacity = int(path[-1])
                rows[path] = e2e.run(
                    args.config, database, args.n, capacity, args.cache, fixture=fixture
                )
                release(database)
            e2e.log(f"B6: {path}: {rows[path]['seconds']:.1f} s")
    finally:
        for database in copies.values():
            release(database)
            subprocess.run(["dropdb", "--if-exists", database], check=False)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    text = table(rows, args.n, seed_seconds, load)
    print(text)
    if args.output:
        Path(args.output).write_text(text)


if __name__ == "__main__":
    main()
