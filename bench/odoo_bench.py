"""B1-B3, B5: the amendment path against Odoo's own credit-note paths, the notice
search and the revenue-movements graph, in a real database.

Run by ``make bench`` (scripts/bench.sh), which creates the database and installs
the addon. Standalone:

    .venv/bin/python bench/odoo_bench.py --config .cache/odoo.conf \
        --database aircall_bench [--n 1000] [--profile .cache/bench/apply.html]

The fixtures of B1 are committed once; every measured scenario then runs in its
own transaction on the same records and is rolled back, so each path starts from
the same state. B3 inserts its 100,000 rows inside a transaction that is rolled
back too, and so do B5's 100,000 revenue movements. Times are wall-clock (``time.perf_counter``), flushes included; queries
are counted with the cursor's ``sql_log_count``.
"""

import argparse
import contextlib
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

from dateutil.relativedelta import relativedelta
from tables import b1_table, b2_table, b3_table, b5_table

import odoo
from odoo import Command, api, fields
from odoo.modules.registry import Registry
from odoo.tools import SQL, config

from odoo.addons.account.models.account_move import AccountMove as CoreAccountMove

try:  # only needed with --profile
    from pyinstrument import Profiler
except ImportError:
    Profiler = None


#: B1's downgrade: users 10 → 6, numbers 4 → 2, the add-on removed
B1_LINES = (
    ("Users", 25.0, 10, 6),
    ("Phone numbers", 6.0, 4, 2),
    ("Analytics", 15.0, 1, 0),
)
B2_SIZES = (1, 10, 50)
B3_ROWS = 100_000
B3_RUNS = 50
B5_ROWS = 100_000
B5_RUNS = 50
WARMUP = 10
B1_PATHS = ("ours", "floor", "floor_core", "wizard_batch", "wizard_each")


@dataclass
class Measure:
    seconds: float = 0.0
    queries: int = 0


@contextlib.contextmanager
def measured(env):
    """Wall time and SQL queries of the block. Pending work is flushed on both
    ends, precommit hooks (e.g. tracking messages) included, as a commit would."""
    env.cr.flush()
    result = Measure()
    queries, start = env.cr.sql_log_count, time.perf_counter()
    yield result
    env.cr.flush()
    result.seconds = time.perf_counter() - start
    result.queries = env.cr.sql_log_count - queries


