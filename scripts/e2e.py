"""End to end: a bulk amendment processed by a real queue_job runner.

Run by ``make e2e`` (scripts/e2e.sh, 500 contracts; ``make bench`` runs it) and by
``make test``'s queue tier (50 contracts). On a database where the addon, queue_job
and the bridge are installed and nothing else uses it, this script:

1. commits N monthly contracts (users and an add-on), their current month billed
   and posted; one in ten renews within its notice period;
2. starts ``odoo --workers=2 --max-cron-threads=0 --load=base,web,queue_job``
   with a channel capacity of 2 (``[queue_job] channels``), on free ports;
3. logs in over XML-RPC as an account manager, creates a bulk amendment that
   removes the add-on from every contract, confirms it, and confirms it again
   (the second click must be refused);
4. waits until every contract has a result, then checks what the runner's jobs
   did: the contracts on time applied (the add-on removed, one draft credit note
   each, reversing the month's invoice), the late ones refused by the notice
   rule and left as they were, nothing failed, one job per chunk of 100, all
   done by the server's workers and never more at once than the capacity.

It exits 1 when a check fails, and prints the server's log then. ``bench/
queue_bench.py`` (B6) imports its pieces.

    .venv/bin/python scripts/e2e.py --config .cache/odoo.conf --database DB [--n 500]
"""

import argparse
import math
import os
import signal
import socket
import subprocess
import sys
import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path

from dateutil.relativedelta import relativedelta

import odoo
from odoo import Command, api
from odoo.modules.registry import Registry
from odoo.tools import config

LOGIN = PASSWORD = "e2e_manager"
ADDON_PRODUCT = "E2E Analytics add-on"
#: one contract in LATE_EVERY renews within its notice period
LATE_EVERY = 10
CODE_PREFIX = "E2E-"
BULK_MODEL = "sale.subscription.amendment.bulk"


