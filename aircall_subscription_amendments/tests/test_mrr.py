# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Revenue movements (MRR): what each change of a subscription does to it.

A known scenario to the cent (every kind of movement, a yearly contract, a USD
contract in a EUR company), five fixed sequences of changes checked against
the database (the deltas of a subscription add up to its MRR), who may see and
write movements, and the history of subscriptions made before them.
"""

import importlib.util
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user

from .common_security import ROLES
from .test_access_rpc import NO, RpcCase
from .test_terms import TermsCase

USER_GROUP = "aircall_subscription_amendments.group_amendment_user"
ADMIN_GROUP = "aircall_subscription_amendments.group_amendment_admin"
MIGRATION = (
    Path(__file__).resolve().parent.parent
    / "migrations"
    / "18.0.1.2.0"
    / "post-migration.py"
)
#: months per recurrence unit, written out again here (not read from rules)
PER_MONTH = {
    "days": Decimal(365) / 12,
    "weeks": Decimal(52) / 12,
    "months": Decimal(1),
    "years": Decimal(1) / 12,
}


#: an administrator's reason for a direct change that lowers a running contract
REASON = "negotiated with the customer"


class MrrCase(TermsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account_manager = new_test_user(
            cls.env, login="mrr_account_manager", groups=USER_GROUP
        )
        cls.Movement = cls.env["sale.subscription.mrr.movement"]

    @classmethod
    def _running(cls, start=date(2024, 1, 6), **values):
        """A started contract; its next invoice far ahead keeps invoicing out."""
        with freeze_time(start):
            subscription = cls._start(cls._create_subscription(start=start, **values))
            subscription.recurring_next_date = date(2099, 1, 1)
            subscription.flush_recordset()
        return subscription

    def _movements(self, subscription):
        return self.Movement.search(
            [("subscription_id", "=", subscription.id)], order="id"
        )

    def _rows(self, subscription, company=False):
        """(date, kind, MRR before, after, change[, in company currency])."""
        return [
            (
                movement.date,
                movement.kind,
                movement.mrr_before,
                movement.mrr_after,
                movement.delta,
                *((movement.delta_company,) if company else ()),
            )
            for movement in self._movements(subscription)
        ]

    def _cron(self, day):
        with freeze_time(day):
            self.env["sale.subscription"].cron_subscription_management()
            self.env.flush_all()

    def _apply(self, day, subscription, quantities, effective=None, **values):
        with freeze_time(day):
            amendment = self._amend(subscription, quantities, effective, **values)
            amendment.action_apply()
        return amendment

    @staticmethod
    def _expected_mrr(subscription):
        """The MRR of the subscription's lines now, from the definition, in
        Decimal (no rules.mrr): Σ quantity × price × (1 − discount) × months
        per unit ÷ interval, rounded once to the currency."""
        if not (subscription.active and subscription.in_progress):
            return Decimal(0)
        template = subscription.template_id
        total = sum(
            (
                Decimal(repr(line.product_uom_qty))
                * Decimal(repr(line.price_unit))
                * (1 - Decimal(repr(line.discount)) / 100)
                for line in subscription.sale_subscription_line_ids
            ),
            Decimal(0),
        )
        total = total * PER_MONTH[template.recurring_rule_type]
        total /= template.recurring_interval
        places = Decimal(1).scaleb(-subscription.currency_id.decimal_places)
        return total.quantize(places, rounding=ROUND_HALF_UP)

    def assertAddsUp(self, subscription):
        """The movements of ``subscription`` as the database holds them: a
        chain (each starts where the previous one of its currency ended), no
        zero row, and their changes add up to its MRR in its currency."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT currency_id, mrr_before::text, mrr_after::text, delta::text
              FROM sale_subscription_mrr_movement
             WHERE subscription_id = %s
          ORDER BY id
            """,
            [subscription.id],
        )
        # as text, exact (Odoo's cursor reads numeric columns as floats)
        rows = [
            (currency, *map(Decimal, amounts))
            for currency, *amounts in self.env.cr.fetchall()
        ]
        last, totals = {}, {}
        for currency, before, after, delta in rows:
            self.assertNotEqual(delta, 0, "a zero row")
            self.assertEqual(delta, after - before)
            self.assertEqual(before, last.get(currency, 0), "a broken chain")
            last[currency] = after
            totals[currency] = totals.get(currency, 0) + delta
        expected = self._expected_mrr(subscription)
        current = subscription.currency_id.id
        self.assertEqual(totals.get(current, 0), expected)
        self.assertFalse(
            [
                total
                for currency, total in totals.items()
                if currency != current and total
            ]
        )
        subscription.invalidate_recordset(["mrr"])
        self.assertEqual(subscription.mrr, float(expected))
        return rows


class TestKnownScenario(MrrCase):
    """Every movement and total, to the cent."""

    def test_a_monthly_contract_through_every_kind_of_movement(self):
        sub = self._running(
            lines=[(self.product_users, 10), (self.product_numbers, 3)],
            user_id=self.account_manager.id,
        )
        # an expansion, a contraction, both applied the day they take effect
        self._apply("2024-03-10", sub, {self.product_users: 14})
        self._apply("2024-05-02", sub, {self.product_users: 12})
        # a contraction scheduled for 6 July, applied by a cron two days late
        scheduled = self._apply(
            "2024-06-01", sub, {self.product_numbers: 1}, effective=date(2024, 7, 6)
        )
        self.assertEqual(scheduled.state, "scheduled")
        self.assertEqual(len(self._movements(sub)), 3)
        self._cron("2024-07-08")
        self.assertEqual(scheduled.state, "done")
        # not renewed: cancelled on time, closed by a cron two days after the renewal
        self._apply("2024-11-04", sub, {}, cancel_renewal=True)
        self.assertEqual(len(self._movements(sub)), 4)
        self._cron("2025-01-08")
        self.assertEqual(sub.stage_id.type, "post")
        # running again
        with freeze_time("2025-02-03"):
            sub.action_start_subscription()
        self.assertEqual(
            self._rows(sub),
            [
                (date(2024, 1, 6), "new", 0.0, 268.0, 268.0),
                (date(2024, 3, 10), "expansion", 268.0, 368.0, 100.0),
                (date(2024, 5, 2), "contraction", 368.0, 318.0, -50.0),
                (date(2024, 7, 6), "contraction", 318.0, 306.0, -12.0),
                (date(2025, 1, 6), "churn", 306.0, 0.0, -306.0),
                (date(2025, 2, 3), "reactivation", 0.0, 306.0, 306.0),
            ],
        )
        movements = self._movements(sub)
        self.assertEqual(
            movements[1:4].amendment_id, sub.amendment_ids.filtered("line_ids")
        )
        self.assertFalse((movements[0] | movements[4] | movements[5]).amendment_id)
        # the snapshots of the day
        self.assertEqual(movements.partner_id, self.partner)
        self.assertEqual(movements.user_id, self.account_manager)
        self.assertEqual(movements.template_id, self.template)
        self.assertEqual(movements.company_id, self.company)
        self.assertEqual(movements.mapped("delta"), movements.mapped("delta_company"))
        self.assertEqual(sub.mrr, 306.0)
        self.assertEqual(sub.mrr_movement_count, 6)
        self.assertAddsUp(sub)
        # the graph: the month × kind totals it reads
        groups = self.Movement.web_read_group(
            [("subscription_id", "=", sub.id)],
            ["delta_company:sum"],
            ["date:month", "kind"],
            lazy=False,
        )["groups"]
        totals = {
            (group["date:month"], group["kind"]): group["delta_company"]
            for group in groups
        }
        self.assertEqual(
            totals,
            {
                ("January 2024", "new"): 268.0,
                ("March 2024", "expansion"): 100.0,
                ("May 2024", "contraction"): -50.0,
                ("July 2024", "contraction"): -12.0,
                ("January 2025", "churn"): -306.0,
                ("February 2025", "reactivation"): 306.0,
            },
        )

    def test_a_yearly_contract_is_a_twelfth_a_month_rounded_once(self):
        seat = self._create_product("Annual seat", 250.0)
        yearly = self._create_template(
            "Yearly", recurring_rule_type="years", term_interval=12, term_unit="month"
        )
        sub = self._running(lines=[(seat, 12)], template_id=yearly.id)
        self._apply("2024-04-15", sub, {seat: 13})
        self._apply("2024-05-15", sub, {seat: 14})
        self.assertEqual(
            self._rows(sub),
            [
                (date(2024, 1, 6), "new", 0.0, 250.0, 250.0),
                # 3,250.00 / 12 = 270.8333…
                (date(2024, 4, 15), "expansion", 250.0, 270.83, 20.83),
                # 3,500.00 / 12 = 291.6666…: +20.84, not 20.83 again
                (date(2024, 5, 15), "expansion", 270.83, 291.67, 20.84),
            ],
        )
        self.assertAddsUp(sub)

    def test_a_usd_contract_in_a_eur_company(self):
        eur, usd = self.env.ref("base.EUR"), self.env.ref("base.USD")
        (eur | usd).active = True
        france = self.env["res.company"].create(
            {"name": "Aircall France", "currency_id": eur.id}
        )
        # USD per EUR, in the French company
        for day, rate in (("2024-01-01", 1.25), ("2024-06-01", 1.10)):
            self.env["res.currency.rate"].create(
                {
                    "currency_id": usd.id,
                    "name": day,
                    "rate": rate,
                    "company_id": france.id,
                }
            )
        pricelist = self.env["product.pricelist"].create(
            {"name": "USD", "currency_id": usd.id, "company_id": france.id}
        )
        sub = self._running(
            start=date(2024, 2, 1),
            company_id=france.id,
            pricelist_id=pricelist.id,
            lines=[(self.product_users, 10)],
        )
        self.assertEqual(sub.currency_id, usd)
        self._apply("2024-06-10", sub.with_company(france), {self.product_users: 12})
        self.assertEqual(
            self._rows(sub, company=True),
            [
                # 250.00 USD at 1.25 USD per EUR
                (date(2024, 2, 1), "new", 0.0, 250.0, 250.0, 200.0),
                # 50.00 USD at 1.10: 45.4545… EUR
                (date(2024, 6, 10), "expansion", 250.0, 300.0, 50.0, 45.45),
            ],
        )
        movements = self._movements(sub)
        self.assertEqual(movements.currency_id, usd)
        self.assertEqual(movements.company_currency_id, eur)
        self.assertEqual(movements.company_id, france)
        # the rate drifts: no movement, and the recorded figures stay
        self.env["res.currency.rate"].create(
            {
                "currency_id": usd.id,
                "name": "2024-09-01",
                "rate": 1.0,
                "company_id": france.id,
            }
        )
        with freeze_time("2024-09-02"):
            self.assertFalse(sub._record_mrr_movements())
        self.assertEqual(
            [row[-1] for row in self._rows(sub, company=True)], [200.0, 45.45]
        )
        self.assertAddsUp(sub)

    def test_the_report_never_adds_up_currencies(self):
        action = self.Movement.action_open_report()
        self.assertEqual(action["res_model"], "sale.subscription.mrr.movement")
        self.assertEqual(action["context"]["graph_groupbys"], ["date:month", "kind"])
        self.assertEqual(action["context"]["pivot_row_groupby"], ["kind"])
        by_salesperson = self.Movement.action_open_report("salesperson")
        self.assertEqual(by_salesperson["display_name"], "Revenue by salesperson")
        self.assertEqual(by_salesperson["views"][0][1], "pivot")
        # the menus' server actions, as an account manager opens them
        for xmlid, first_view in (
            ("sale_subscription_mrr_movement_action_report", "graph"),
            ("sale_subscription_mrr_movement_action_salesperson", "pivot"),
        ):
            opened = (
                self.env.ref(f"aircall_subscription_amendments.{xmlid}")
                .with_user(self.account_manager)
                .run()
            )
            self.assertEqual(opened["res_model"], "sale.subscription.mrr.movement")
            self.assertEqual(opened["views"][0][1], first_view)
        self.assertEqual(
            by_salesperson["context"]["pivot_column_groupby"], ["date:quarter"]
        )
        eur = self.env.ref("base.EUR")
        eur.active = True
        france = self.env["res.company"].create(
            {"name": "Aircall France", "currency_id": eur.id}
        )
        self.assertNotEqual(france.currency_id, self.company.currency_id)
        mixed = self.Movement.with_context(
            allowed_company_ids=[self.company.id, france.id]
        ).action_open_report()
        self.assertEqual(mixed["context"]["graph_groupbys"], ["company_id", "kind"])
        self.assertEqual(mixed["context"]["pivot_row_groupby"], ["company_id", "kind"])


class TestSequences(MrrCase):
    """Five fixed sequences of changes: the movements, read back from the
    database, add up to the subscription's MRR after every step."""

    def _run(self, subscription, steps):
        for day, step in steps:
            with freeze_time(day):
                step()
                self.env.flush_all()
            self.assertAddsUp(subscription)
        return self._rows(subscription)

    def _line(self, subscription, product):
        return subscription.sale_subscription_line_ids.filtered(
            lambda line: line.product_id == product
        )

    def test_1_amendments_close_reopen_and_a_line_removed(self):
        sub = self._running(lines=[(self.product_users, 10), (self.product_numbers, 3)])
        rows = self._run(
            sub,
            [
                (
                    "2024-02-01",
                    lambda: self._amend(
                        sub, {}, add=[(self.product_addon, 2, 10.0)]
                    ).action_apply(),
                ),
                (
                    "2024-03-01",
                    lambda: self._amend(sub, {self.product_users: 7}).action_apply(),
                ),
                ("2024-04-01", lambda: sub.close_subscription()),
                ("2024-05-01", lambda: sub.action_start_subscription()),
                (
                    "2024-06-01",
                    lambda: self._amend(sub, {self.product_numbers: 0}).action_apply(),
                ),
            ],
        )
        self.assertEqual(
            [(row[0], row[1], row[4]) for row in rows],
            [
                (date(2024, 1, 6), "new", 268.0),
                (date(2024, 2, 1), "expansion", 20.0),
                (date(2024, 3, 1), "contraction", -75.0),
                (date(2024, 4, 1), "churn", -213.0),
                (date(2024, 5, 1), "reactivation", 213.0),
                (date(2024, 6, 1), "contraction", -18.0),
            ],
        )

    def test_2_administrators_edit_lines_and_prices_directly(self):
        """A direct edit is dated today. A price edit changes the MRR: it is a
        movement like any other (one row per change of the MRR)."""
        sub = self._running(lines=[(self.product_users, 10), (self.product_numbers, 3)])
        users = self._line(sub, self.product_users)
        numbers = self._line(sub, self.product_numbers)
        rows = self._run(
            sub,
            [
                ("2024-02-01", lambda: users.write({"product_uom_qty": 12})),
                ("2024-02-02", lambda: users.write({"price_unit": 27.5})),
                (
                    "2024-02-03",
                    lambda: numbers.write_with_override({"discount": 50.0}, REASON),
                ),
                ("2024-02-04", lambda: numbers.write({"name": "Numbers"})),
                (
                    "2024-02-05",
                    lambda: sub.write_with_override(
                        {
                            "sale_subscription_line_ids": [
                                Command.create(
                                    {
                                        "product_id": self.product_addon.id,
                                        "product_uom_qty": 1,
                                        "price_unit": 10.0,
                                    }
                                ),
                                Command.update(users.id, {"product_uom_qty": 11}),
                            ]
                        },
                        REASON,
                    ),
                ),
                (
                    "2024-02-06",
                    lambda: sub.write_with_override(
                        {"sale_subscription_line_ids": [Command.delete(numbers.id)]},
                        REASON,
                    ),
                ),
            ],
        )
        self.assertEqual(
            [(row[0], row[1], row[4]) for row in rows],
            [
                (date(2024, 1, 6), "new", 268.0),
                (date(2024, 2, 1), "expansion", 50.0),
                (date(2024, 2, 2), "expansion", 30.0),
                (date(2024, 2, 3), "contraction", -9.0),
                # one save of the form, two lines changed: one movement
                (date(2024, 2, 5), "contraction", -17.5),
                (date(2024, 2, 6), "contraction", -9.0),
            ],
        )

    def test_3_a_subscription_without_lines(self):
        template = self._create_template("No lines", term_interval=12)
        with freeze_time("2024-01-06"):
            sub = self.env["sale.subscription"].create(
                {
                    "partner_id": self.partner.id,
                    "pricelist_id": self.pricelist.id,
                    "template_id": template.id,
                    "date_start": date(2024, 1, 6),
                    "recurring_next_date": date(2099, 1, 1),
                }
            )
            sub.action_start_subscription()
        self.assertTrue(sub.in_progress)
        self.assertFalse(self._movements(sub))
        self.assertEqual(sub.mrr, 0.0)
        rows = self._run(
            sub,
            [
                # its first revenue: new, on the day of the edit, not its start
                (
                    "2024-03-01",
                    lambda: self.env["sale.subscription.line"].create(
                        {
                            "sale_subscription_id": sub.id,
                            "product_id": self.product_users.id,
                            "product_uom_qty": 2,
                            "price_unit": 25.0,
                        }
                    ),
                ),
                ("2024-04-01", lambda: sub.write({"active": False})),
                ("2024-04-02", lambda: sub.write({"active": True})),
                (
                    "2024-05-01",
                    lambda: sub.write_with_override(
                        {
                            "sale_subscription_line_ids": [
                                Command.delete(line.id)
                                for line in sub.sale_subscription_line_ids
                            ]
                        },
                        REASON,
                    ),
                ),
                # closed at 0: nothing to record
                ("2024-06-01", lambda: sub.close_subscription()),
                # reopened at 0, then given lines: revenue again, an expansion
                ("2024-07-01", lambda: sub.action_start_subscription()),
                (
                    "2024-07-02",
                    lambda: self.env["sale.subscription.line"].create(
                        {
                            "sale_subscription_id": sub.id,
                            "product_id": self.product_numbers.id,
                            "product_uom_qty": 1,
                            "price_unit": 6.0,
                        }
                    ),
                ),
            ],
        )
        self.assertEqual(
            [(row[0], row[1], row[4]) for row in rows],
            [
                (date(2024, 3, 1), "new", 50.0),
                (date(2024, 4, 1), "churn", -50.0),
                (date(2024, 4, 2), "reactivation", 50.0),
                (date(2024, 5, 1), "contraction", -50.0),
                (date(2024, 7, 2), "expansion", 6.0),
            ],
        )

    def test_4_recurrence_discounts_and_taxes(self):
        template = self._create_template(
            "Quarterly", recurring_interval=3, term_interval=12
        )
        included = self.env["account.tax"].create(
            {
                "name": "VAT 20 % included",
                "amount": 20.0,
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
            }
        )
        sub = self._running(lines=[(self.product_users, 3)], template_id=template.id)
        users = self._line(sub, self.product_users)
        rows = self._run(
            sub,
            [
                # 75.00 a quarter → 25.00; a year → 6.25; every 2 weeks → 162.50
                (
                    "2024-02-01",
                    lambda: template.write_with_override(
                        {"recurring_rule_type": "years", "recurring_interval": 1},
                        REASON,
                    ),
                ),
                (
                    "2024-03-01",
                    lambda: template.write(
                        {"recurring_rule_type": "weeks", "recurring_interval": 2}
                    ),
                ),
                # a tax included in the price: the MRR is without it
                (
                    "2024-04-01",
                    lambda: users.write_with_override(
                        {"tax_ids": [Command.set(included.ids)]}, REASON
                    ),
                ),
                (
                    "2024-05-01",
                    lambda: users.write_with_override({"discount": 12.5}, REASON),
                ),
            ],
        )
        self.assertEqual(
            [(row[0], row[1], row[3]) for row in rows],
            [
                (date(2024, 1, 6), "new", 25.0),
                (date(2024, 2, 1), "contraction", 6.25),
                # 75 × 52 / 24
                (date(2024, 3, 1), "expansion", 162.5),
                # 62.50 without tax
                (date(2024, 4, 1), "contraction", 135.42),
                (date(2024, 5, 1), "contraction", 118.49),
            ],
        )

    def _expected_mrr(self, subscription):
        lines = subscription.sale_subscription_line_ids
        if not any(lines.tax_ids.mapped("price_include")):
            return super()._expected_mrr(subscription)
        # 20 % included: the untaxed price is 5/6 of it
        template = subscription.template_id
        total = sum(
            (
                Decimal(repr(line.product_uom_qty))
                * Decimal(repr(line.price_unit))
                * (1 - Decimal(repr(line.discount)) / 100)
                * (Decimal(5) / 6 if line.tax_ids.price_include else 1)
                for line in lines
            ),
            Decimal(0),
        )
        total = total * PER_MONTH[template.recurring_rule_type]
        total /= template.recurring_interval
        return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def test_5_a_currency_change_then_not_renewed(self):
        eur = self.env.ref("base.EUR")
        if eur == self.currency:
            eur = self.env.ref("base.USD")
        eur.active = True
        self.env["res.currency.rate"].create(
            {"currency_id": eur.id, "name": "2024-01-01", "rate": 0.8}
        )
        pricelist = self.env["product.pricelist"].create(
            {"name": "Other currency", "currency_id": eur.id}
        )
        sub = self._running(lines=[(self.product_users, 10)])
        rows = self._run(
            sub,
            [
                (
                    "2024-02-01",
                    lambda: sub.write_with_override(
                        {"pricelist_id": pricelist.id}, REASON
                    ),
                ),
                (
                    "2024-03-01",
                    lambda: self._amend(sub, {self.product_users: 8}).action_apply(),
                ),
                (
                    "2024-11-01",
                    lambda: self._amend(sub, {}, cancel_renewal=True).action_apply(),
                ),
                (
                    "2025-01-06",
                    lambda: self.env[
                        "sale.subscription"
                    ].cron_subscription_management(),
                ),
            ],
        )
        movements = self._movements(sub)
        self.assertEqual(
            [(row[0], row[1]) for row in rows],
            [
                (date(2024, 1, 6), "new"),
                # the revenue leaves one currency and comes in the other
                (date(2024, 2, 1), "contraction"),
                (date(2024, 2, 1), "expansion"),
                (date(2024, 3, 1), "contraction"),
                (date(2025, 1, 6), "churn"),
            ],
        )
        self.assertEqual(movements.currency_id, self.currency | eur)
        self.assertEqual(movements[:2].currency_id, self.currency)
        self.assertEqual(movements[1].mrr_after, 0.0)