@contextlib.contextmanager
def profiled(path):
    """pyinstrument around the block when ``path`` is set (HTML + text next to it)."""
    if not path:
        yield
        return
    if Profiler is None:
        raise SystemExit(
            "--profile needs pyinstrument: .venv/bin/pip install pyinstrument"
        )
    profiler = Profiler(interval=0.005)
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(profiler.output_html())
        Path(path).with_suffix(".txt").write_text(
            profiler.output_text(unicode=True, show_all=False)
        )
        log(f"profile written to {path} (and .txt)")


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, registry, n, profile=None):
        self.registry = registry
        self.n = n
        self.profile = profile
        self.today = None
        self.ids = {}

    @contextlib.contextmanager
    def env(self, commit=False):
        """An environment of the admin user (access rules apply), rolled back
        unless ``commit``."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, {})
            admin = env.ref("base.user_admin")
            env = api.Environment(cr, admin.id, {})
            try:
                yield env
                if commit:
                    cr.commit()
            finally:
                if not commit:
                    cr.rollback()

    # -- fixtures ------------------------------------------------------------

    def build_catalog(self, env):
        """Tax, account, pricelist, products, a monthly 12-month template."""
        company = env.company
        company.sudo().amendment_auto_post = True
        tax = env["account.tax"].create(
            {"name": "Bench VAT 20 %", "amount": 20.0, "type_tax_use": "sale"}
        )
        account = env["account.account"].create(
            {"name": "Bench revenue", "code": "706900", "account_type": "income"}
        )
        pricelist = env["product.pricelist"].create(
            {"name": "Bench", "currency_id": company.currency_id.id}
        )
        partners = env["res.partner"].create(
            [
                {
                    "name": f"Bench customer {i}",
                    "property_product_pricelist": pricelist.id,
                }
                for i in range(100)
            ]
        )
        names = [name for name, *_rest in B1_LINES] + [
            f"Option {i}" for i in range(max(B2_SIZES))
        ]
        prices = [price for _name, price, *_rest in B1_LINES] + [
            5.0 + i for i in range(max(B2_SIZES))
        ]
        products = env["product.product"].create(
            [
                {
                    "name": name,
                    "type": "service",
                    "list_price": price,
                    "taxes_id": [Command.set(tax.ids)],
                    "property_account_income_id": account.id,
                }
                for name, price in zip(names, prices, strict=True)
            ]
        )
        template = env["sale.subscription.template"].create(
            {
                "name": "Bench monthly",
                "code": "BENCH",
                "recurring_interval": 1,
                "recurring_rule_type": "months",
                "recurring_rule_boundary": "unlimited",
                "invoicing_mode": "draft",
                "term_interval": 12,
                "term_unit": "month",
            }
        )
        return partners, products, template, pricelist

    def create_invoiced_subscriptions(self, env, catalog, line_specs):
        """Start subscriptions and bill their current period through
        subscription_oca's ``generate_invoice`` (stamps the billed period), then
        post the invoices. ``line_specs``: per subscription, [(product, qty)]."""
        partners, _products, template, pricelist = catalog
        period_start = self.today - timedelta(days=5)
        subscriptions = env["sale.subscription"].create(
            [
                {
                    "partner_id": partners[i % len(partners)].id,
                    "pricelist_id": pricelist.id,
                    "template_id": template.id,
                    "date_start": period_start - relativedelta(months=6),
                    "recurring_next_date": period_start,
                    "sale_subscription_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": quantity,
                                "price_unit": product.list_price,
                            }
                        )
                        for product, quantity in lines
                    ],
                }
                for i, lines in enumerate(line_specs)
            ]
        )
        subscriptions.action_start_subscription()
        subscriptions.recurring_next_date = period_start
        for subscription in subscriptions:
            subscription.generate_invoice()
        invoices = subscriptions.invoice_ids
        invoices.action_post()
        return subscriptions, invoices

    def setup(self):
        with self.env(commit=True) as env:
            self.today = fields.Date.context_today(env.user)
            start = time.perf_counter()
            env_quiet = env(context=dict(env.context, tracking_disable=True))
            catalog = self.build_catalog(env_quiet)
            products = catalog[1]
            b1_products = products[: len(B1_LINES)]
            specs = [
                [
                    (product, old)
                    for product, (*_r, old, _new) in zip(
                        b1_products, B1_LINES, strict=True
                    )
                ]
                for _i in range(self.n + WARMUP)
            ]
            subscriptions, invoices = self.create_invoiced_subscriptions(
                env_quiet, catalog, specs
            )
            options = products[len(B1_LINES) :]
            b2_specs = [
                [(product, 10) for product in options[:size]] for size in (3, *B2_SIZES)
            ]
            b2_subscriptions, _b2_invoices = self.create_invoiced_subscriptions(
                env_quiet, catalog, b2_specs
            )
            self.ids = {
                "warmup": subscriptions[:WARMUP].ids,
                "b1": subscriptions[WARMUP:].ids,
                "b2": b2_subscriptions.ids,
                "products": b1_products.ids,
            }
            log(
                f"fixtures: {len(subscriptions) + len(b2_subscriptions)} subscriptions "
                f"and {len(invoices)} posted invoices in {time.perf_counter() - start:.0f} s"
            )
            return time.perf_counter() - start

    # -- the four paths of B1 --------------------------------------------------

    def amend(self, env, subscriptions, quantities):
        """One draft downgrade amendment per subscription (``quantities``: product
        id → new quantity), effective today."""
        return env["sale.subscription.amendment"].create(
            [
                {
                    "subscription_id": subscription.id,
                    "line_ids": [
                        Command.create(
                            {
                                "subscription_line_id": line.id,
                                "new_quantity": quantities[line.product_id.id],
                            }
                        )
                        for line in subscription.sale_subscription_line_ids
                        if line.product_id.id in quantities
                    ],
                }
                for subscription in subscriptions
            ]
        )

    def b1_quantities(self, env):
        products = env["product.product"].browse(self.ids["products"])
        return {
            product.id: new
            for product, (*_r, _old, new) in zip(products, B1_LINES, strict=True)
        }

    def path_ours(self, env, subscriptions, profile=None):
        """Create the amendments, then apply them in one batch (posted)."""
        with measured(env) as create:
            amendments = self.amend(env, subscriptions, self.b1_quantities(env))
        with profiled(profile and f"{profile}/ours.html"), measured(env) as apply:
            amendments.action_apply()
        moves = amendments.move_ids
        assert set(amendments.mapped("state")) == {"done"}, "amendments not applied"
        return create, apply, moves

    def path_wizard_each(self, env, invoices):
        """Odoo's reversal wizard, one call per invoice, then post the credit note.

        Each call is its own request, as in the UI: its pending work is flushed
        (as a commit would) and the record cache cleared before the next one.
        """
        moves = env["account.move"]
        with measured(env) as result:
            for invoice in invoices:
                env.cr.flush()
                env.invalidate_all()
                wizard = (
                    env["account.move.reversal"]
                    .with_context(active_model="account.move", active_ids=invoice.ids)
                    .create(
                        {
                            "reason": "downgrade",
                            "journal_id": invoice.journal_id.id,
                            "date": self.today,
                        }
                    )
                )
                wizard.refund_moves()
                wizard.new_move_ids.action_post()
                moves += wizard.new_move_ids
        return result, moves

    def path_wizard_batch(self, env, invoices):
        """Odoo's reversal wizard on all invoices in one call, then post."""
        with measured(env) as result:
            wizard = (
                env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=invoices.ids)
                .create(
                    {
                        "reason": "downgrade",
                        "journal_id": invoices[:1].journal_id.id,
                        "date": self.today,
                    }
                )
            )
            wizard.refund_moves()
            wizard.new_move_ids.action_post()
        return result, wizard.new_move_ids

    def path_floor(self, env, invoices):
        """The ORM floor: one ``create`` of all credit notes, one ``action_post``.
        Their values (the same lines as ours) are prepared outside the clock."""
        removed = {
            product.id: old - new
            for product, (_name, _price, old, new) in zip(
                env["product.product"].browse(self.ids["products"]),
                B1_LINES,
                strict=True,
            )
        }
        vals_list = [
            {
                "move_type": "out_refund",
                "partner_id": invoice.partner_id.id,
                "currency_id": invoice.currency_id.id,
                "journal_id": invoice.journal_id.id,
                "invoice_date": self.today,
                "reversed_entry_id": invoice.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": line.product_id.id,
                            "name": line.name,
                            "quantity": removed[line.product_id.id],
                            "price_unit": line.price_unit,
                            "tax_ids": [Command.set(line.tax_ids.ids)],
                            "account_id": line.account_id.id,
                        }
                    )
                    for line in invoice.invoice_line_ids
                ],
            }
            for invoice in invoices
        ]
        with measured(env) as result:
            moves = env["account.move"].create(vals_list)
            moves.action_post()
        return result, moves

    def path_floor_core(self, env, invoices):
        """The floor as it was before this addon matched each credit note with
        its own invoice: core's ``_reconcile_reversed_moves`` (pairs by
        position), patched in for this path only."""
        core = CoreAccountMove._reconcile_reversed_moves
        with patch.object(type(env["account.move"]), "_reconcile_reversed_moves", core):
            return self.path_floor(env, invoices)

    def warm_up(self):
        """Each path once on a few other subscriptions, rolled back: module
        imports, ormcaches, and PostgreSQL's plans are warm for all of them."""
        with self.env() as env:
            subscriptions = env["sale.subscription"].browse(self.ids["warmup"])
            self.path_ours(env, subscriptions)
        for path in (
            self.path_wizard_each,
            self.path_wizard_batch,
            self.path_floor,
            self.path_floor_core,
        ):
            with self.env() as env:
                subscriptions = env["sale.subscription"].browse(self.ids["warmup"])
                path(env, subscriptions.invoice_ids)

    def b1(self, paths=B1_PATHS):
        self.warm_up()
        rows = {}
        if "ours" in paths:
            with self.env() as env:
                subscriptions = env["sale.subscription"].browse(self.ids["b1"])
                create, apply, moves = self.path_ours(env, subscriptions, self.profile)
                check_credit_notes(moves, self.n)
                rows["ours"] = apply
                rows["ours_create"] = create
                log(f"ours: apply {apply.seconds:.1f} s, create {create.seconds:.1f} s")
        for key, path in (
            ("floor", self.path_floor),
            ("floor_core", self.path_floor_core),
            ("wizard_batch", self.path_wizard_batch),
            ("wizard_each", self.path_wizard_each),
        ):
            if key not in paths:
                continue
            with self.env() as env:
                invoices = env["sale.subscription"].browse(self.ids["b1"]).invoice_ids
                with profiled(self.profile and f"{self.profile}/{key}.html"):
                    rows[key], moves = path(env, invoices)
                check_credit_notes(moves, self.n)
                log(f"{key}: {rows[key].seconds:.1f} s")
        return rows

    # -- B2 ------------------------------------------------------------------

    def b2(self):
        """Queries of one amendment reducing every line of a subscription of 1,
        10 and 50 lines (after one 3-line warm-up amendment)."""
        results = {}
        with self.env() as env:
            warmup, *subscriptions = env["sale.subscription"].browse(self.ids["b2"])
            self.amend(
                env,
                warmup,
                {line.product_id.id: 5 for line in warmup.sale_subscription_line_ids},
            ).action_apply()
            for size, subscription in zip(B2_SIZES, subscriptions, strict=True):
                quantities = {
                    line.product_id.id: 5
                    for line in subscription.sale_subscription_line_ids
                }
                with measured(env) as create:
                    amendment = self.amend(env, subscription, quantities)
                with measured(env) as apply:
                    amendment.action_apply()
                credit = amendment.move_ids
                units = credit.invoice_line_ids.filtered(
                    lambda line: not line.subscription_rounding
                )
                assert len(credit) == 1 and len(units) == size
                results[size] = (create, apply)
        return results, self.b2_computes()

    def b2_computes(self):
        """Queries to read the addon's computed fields on 10 records and on all
        B1 records (the same count means no query per record)."""
        fields_by_model = {
            "sale.subscription": [
                "renewal_date",
                "notice_deadline",
                "inside_notice_period",
                "amendment_count",
                "user_is_amendment_admin",
            ],
            "sale.subscription.amendment": [
                "amendment_type",
                "credit_note_count",
                "invoice_count",
                "renewal_date",
                "notice_deadline",
            ],
            "account.move": ["subscription_period_end"],
        }
        counts = {}
        with self.env() as env:
            subscriptions = env["sale.subscription"].browse(self.ids["b1"])
            records = {
                "sale.subscription": subscriptions,
                "sale.subscription.amendment": self.amend(
                    env, subscriptions, self.b1_quantities(env)
                ),
                "account.move": subscriptions.invoice_ids,
            }
            for model, names in fields_by_model.items():
                for size in (10, len(records[model])):
                    env.invalidate_all()
                    with measured(env) as read:
                        records[model][:size].read(names)
                    counts[model, size] = read.queries
        return fields_by_model, counts

    # -- B3 ------------------------------------------------------------------

    def b3(self):
        """Contracts whose notice deadline falls in the next 30 days, among
        100,000 subscriptions inserted by SQL (rolled back)."""
        with self.env() as env:
            start = time.perf_counter()
            insert_subscriptions(env, B3_ROWS, self.today)
            insert_seconds = time.perf_counter() - start
            check_inserted(env)
            env.cr.execute("SELECT count(*) FROM sale_subscription")
            total = env.cr.fetchone()[0]
            domain = [
                ("notice_deadline", ">=", self.today),
                ("notice_deadline", "<=", self.today + timedelta(days=30)),
            ]
            subscriptions = env["sale.subscription"]
            searches = {
                "search (all ids)": lambda: subscriptions.search(domain),
                "search, first page (limit 80)": lambda: subscriptions.search(
                    domain, limit=80
                ),
                "search_count": lambda: subscriptions.search_count(domain),
            }
            timings, found = {}, len(subscriptions.search(domain))
            for label, run in searches.items():
                samples = []
                for _i in range(B3_RUNS + 3):
                    env.invalidate_all()
                    begin = time.perf_counter()
                    run()
                    samples.append(time.perf_counter() - begin)
                timings[label] = samples[3:]  # the first ones warm the caches
            query = subscriptions._search(domain, order=subscriptions._order)
            env.cr.execute(SQL("EXPLAIN %s", query.select()))
            plan = [row[0] for row in env.cr.fetchall()]
        return {
            "insert_seconds": insert_seconds,
            "total": total,
            "found": found,
            "timings": timings,
            "plan": plan,
        }

    # -- B5 ------------------------------------------------------------------

    def b5(self):
        """The revenue-movements graph (``web_read_group``, month × kind, as the
        graph view calls it) over 100,000 movements inserted by SQL (rolled back)."""
        with self.env() as env:
            start = time.perf_counter()
            insert_movements(env, B5_ROWS, self.today, self.ids["b1"])
            insert_seconds = time.perf_counter() - start
            movements = env["sale.subscription.mrr.movement"].with_context(
                fill_temporal=True
            )
            total = movements.search_count([])
            last_12_months = [
                ("date", ">=", (self.today - relativedelta(months=11)).replace(day=1)),
                ("date", "<", (self.today + relativedelta(months=1)).replace(day=1)),
            ]
            calls = {
                "all movements": [],
                "last 12 months (the report's default filter)": last_12_months,
            }

            def graph(domain):
                return movements.web_read_group(
                    domain, ["delta_company:sum"], ["date:month", "kind"], lazy=False
                )

            timings, groups = {}, {}
            for label, domain in calls.items():
                samples = []
                for _i in range(B5_RUNS + 3):
                    env.invalidate_all()
                    begin = time.perf_counter()
                    result = graph(domain)
                    samples.append(time.perf_counter() - begin)
                timings[label] = samples[3:]  # the first ones warm the caches
                groups[label] = result["length"]
            queries = []
            real_execute = env.cr.execute

            def capture(query, params=None, log_exceptions=True):
                if "sale_subscription_mrr_movement" in str(query):
                    queries.append((query, params))
                return real_execute(query, params, log_exceptions)

            env.invalidate_all()
            with patch.object(env.cr, "execute", capture):
                graph([])
            query, params = [q for q in queries if "GROUP BY" in str(q[0])][0]
            if isinstance(query, SQL):  # what _read_group sends
                real_execute(SQL("EXPLAIN (ANALYZE, BUFFERS) %s", query))
            else:
                real_execute(f"EXPLAIN (ANALYZE, BUFFERS) {query}", params)
            plan = [row[0] for row in env.cr.fetchall()]
        return {
            "insert_seconds": insert_seconds,
            "total": total,
            "groups": groups,
            "timings": timings,
            "plan": plan,
        }