class CheckFailed(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def log(message):
    print(f"[e2e] {message}", file=sys.stderr, flush=True)


# -- fixtures ----------------------------------------------------------------------


def seed(registry, n, late_every=LATE_EVERY, today=None):
    """Commit ``n`` running monthly contracts billed for the current month (posted
    invoices), an account manager, and return what the checks need.

    Dates follow ``today`` (the machine's date): contracts start on the first of
    a month, so the billed period is the calendar month. The contracts on time
    renew in 6 months; the late ones (one in ``late_every``; none when 0) renew on
    the first of next month with 45 days' notice, a deadline always past."""
    today = today or date.today()
    month_start = today.replace(day=1)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
        company = env.company
        company.amendment_auto_post = False  # the documents stay in draft
        tax = env["account.tax"].create(
            {"name": "E2E VAT 20 %", "amount": 20.0, "type_tax_use": "sale"}
        )
        account = env["account.account"].create(
            {"name": "E2E revenue", "code": "706950", "account_type": "income"}
        )
        pricelist = env["product.pricelist"].create(
            {"name": "E2E", "currency_id": company.currency_id.id}
        )
        partners = env["res.partner"].create(
            [
                {
                    "name": f"E2E customer {i}",
                    "property_product_pricelist": pricelist.id,
                }
                for i in range(20)
            ]
        )
        users, addon = env["product.product"].create(
            [
                {
                    "name": name,
                    "type": "service",
                    "list_price": price,
                    "taxes_id": [Command.set(tax.ids)],
                    "property_account_income_id": account.id,
                }
                for name, price in (("E2E Users", 25.0), (ADDON_PRODUCT, 15.0))
            ]
        )
        template = env["sale.subscription.template"].create(
            {
                "name": "E2E monthly",
                "code": "E2E",
                "recurring_interval": 1,
                "recurring_rule_type": "months",
                "recurring_rule_boundary": "unlimited",
                "invoicing_mode": "draft",
                "term_interval": 12,
                "term_unit": "month",
            }
        )
        manager = env["res.users"].create(
            {
                "name": "E2E account manager",
                "login": LOGIN,
                "password": PASSWORD,
                "email": "e2e.manager@example.com",  # chatter messages need one
                "tz": "UTC",  # its "today" is the machine's
                "groups_id": [
                    Command.set(
                        [
                            env.ref("base.group_user").id,
                            env.ref("sales_team.group_sale_salesman_all_leads").id,
                            env.ref(
                                "aircall_subscription_amendments.group_amendment_user"
                            ).id,
                        ]
                    )
                ],
            }
        )
        late = [bool(late_every) and i % late_every == 0 for i in range(n)]
        subscriptions = env["sale.subscription"].create(
            [
                {
                    "partner_id": partners[i % len(partners)].id,
                    "pricelist_id": pricelist.id,
                    "template_id": template.id,
                    "code": f"{CODE_PREFIX}{i}",
                    "date_start": month_start
                    - relativedelta(months=11 if is_late else 6),
                    "recurring_next_date": month_start,
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
                for i, is_late in enumerate(late)
            ]
        )
        subscriptions.action_start_subscription()
        late_ones = subscriptions.browse(
            [s.id for s, is_late in zip(subscriptions, late, strict=True) if is_late]
        )
        late_ones.notice_days = 45
        subscriptions.recurring_next_date = month_start
        for subscription in subscriptions:
            subscription.generate_invoice()
        subscriptions.invoice_ids.action_post()
        check(
            len(subscriptions.invoice_ids) == n,
            f"{len(subscriptions.invoice_ids)} invoices for {n} contracts",
        )
        check(
            all(s.notice_deadline < today for s in late_ones)
            and all(s.notice_deadline > today for s in subscriptions - late_ones),
            "the fixture's notice deadlines are not where they should be",
        )
        cr.commit()
        return {
            "today": today,
            "subscription_ids": subscriptions.ids,
            "late_ids": late_ones.ids,
            "addon_id": addon.id,
            "manager_id": manager.id,
        }


# -- the server --------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def runner_config(base_config, capacity, path):
    """``base_config`` plus the job runner's channels: root and the bridge's
    channel ``root.amendments``, both of ``capacity``."""
    text = Path(base_config).read_text()
    text += f"\n[queue_job]\nchannels = root:{capacity},root.amendments:{capacity}\n"
    Path(path).write_text(text)
    return path


class Server:
    """``odoo --workers=2 --max-cron-threads=0 --load=base,web,queue_job`` on
    ``database`` alone, on free ports, its log in ``log_path``."""

    def __init__(self, config_path, database, log_path, workers=2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_path)
        env = {
            k: v for k, v in os.environ.items() if not k.startswith("ODOO_QUEUE_JOB")
        }
        odoo_bin = Path(sys.executable).with_name("odoo")
        command = [
            str(odoo_bin),
            "-c",
            str(config_path),
            "-d",
            database,
            f"--db-filter=^{database}$",
            f"--workers={workers}",
            "--max-cron-threads=0",
            "--load=base,web,queue_job",
            "--http-interface=127.0.0.1",
            f"--http-port={self.port}",
            f"--gevent-port={free_port()}",
            # a job of 100 contracts must not be killed as a slow request
            "--limit-time-real=900",
            "--limit-time-cpu=900",
            "--log-level=warn",
            "--log-handler=odoo.addons.queue_job.jobrunner.runner:INFO",
        ]
        self.log_file = self.log_path.open("w")
        self.process = subprocess.Popen(
            command,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )

    def wait_ready(self, timeout=180):
        common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            check(
                self.process.poll() is None,
                f"the server exited ({self.process.returncode})",
            )
            try:
                common.version()
            except OSError:
                time.sleep(0.5)
                continue
            # the job runner starts with the server: wait for its first word
            if "queue job runner ready" in self.log_path.read_text():
                return
            time.sleep(0.5)
        raise CheckFailed(f"the server or its job runner did not start in {timeout} s")

    def warm_up(self, database, requests=8):
        """Load the registry in every worker (a worker loads it at its first
        request on the database): concurrent calls, so that each worker takes
        some, as the first jobs would otherwise pay for it."""
        with ThreadPoolExecutor(requests) as pool:
            list(
                pool.map(
                    lambda _i: Client(self.url, database, LOGIN, PASSWORD)(
                        "sale.subscription", "search_count", []
                    ),
                    range(requests),
                )
            )

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_file.close()

    def tail(self, lines=60):
        return "\n".join(self.log_path.read_text().splitlines()[-lines:])


# -- CPU time, for B6 --------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid):
    """(ppid, own CPU s, reaped children's CPU s) of ``pid``."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return (
        int(fields[1]),
        (int(fields[11]) + int(fields[12])) / TICK,
        (int(fields[13]) + int(fields[14])) / TICK,
    )


def tree_cpu(root_pid):
    """CPU seconds of ``root_pid`` and of its descendants, living or reaped."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stats[int(entry.name)] = _stat(entry.name)
            except (OSError, ValueError):
                continue
    children = {}
    for pid, (ppid, _own, _reaped) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root_pid]
    while todo:
        pid = todo.pop()
        if pid in stats:
            _ppid, own, reaped = stats[pid]
            total += own + reaped
            todo.extend(children.get(pid, []))
    return total


def postmaster_pid(cr):
    """The PostgreSQL server's pid, when this machine's files can be read."""
    cr.execute("SELECT setting FROM pg_settings WHERE name = 'data_directory'")
    try:
        return int((Path(cr.fetchone()[0]) / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


# -- the bulk amendment over XML-RPC -----------------------------------------------


class Client:
    def __init__(self, url, database, login, password):
        common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")
        self.database, self.password = database, password
        self.uid = common.authenticate(database, login, password, {})
        check(self.uid, f"{login} cannot log in")
        self.models = xmlrpc.client.ServerProxy(
            f"{url}/xmlrpc/2/object", allow_none=True
        )

    def __call__(self, model, method, *args, **kwargs):
        return self.models.execute_kw(
            self.database, self.uid, self.password, model, method, list(args), kwargs
        )


def run_bulk(server, registry, fixture, timeout):
    """Create and confirm the bulk amendment as the account manager, confirm it
    again, wait until every contract has a result; returns (bulk id, seconds
    from the confirmation to the last result, the header's counts as the
    account manager reads them).

    The wait counts the results in SQL, from this process, twice a second: no
    request takes a worker from the jobs, nor adds to the server's CPU."""
    database = registry.db_name
    client = Client(server.url, database, LOGIN, PASSWORD)
    bulk_id = client(
        BULK_MODEL,
        "create",
        {
            # XML-RPC marshals plain tuples, not Command
            "subscription_ids": [(6, 0, fixture["subscription_ids"])],
            "effective_date": fixture["today"].isoformat(),
            "operation_ids": [
                (0, 0, {"action": "remove", "product_id": fixture["addon_id"]})
            ],
        },
    )
    start = time.perf_counter()
    client(BULK_MODEL, "action_confirm", [bulk_id])
    try:
        client(BULK_MODEL, "action_confirm", [bulk_id])
    except xmlrpc.client.Fault as fault:
        check(
            "confirmed already" in fault.faultString,
            f"the second confirmation failed otherwise: {fault.faultString[-300:]}",
        )
    else:
        raise CheckFailed("a second confirmation of the bulk amendment went through")
    n = len(fixture["subscription_ids"])
    deadline = time.monotonic() + timeout
    while True:
        with registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM sale_subscription_amendment_bulk_result "
                "WHERE bulk_id = %s",
                [bulk_id],
            )
            done = cr.fetchone()[0]
        if done >= n:
            break
        check(server.process.poll() is None, "the server exited")
        check(
            time.monotonic() < deadline,
            f"{n - done} contracts still pending after {timeout} s",
        )
        time.sleep(0.5)
    seconds = time.perf_counter() - start
    fields = ["pending_count", "applied_count", "refused_count", "failed_count"]
    fields += ["unchanged_count"]
    counts = client(BULK_MODEL, "read", [bulk_id], fields)[0]
    check(counts["pending_count"] == 0, f"the header says pending: {counts}")
    return bulk_id, seconds, counts


def max_overlap(intervals):
    """The most intervals open at one instant."""
    events = sorted(
        [(start, 1) for start, _end in intervals]
        + [(end, -1) for _start, end in intervals],
        key=lambda event: (event[0], event[1]),
    )
    current = best = 0
    for _when, step in events:
        current += step
        best = max(best, current)
    return best


def check_outcome(registry, bulk_id, fixture, capacity, counts):
    """What the jobs did, read back from the database; returns the jobs' figures."""
    from odoo.addons.aircall_subscription_amendments_queue.models import (  # noqa: PLC0415
        sale_subscription_amendment_bulk as bulk_module,
    )

    n, late = len(fixture["subscription_ids"]), set(fixture["late_ids"])
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        bulk = env[BULK_MODEL].browse(bulk_id)
        states = {r.subscription_id.id: r.state for r in bulk.result_ids}
        check(len(bulk.result_ids) == n, f"{len(bulk.result_ids)} results for {n}")
        check(
            {sid for sid, state in states.items() if state == "refused"} == late,
            "the refused contracts are not the late ones",
        )
        check(
            {sid for sid, state in states.items() if state == "applied"}
            == set(fixture["subscription_ids"]) - late,
            f"not every contract on time was applied: {counts}",
        )
        check(
            counts["applied_count"] == n - len(late)
            and counts["refused_count"] == len(late),
            f"the header's counts disagree with the results: {counts}",
        )
        for result in bulk.result_ids.filtered(lambda r: r.state == "refused"):
            check(result.message.startswith("Too late"), f"refused: {result.message}")
        applied = bulk.result_ids.filtered(lambda r: r.state == "applied")
        moves = applied.amendment_id.move_ids
        check(len(moves) == len(applied), f"{len(moves)} documents for {len(applied)}")
        check(
            set(moves.mapped("move_type")) == {"out_refund"}
            and set(moves.mapped("state")) == {"draft"}
            and all(moves.mapped("reversed_entry_id")),
            "the documents are not draft credit notes reversing the invoices",
        )
        addon_qty = {
            subscription.id: sum(
                subscription.sale_subscription_line_ids.filtered(
                    lambda line: line.product_id.id == fixture["addon_id"]
                ).mapped("product_uom_qty")
            )
            for subscription in env["sale.subscription"].browse(
                fixture["subscription_ids"]
            )
        }
        check(
            all(qty == (1 if sid in late else 0) for sid, qty in addon_qty.items()),
            "the add-on's quantities are not what the results say",
        )
        jobs = env["queue.job"].search(
            [("model_name", "=", BULK_MODEL)], order="date_started"
        )
        expected_jobs = math.ceil(n / bulk_module.CHUNK)
        check(
            len(jobs) == expected_jobs,
            f"{len(jobs)} jobs, expected one per chunk: {expected_jobs}",
        )
        check(set(jobs.mapped("state")) == {"done"}, f"jobs: {jobs.mapped('state')}")
        check(
            all(jobs.mapped("worker_pid"))
            and os.getpid() not in jobs.mapped("worker_pid"),
            "the jobs were not run by the server's workers",
        )
        overlap = max_overlap([(j.date_started, j.date_done) for j in jobs])
        check(overlap <= capacity, f"{overlap} jobs ran at once, capacity {capacity}")
        return {
            "jobs": len(jobs),
            "workers": len(set(jobs.mapped("worker_pid"))),
            "overlap": overlap,
            "job_seconds": sum(jobs.mapped("exec_time")),
        }


def run(config_path, database, n, capacity, cache, timeout=None, fixture=None):
    """Seed (unless ``fixture``), start the server, run the bulk amendment, check
    it; returns the figures. The server is stopped in every case."""
    registry = Registry(database)
    if fixture is None:
        started = time.perf_counter()
        fixture = seed(registry, n)
        log(
            f"{n} contracts billed and committed in {time.perf_counter() - started:.0f} s"
        )
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    server = Server(
        runner_config(config_path, capacity, cache / f"odoo-{database}.conf"),
        database,
        cache / f"server-{database}.log",
    )
    try:
        server.wait_ready()
        server.warm_up(database)
        log(f"server and job runner ready on {server.url} (capacity {capacity})")
        with registry.cursor() as cr:
            pg_pid = postmaster_pid(cr)
        cpu_before = tree_cpu(server.process.pid), pg_pid and tree_cpu(pg_pid)
        bulk_id, seconds, counts = run_bulk(
            server, registry, fixture, timeout or 120 + 2 * n
        )
        cpu = (
            tree_cpu(server.process.pid) - cpu_before[0],
            pg_pid and tree_cpu(pg_pid) - cpu_before[1],
        )
        figures = check_outcome(registry, bulk_id, fixture, capacity, counts)
    except BaseException:
        server.stop()
        log(f"the server's log ({server.log_path}), last lines:\n{server.tail()}")
        raise
    server.stop()
    figures.update(
        n=n,
        capacity=capacity,
        seconds=seconds,
        odoo_cpu=cpu[0],
        postgres_cpu=cpu[1],
        applied=counts["applied_count"],
        refused=counts["refused_count"],
        date=datetime.now().isoformat(timespec="seconds"),
    )
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--capacity", type=int, default=2)
    parser.add_argument("--cache", default=".cache/e2e")
    args = parser.parse_args(argv)
    config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    try:
        figures = run(args.config, args.database, args.n, args.capacity, args.cache)
    except CheckFailed as error:
        log(f"FAILED: {error}")
        return 1
    print(
        "e2e: {n} contracts amended in bulk by a real job runner (workers 2, channel "
        "capacity {capacity}): {applied} applied, {refused} refused by the notice rule, "
        "0 failed; {jobs} job(s) on {workers} worker(s), at most {overlap} at once; "
        "{seconds:.1f} s from the confirmation to the last result "
        "({rate:.1f} contracts/s)".format(rate=args.n / figures["seconds"], **figures)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
