# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A property of the invariant: whatever non-administrators write, directly,
in any order, running contracts under term never lose value, never stop late
and never move their renewal or their next invoice date.

Hypothesis draws sequences of direct writes by a salesman or an account
manager (quantities, prices, discounts, taxes, products, lines moved, created
and deleted; partner, pricelist, template, stage, dates and flags of the
contract; the template's recurrence; the stage's type; closing; deleting; the
derived dates; an override reason) on two running contracts, one inside its
notice period and one before it, and amendments applied through the rule.
After every step the contracts are read back by SQL and checked against what
the contract said before, computed here without the addon's code: each line's
monthly value (quantity × price × (1 − discount) ÷ the recurrence) is at
least what it was or what an applied amendment made it, the terms, dates,
currency and taxes are the same, and the late contract still runs and renews.

``INVARIANT_EXAMPLES=<n>`` draws more sequences (25 by default, derandomized:
the same ones on every run).
"""

import os
from contextlib import closing
from datetime import date
from fractions import Fraction

from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo import Command
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError

from .common_security import RolesCase

LATE = "2024-12-20"
MONTHS = {
    "days": Fraction(365, 12),
    "weeks": Fraction(52, 12),
    "months": 1,
    "years": Fraction(1, 12),
}
EXAMPLES = int(os.environ.get("INVARIANT_EXAMPLES", "25"))
REFUSALS = (UserError, AccessError, ValidationError, MissingError)

ROLE = st.sampled_from(["salesman", "amendment user"])
CONTRACT = st.sampled_from(["late", "on_time"])
LINE = st.integers(min_value=0, max_value=1)
LINE_VALUES = st.one_of(
    st.fixed_dictionaries({"product_uom_qty": st.sampled_from([0, 1, 9, 11])}),
    st.fixed_dictionaries({"price_unit": st.sampled_from([0.0, 29.99, 31.0])}),
    st.fixed_dictionaries({"discount": st.sampled_from([0.01, 50.0, 100.0])}),
    st.just({"tax_ids": [Command.clear()]}),
    st.just({"product_id": "addon"}),
    st.just({"sale_subscription_id": "other"}),
    st.just({"name": "renamed"}),
)
CONTRACT_VALUES = st.one_of(
    st.just({"partner_id": "cheap_partner"}),
    st.just({"pricelist_id": "cheap"}),
    st.just({"pricelist_id": "foreign"}),
    st.just({"template_id": "yearly"}),
    st.sampled_from([{"stage_id": "draft"}, {"stage_id": "pre"}, {"stage_id": "post"}]),
    st.sampled_from([{"in_progress": False}, {"active": False}, {"auto_renew": False}]),
    st.sampled_from(
        [
            {"date_start": "2024-12-01"},
            {"date": "2024-12-31"},
            {"recurring_next_date": "2025-03-06"},
            {"renewal_date": "2000-01-01"},
            {"amendment_cron_date": "2024-12-20"},
        ]
    ),
    st.just({"override_reason": "because"}),
)
STEP = st.one_of(
    st.tuples(st.just("line_write"), ROLE, CONTRACT, LINE, LINE_VALUES),
    st.tuples(st.just("line_unlink"), ROLE, CONTRACT, LINE),
    st.tuples(st.just("line_create"), ROLE, CONTRACT),
    st.tuples(st.just("line_through_contract"), ROLE, CONTRACT, LINE, LINE_VALUES),
    st.tuples(st.just("contract_write"), ROLE, CONTRACT, CONTRACT_VALUES),
    st.tuples(
        st.just("template_write"),
        ROLE,
        st.sampled_from(
            [{"recurring_interval": 2}, {"recurring_rule_type": "years"}, {"name": "T"}]
        ),
    ),
    st.tuples(st.just("stage_retype"), ROLE, st.sampled_from(["draft", "pre", "post"])),
    st.tuples(st.just("close"), ROLE, CONTRACT),
    st.tuples(st.just("unlink"), ROLE, CONTRACT),
    st.tuples(st.just("override"), ROLE, CONTRACT, LINE),
    st.tuples(st.just("amend"), CONTRACT, LINE, st.sampled_from([4, 12])),
)


class TestInvariantProperty(RolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product_users.list_price = 30.0
        Stage = cls.env["sale.subscription.stage"]
        cls.stages = {
            kind: Stage.search([("type", "=", kind)], limit=1)
            for kind in ("draft", "pre", "post")
        }
        with freeze_time("2024-12-01"):
            cls.contracts = {
                # renews 6 January 2025: 13 days late on LATE
                "late": cls._create_subscription(
                    start=date(2024, 1, 6),
                    lines=[(cls.product_users, 10), (cls.product_numbers, 3)],
                    user_id=cls.users["salesman"].id,
                ),
                # renews 1 June 2025: on time
                "on_time": cls._create_subscription(
                    start=date(2024, 6, 1),
                    lines=[(cls.product_users, 10), (cls.product_numbers, 3)],
                    user_id=cls.users["salesman"].id,
                ),
            }
            for contract in cls.contracts.values():
                cls._start(contract)
            cls._invoice_period(cls.contracts["late"], date(2024, 12, 6))
            cls._invoice_period(cls.contracts["on_time"], date(2024, 12, 1))
            cls.other = cls._start(cls._create_subscription(start=date(2024, 3, 1)))
        cheap = cls.env["product.pricelist"].create(
            {
                "name": "Cheap",
                "currency_id": cls.currency.id,
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "3_global",
                            "compute_price": "percentage",
                            "percent_price": 90,
                        }
                    )
                ],
            }
        )
        foreign = cls.env.ref("base.EUR")
        if foreign == cls.currency:
            foreign = cls.env.ref("base.USD")
        foreign.active = True
        cls.refs = {
            "cheap": cheap.id,
            "foreign": cls.env["product.pricelist"]
            .create({"name": "Foreign", "currency_id": foreign.id})
            .id,
            "cheap_partner": cls.env["res.partner"]
            .create({"name": "Cheap SAS", "property_product_pricelist": cheap.id})
            .id,
            "yearly": cls.env["sale.subscription.template"]
            .create(
                {
                    "name": "Yearly",
                    "recurring_rule_type": "years",
                    "term_interval": 12,
                }
            )
            .id,
            "addon": cls.product_addon.id,
            "other": cls.other.id,
            **{kind: stage.id for kind, stage in cls.stages.items()},
        }
        cls.env.flush_all()
        cls.initial = {
            name: cls._read(contract) for name, contract in cls.contracts.items()
        }

    # -- what the database says, without the addon's code ----------------------------

    @classmethod
    def _read(cls, contract):
        cr = cls.env.cr
        cr.execute(
            """
            SELECT s.in_progress, s.active, s.auto_renew, s.date_start, s.date,
                   s.term_interval, s.term_unit, s.currency_id, s.recurring_next_date,
                   t.recurring_rule_type, t.recurring_interval
              FROM sale_subscription s JOIN sale_subscription_template t
                ON t.id = s.template_id
             WHERE s.id = %s
            """,
            [contract.id],
        )
        row = cr.fetchone()
        if row is None:
            return None
        (in_progress, active, auto_renew, start, end, term, unit, currency,
         next_invoice, rule_type, interval) = row  # fmt: skip
        cr.execute(
            """
            SELECT l.id, l.product_uom_qty, l.price_unit, l.discount,
                   array(SELECT tax_id FROM subscription_line_tax
                          WHERE subscription_line_id = l.id ORDER BY tax_id)
              FROM sale_subscription_line l
             WHERE l.sale_subscription_id = %s
            """,
            [contract.id],
        )
        factor = Fraction(MONTHS[rule_type]) / interval
        lines = {
            line_id: (
                Fraction(str(quantity))
                * Fraction(str(price))
                * (1 - Fraction(str(discount)) / 100)
                * factor,
                tuple(taxes),
            )
            for line_id, quantity, price, discount, taxes in cr.fetchall()
        }
        return {
            "runs": bool(in_progress and active),
            "renews": bool(auto_renew and not end),
            "terms": (start, end, term, unit),
            "currency": currency,
            "next_invoice": next_invoice,
            "lines": lines,
        }

    def _check(self, floors, steps):
        for name, contract in self.contracts.items():
            initial, now = self.initial[name], self._read(contract)
            what = f"{name} after {steps}"
            self.assertIsNotNone(now, f"{what}: deleted")
            if name == "late":
                self.assertTrue(now["runs"] and now["renews"], f"{what}: stopped late")
            if not now["runs"]:
                continue  # stopped on time: an accepted cancellation
            for key in ("terms", "currency", "next_invoice"):
                self.assertEqual(now[key], initial[key], f"{what}: {key} changed")
            for line_id, (value, taxes) in initial["lines"].items():
                self.assertIn(line_id, now["lines"], f"{what}: line {line_id} gone")
                floor = floors[name].get(line_id, value)
                self.assertGreaterEqual(
                    now["lines"][line_id][0], floor, f"{what}: line {line_id} lower"
                )
                self.assertEqual(now["lines"][line_id][1], taxes, f"{what}: taxes")

    # -- the steps -------------------------------------------------------------------

    def _ref(self, values):
        return {
            key: self.refs[value]
            if isinstance(value, str) and value in self.refs
            else value
            for key, value in values.items()
        }

    def _step(self, step, floors):
        """Run ``step``; True when it was applied, False when refused."""
        kind, *args = step
        if kind == "amend":
            name, index, quantity = args
            return self._amend_step(name, index, quantity, floors)
        role, *args = args
        env = self.env(user=self.users[role], su=False)
        if kind == "template_write":
            (values,) = args
            env["sale.subscription.template"].browse(self.template.id).write(values)
            return True
        if kind == "stage_retype":
            (stage_type,) = args
            self.contracts["late"].with_env(env).stage_id.write({"type": stage_type})
            return True
        name, *args = args
        contract = self.contracts[name].with_env(env)
        lines = contract.sale_subscription_line_ids
        if kind == "line_write":
            index, values = args
            lines[index % len(lines)].write(self._ref(values))
        elif kind == "line_unlink":
            (index,) = args
            lines[index % len(lines)].unlink()
        elif kind == "line_create":
            env["sale.subscription.line"].create(
                {
                    "sale_subscription_id": contract.id,
                    "product_id": self.product_addon.id,
                    "product_uom_qty": 1,
                    "price_unit": 10.0,
                }
            )
        elif kind == "line_through_contract":
            index, values = args
            line = lines[index % len(lines)]
            contract.write(
                {
                    "sale_subscription_line_ids": [
                        Command.update(line.id, self._ref(values))
                    ]
                }
            )
        elif kind == "contract_write":
            (values,) = args
            contract.write(self._ref(values))
        elif kind == "close":
            contract.close_subscription()
        elif kind == "unlink":
            contract.unlink()
        elif kind == "override":
            (index,) = args
            lines[index % len(lines)].write_with_override({"discount": 90}, "because")
        return True

    def _amend_step(self, name, index, quantity, floors):
        """An account manager's amendment, through the notice rule."""
        user = self.users["amendment user"]
        contract = self.contracts[name]
        line = contract.sale_subscription_line_ids[index]
        amendment = (
            self.env["sale.subscription.amendment"]
            .with_user(user)
            .create_and_apply(
                {
                    "subscription_id": contract.id,
                    "line_ids": [
                        Command.create(
                            {"subscription_line_id": line.id, "new_quantity": quantity}
                        )
                    ],
                }
            )
        )
        if amendment.state == "done":
            self.env.flush_all()
            floors[name][line.id] = self._read(contract)["lines"][line.id][0]
        return True

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(STEP, min_size=1, max_size=8))
    def test_no_direct_write_gets_around_the_rule(self, steps):
        with closing(self.env.cr.savepoint()), freeze_time(LATE):
            floors = {name: {} for name in self.contracts}
            done = []
            for step in steps:
                try:
                    with self.env.cr.savepoint():
                        self._step(step, floors)
                        self.env.flush_all()
                    done.append(step)
                except REFUSALS:
                    done.append(("refused", *step))
                self.env.invalidate_all()
                self._check(floors, done)
        self.env.invalidate_all()