def insert_subscriptions(env, rows, today):
    """``rows`` running subscriptions in one INSERT … SELECT generate_series, with
    the values the computes would store: a 12-month term started within the last
    year, renewal date one year after the start, notice deadline 30 days before."""
    admin = env.user
    company = env.company
    template = env["sale.subscription.template"].search(
        [("code", "=", "BENCH")], limit=1
    )
    pricelist = env["product.pricelist"].search([("name", "=", "Bench")], limit=1)
    partners = env["res.partner"].search([("name", "like", "Bench customer")])
    stage = env["sale.subscription.stage"].search(
        [("type", "=", "in_progress")], limit=1
    )
    env.flush_all()
    env.cr.execute(
        """
        INSERT INTO sale_subscription (
            company_id, partner_id, template_id, pricelist_id, currency_id, stage_id,
            user_id, name, code, active, in_progress, recurring_rule_boundary,
            auto_renew, to_renew, date_start, recurring_next_date, term_interval,
            term_unit, notice_days, renewal_date, notice_deadline, recurring_total,
            amount_tax, amount_total, create_uid, write_uid, create_date, write_date)
        SELECT %(company)s, (%(partners)s)[1 + i %% cardinality(%(partners)s)],
            %(template)s, %(pricelist)s, %(currency)s, %(stage)s, %(user)s,
            'BENCH/B3-' || i, 'B3-' || i, true, true, true, true, false,
            s.date_start, s.date_start + interval '1 month' * (1 + (%(today)s::date - s.date_start) / 31),
            12, 'month', 30, s.date_start + interval '12 months',
            (s.date_start + interval '12 months')::date - 30, 0, 0, 0,
            %(user)s, %(user)s, now() at time zone 'UTC', now() at time zone 'UTC'
        FROM generate_series(1, %(rows)s) AS i,
            LATERAL (SELECT %(today)s::date - (i * 7919) %% 365 AS date_start) AS s
        """,
        {
            "company": company.id,
            "partners": partners.ids,
            "template": template.id,
            "pricelist": pricelist.id,
            "currency": company.currency_id.id,
            "stage": stage.id,
            "user": admin.id,
            "today": today,
            "rows": rows,
        },
    )
    env.cr.execute("ANALYZE sale_subscription")
    env.invalidate_all()