class TestWhoWritesMovements(MrrCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env,
            login="mrr_salesman",
            groups="sales_team.group_sale_salesman_all_leads",
        )
        cls.admin = new_test_user(
            cls.env, login="mrr_admin", groups=f"{ADMIN_GROUP},base.group_system"
        )
        cls.company_b = cls.env["res.company"].create({"name": "MRR Company B"})
        cls.manager_b = new_test_user(
            cls.env,
            login="mrr_manager_b",
            groups=USER_GROUP,
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.sub = cls._running(lines=[(cls.product_users, 10)])
        cls.movement = cls.Movement.search([("subscription_id", "=", cls.sub.id)])

    def _values(self):
        return {
            "date": "2024-02-01",
            "kind": "expansion",
            "subscription_id": self.sub.id,
            "company_id": self.company.id,
            "currency_id": self.currency.id,
            "company_currency_id": self.currency.id,
            "mrr_before": 250.0,
            "mrr_after": 1_000_000.0,
            "delta": 999_750.0,
            "delta_company": 999_750.0,
        }

    def test_nobody_creates_changes_or_deletes_a_movement(self):
        self.assertEqual(len(self.movement), 1)
        keys = ({}, {"aircall_mrr_record": True}, {"aircall_mrr_record": 1})
        for user in (self.account_manager, self.admin, self.salesman):
            for context in keys:
                model = self.Movement.with_user(user).with_context(**context)
                with self.assertRaises(AccessError):
                    model.create(self._values())
                with self.assertRaises(AccessError):
                    self.movement.with_user(user).with_context(**context).write(
                        {"delta": 1.0}
                    )
                with self.assertRaises(AccessError):
                    self.movement.with_user(user).with_context(**context).unlink()
                with self.assertRaises(AccessError):
                    self.movement.with_user(user).copy()
        # not even the superuser, outside the addon's code
        with self.assertRaises(AccessError):
            self.Movement.sudo().create(self._values())
        with self.assertRaises(AccessError):
            self.movement.sudo().write({"delta": 1.0})
        with self.assertRaises(UserError):
            self.movement.sudo().unlink()
        self.assertEqual(
            self._rows(self.sub), [(date(2024, 1, 6), "new", 0.0, 250.0, 250.0)]
        )

    def test_account_managers_read_their_companies_movements(self):
        mine = self.Movement.with_user(self.account_manager).search([])
        self.assertIn(self.movement, mine)
        self.assertEqual(
            self.movement.with_user(self.account_manager).read(["delta"])[0]["delta"],
            250.0,
        )
        # another company's account manager sees none of them
        self.assertFalse(
            self.Movement.with_user(self.manager_b).search(
                [("subscription_id", "=", self.sub.id)]
            )
        )
        with self.assertRaises(AccessError):
            self.movement.with_user(self.manager_b).read(["delta"])
        # a salesman without the amendment groups has no access, and the
        # subscription form still opens for them, without the MRR button
        with self.assertRaises(AccessError):
            self.Movement.with_user(self.salesman).search([])
        views = (
            self.env["sale.subscription"]
            .with_user(self.salesman)
            .get_views([(False, "form")])
        )
        self.assertNotIn("mrr", views["models"]["sale.subscription"]["fields"])
        self.sub.with_user(self.salesman).read(["name", "recurring_total"])
        views = (
            self.env["sale.subscription"]
            .with_user(self.account_manager)
            .get_views([(False, "form")])
        )
        self.assertIn("action_view_mrr_movements", views["views"]["form"]["arch"])
        action = self.sub.with_user(self.account_manager).action_view_mrr_movements()
        self.assertEqual(
            self.Movement.with_user(self.account_manager).search(action["domain"]),
            self.movement,
        )

    def test_an_account_manager_amending_records_what_they_did(self):
        """Their amendment writes a movement they could not write themselves."""
        with freeze_time("2024-02-01"):
            self.env["sale.subscription.amendment"].with_user(
                self.account_manager
            ).create_and_apply(
                {
                    "subscription_id": self.sub.id,
                    "line_ids": [
                        Command.create(
                            {
                                "subscription_line_id": self.sub.sale_subscription_line_ids.id,
                                "new_quantity": 12,
                            }
                        )
                    ],
                }
            )
        self.assertEqual(
            self._rows(self.sub)[-1],
            (date(2024, 2, 1), "expansion", 250.0, 300.0, 50.0),
        )

    def test_a_draft_subscription_records_nothing(self):
        with freeze_time("2024-01-06"):
            draft = self._create_subscription()
            draft.sale_subscription_line_ids.write({"product_uom_qty": 30})
        self.assertFalse(self._movements(draft))
        self.assertEqual(draft.mrr, 0.0)


class TestHistory(MrrCase):
    """Subscriptions made before the movements: the install hook and the
    upgrade to 18.0.1.2.0 replay them."""

    def _forget(self, subscriptions):
        """As the upgrade finds them: no movement yet."""
        self.env.flush_all()
        self.env.cr.execute(
            "DELETE FROM sale_subscription_mrr_movement WHERE subscription_id IN %s",
            [tuple(subscriptions.ids)],
        )
        self.env.invalidate_all()

    def test_the_replay_matches_what_was_recorded(self):
        sub = self._running(lines=[(self.product_users, 10), (self.product_numbers, 3)])
        self._apply("2024-03-10", sub, {self.product_users: 14})
        self._apply(
            "2024-04-10",
            sub,
            {self.product_numbers: 0},
            add=[(self.product_addon, 1, 10.0)],
        )
        self._apply("2024-05-02", sub, {self.product_users: 12})
        other = self._running(start=date(2024, 2, 1))
        self._apply("2024-03-01", other, {self.product_users: 4})
        with freeze_time("2024-06-10"):
            other.close_subscription()
        never_started = self._create_subscription()
        recorded = {s: self._rows(s) for s in (sub, other)}
        self._forget(sub | other | never_started)
        spec = importlib.util.spec_from_file_location("migration_1_2", MIGRATION)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        with freeze_time("2024-07-01"):
            migration.migrate(self.env.cr, "18.0.1.1.0")
        self.assertEqual(self._rows(sub), recorded[sub])
        # closed with tracking off: on the day it was last written
        self.assertEqual(self._rows(other)[:-1], recorded[other][:-1])
        self.assertEqual(self._rows(other)[-1][1:], recorded[other][-1][1:])
        self.assertFalse(self._movements(never_started))
        self.assertEqual(self._movements(sub).amendment_id, sub.amendment_ids)
        self.assertAddsUp(sub)
        self.assertAddsUp(other)
        # running it again adds nothing
        count = self.Movement.search_count([])
        migration.migrate(self.env.cr, "18.0.1.1.0")
        self.env["sale.subscription.mrr.history"]._adopt()
        self.assertEqual(self.Movement.search_count([]), count)

    def test_a_closed_subscription_churns_on_its_tracked_close(self):
        sub = self._running(lines=[(self.product_users, 2)])
        # as a commit would: the tracking of a record created in this
        # transaction is off until then
        self.env.cr.precommit.run()
        with freeze_time("2024-03-15"):
            sub.with_context(tracking_disable=False).close_subscription()
            self.env.flush_all()
            self.env.cr.precommit.run()  # the chatter's tracking values
        self._forget(sub)
        self.env["sale.subscription.mrr.history"]._adopt(sub)
        self.assertEqual(
            self._rows(sub),
            [
                (date(2024, 1, 6), "new", 0.0, 50.0, 50.0),
                (date(2024, 3, 15), "churn", 50.0, 0.0, -50.0),
            ],
        )

    def test_every_subscription_installed_with_the_addon_has_its_history(self):
        """What the post-init hook made of the database it was installed on
        (subscriptions invoiced before the addon, when scripts/test.sh seeded
        them; the demo's): each that runs has movements adding up to its MRR."""
        running = self.env["sale.subscription"].search(
            [("in_progress", "=", True), ("sale_subscription_line_ids", "!=", False)]
        )
        seeded = running.filtered(
            lambda sub: (
                sub.partner_id.name == "Adoption customer (invoiced before the addon)"
            )
        )
        for subscription in running:
            self.assertTrue(self._movements(subscription), subscription.display_name)
            self.assertAddsUp(subscription)
        for subscription in seeded:
            self.assertEqual(
                self._rows(subscription),
                [(subscription.date_start, "new", 0.0, 250.0, 250.0)],
            )


class TestMovementsOverRpc(RpcCase):
    """What each role gets from ``execute_kw`` on revenue movements."""

    def test_every_role_reads_at_most_and_writes_nothing(self):
        movement = self.env["sale.subscription.mrr.movement"].search(
            [("subscription_id", "=", self.on_time.id)], order="id desc", limit=1
        )
        self.assertEqual(movement.kind, "contraction")
        model = "sale.subscription.mrr.movement"
        values = {
            "date": fields.Date.to_string(self.today),
            "kind": "expansion",
            "subscription_id": self.on_time.id,
            "company_id": self.company.id,
            "currency_id": self.currency.id,
            "company_currency_id": self.currency.id,
            "mrr_before": 0.0,
            "mrr_after": 1e6,
            "delta": 1e6,
            "delta_company": 1e6,
        }
        readers = {"amendment user", "amendment admin"}
        for role in ROLES:
            user = self.users[role]
            for context in ({}, {"aircall_mrr_record": True}):
                self._attempt(
                    f"{role} creates a movement with {context}",
                    NO,
                    lambda user=user, context=context: self._rpc(
                        user, model, "create", values, context=context
                    ),
                )
                self._attempt(
                    f"{role} writes a movement with {context}",
                    NO,
                    lambda user=user, context=context: self._rpc(
                        user,
                        model,
                        "write",
                        [movement.id],
                        {"delta": -1e6},
                        context=context,
                    ),
                )
                self._attempt(
                    f"{role} deletes a movement with {context}",
                    NO,
                    lambda user=user, context=context: self._rpc(
                        user, model, "unlink", [movement.id], context=context
                    ),
                )
            # the other company's administrator has the right, and sees none
            expected = (
                []
                if role == "admin of another company"
                else [("contraction", -25.0), ("new", 250.0)]
            )
            self._attempt(
                f"{role} reads the movements",
                role in readers or role == "admin of another company",
                lambda user=user: self._rpc(
                    user,
                    model,
                    "search_read",
                    [("subscription_id", "=", self.on_time.id)],
                    fields=["kind", "delta"],
                ),
                check=lambda rows, expected=expected: self.assertEqual(
                    [(row["kind"], row["delta"]) for row in rows], expected
                ),
            )
        # in another company: nothing to see
        self.assertEqual(
            self._rpc(
                self.users["admin of another company"],
                model,
                "search_count",
                [],
            ),
            0,
        )