def check_inserted(env, sample=500):
    """The inserted rows hold what the computes store: recompute a sample."""
    subscriptions = env["sale.subscription"].search(
        [("code", "like", "B3-")], limit=sample
    )
    stored = [
        (s.term_interval, s.renewal_date, s.notice_deadline) for s in subscriptions
    ]
    # the computes write what they find: the addon's own bookkeeping (imported
    # here: the addons path is known once the configuration is read)
    from odoo.addons.aircall_subscription_amendments.tools import (  # noqa: PLC0415
        DERIVED_WRITE,
        internal,
    )

    subscriptions = internal(subscriptions, DERIVED_WRITE)
    subscriptions._compute_term()
    subscriptions._compute_renewal_dates()  # renewal date and notice deadline
    computed = [
        (s.term_interval, s.renewal_date, s.notice_deadline) for s in subscriptions
    ]
    assert stored == computed, "the inserted rows differ from what the computes store"
    env.invalidate_all(flush=False)


def insert_movements(env, rows, today, subscription_ids):
    """``rows`` revenue movements in one INSERT … SELECT generate_series, spread
    over the last two years, the five kinds in turn (gains positive, losses
    negative), over the given subscriptions with their customer, salesperson,
    company and template, then ANALYZE."""
    env.flush_all()
    env.cr.execute(
        """
        WITH subs AS (
            SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, partner_id, user_id,
                   company_id, template_id, currency_id
              FROM sale_subscription
             WHERE id = ANY(%(subscriptions)s)
        ), total AS (SELECT count(*) AS c FROM subs)
        INSERT INTO sale_subscription_mrr_movement (
            date, kind, subscription_id, partner_id, user_id, company_id,
            template_id, currency_id, company_currency_id, mrr_before, mrr_after,
            delta, delta_company, create_uid, write_uid, create_date, write_date)
        SELECT %(today)s::date - (i * 7919) %% 730,
               (ARRAY['new', 'expansion', 'reactivation', 'contraction', 'churn'])[1 + i %% 5],
               subs.id, subs.partner_id, subs.user_id, subs.company_id,
               subs.template_id, subs.currency_id, %(currency)s,
               a.before, a.before + a.delta, a.delta, a.delta,
               %(user)s, %(user)s, now() at time zone 'UTC', now() at time zone 'UTC'
          FROM generate_series(1, %(rows)s) AS i
         CROSS JOIN total
          JOIN subs ON subs.n = i %% total.c
         CROSS JOIN LATERAL (
               SELECT CASE WHEN i %% 5 < 3 THEN 0 ELSE 500 END::numeric AS before,
                      (CASE WHEN i %% 5 < 3 THEN 1 ELSE -1 END)
                      * (1 + (i * 31) %% 997) * 0.25 AS delta
         ) AS a
        """,
        {
            "subscriptions": list(subscription_ids),
            "today": today,
            "rows": rows,
            "currency": env.company.currency_id.id,
            "user": env.user.id,
        },
    )
    env.cr.execute("ANALYZE sale_subscription_mrr_movement")
    env.invalidate_all()


def check_credit_notes(moves, n):
    """Every path must produce the same kind of result: n posted credit notes,
    each linked to the invoice it corrects."""
    assert len(moves) == n, f"{len(moves)} credit notes, expected {n}"
    assert set(moves.mapped("move_type")) == {"out_refund"}
    assert set(moves.mapped("state")) == {"posted"}
    assert all(moves.mapped("reversed_entry_id"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--output", help="write the markdown tables there too")
    parser.add_argument(
        "--profile", help="folder for pyinstrument profiles of B1's paths (slower)"
    )
    parser.add_argument(
        "--only", default="b1,b2,b3,b5", help="comma-separated: b1,b2,b3,b5"
    )
    parser.add_argument(
        "--paths", default=",".join(B1_PATHS), help="B1's paths, comma-separated"
    )
    args = parser.parse_args(argv)
    config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    registry = Registry(args.database)
    bench = Bench(registry, args.n, args.profile)
    only = set(args.only.split(","))
    sections = []
    setup_seconds = bench.setup()
    if "b1" in only:
        rows = bench.b1(args.paths.split(","))
        sections.append(b1_table(rows, args.n, setup_seconds))
    if "b2" in only:
        sections.append(b2_table(bench.b2()))
    if "b3" in only:
        sections.append(b3_table(bench.b3()))
    if "b5" in only:
        sections.append(b5_table(bench.b5()))
    text = "\n".join(sections)
    print(text)
    if args.output:
        Path(args.output).write_text(text)


if __name__ == "__main__":
    main()
