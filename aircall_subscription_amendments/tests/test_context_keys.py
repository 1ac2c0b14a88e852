# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""No context key grants a right.

Every context key the addon reads (found in its source, so that a key added
later is covered too), every ``default_<field>`` of a guarded field, ``tz``,
``allowed_company_ids``, ``tracking_disable`` and ``mail_notrack``: each is sent
by each role that is not an amendment administrator, on each write path, the
way ``execute_kw`` calls a method (``with_user().with_context()``). Nothing may
change: not the contract, its lines, its documents, nor an amendment's state.
The contract is one day past its notice deadline, on its company's day (UTC).
"""

import ast
import importlib
import re
from contextlib import closing
from datetime import date
from pathlib import Path

from freezegun import freeze_time

from odoo import Command

from .. import tools
from .common_security import ROLES, RolesCase

ADDON_DIR = Path(__file__).resolve().parent.parent
ADDON_MODULE = "odoo.addons.aircall_subscription_amendments"

# the running contract renews on 6 January 2025; its deadline is 7 December 2024
TODAY = date(2024, 12, 8)  # the company's day (UTC), and the users' (Europe/Paris)
NOW_UTC = "2024-12-08 01:00:00"  # still 7 December 13:00 in Etc/GMT+12
DEADLINE = date(2024, 12, 7)

#: the guarded fields of each model: a client may set their defaults too
GUARDED_FIELDS = {
    "sale.subscription.amendment": (
        "request_date",
        "effective_date",
        "state",
        "user_id",
        "override_reason",
        "subscription_id",
        "name",
        "amendment_type",
        "request_date_set",
    ),
    "sale.subscription.amendment.line": (
        "amendment_id",
        "subscription_line_id",
        "old_quantity",
    ),
    "sale.subscription": (
        "notice_days",
        "term_interval",
        "term_unit",
        "auto_renew",
        "stage_id",
        "in_progress",
        "active",
        "date",
        "date_start",
        "renewal_date",
        "recurring_next_date",
        "pricelist_id",
    ),
    "sale.subscription.line": (
        "sale_subscription_id",
        "product_uom_qty",
        "price_unit",
        "discount",
    ),
}

_CONTEXT_READS = (
    # self.env.context.get("key") / context["key"] / context.get(KEY)
    re.compile(r"context\.get\(\s*(\"[^\"]+\"|'[^']+'|[A-Za-z_][\w.]*)"),
    re.compile(r"context\[\s*(\"[^\"]+\"|'[^']+'|[A-Za-z_][\w.]*)\s*\]"),
    # the addon's internal keys: is_internal(records, KEY), internal(records, KEY)
    re.compile(r"\binternal\(\s*[\w.()]+,\s*([A-Za-z_][\w.]*)\s*\)"),
)


def context_keys_read_by_the_addon():
    """The context keys the addon's code reads, from its source (tests excluded).

    A literal is taken as it is; a name is looked up in the module that uses it.
    """
    keys = set()
    for path in sorted(ADDON_DIR.rglob("*.py")):
        relative = path.relative_to(ADDON_DIR)
        if relative.parts[0] == "tests":
            continue
        source = path.read_text(encoding="utf-8")
        found = [match for regex in _CONTEXT_READS for match in regex.findall(source)]
        if not found:
            continue
        module = None
        for token in found:
            if token[0] in "\"'":
                keys.add(ast.literal_eval(token))
                continue
            if module is None:
                dotted = ".".join(relative.with_suffix("").parts)
                module = importlib.import_module(
                    f"{ADDON_MODULE}.{dotted}".removesuffix(".__init__")
                )
            value = module
            for part in token.split("."):
                value = getattr(value, part, None)
            if isinstance(value, str):
                keys.add(value)
    return keys


class TestNoContextKeyGrantsARight(RolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.closed_stage = cls.env["sale.subscription.stage"].search(
            [("type", "=", "post")], limit=1
        )
        foreign = cls.env.ref("base.EUR")
        if foreign == cls.company.currency_id:
            foreign = cls.env.ref("base.USD")
        foreign.active = True
        cls.foreign_pricelist = cls.env["product.pricelist"].create(
            {"name": "Another currency", "currency_id": foreign.id}
        )
        # the portal user is the customer's: the portal's request path is theirs
        cls.users["portal"].partner_id.parent_id = cls.partner
        with freeze_time(NOW_UTC):
            cls.running = cls._start(
                cls._create_subscription(
                    lines=[(cls.product_users, 10), (cls.product_numbers, 3)]
                )
            )
            cls.invoice = cls._invoice_period(cls.running, date(2024, 12, 6))
            cls.users_line = cls.running.sale_subscription_line_ids.filtered(
                lambda line: line.product_id == cls.product_users
            )
            # a late reduction an administrator prepared, not applied
            cls.draft = cls.env["sale.subscription.amendment"].create(
                {
                    "subscription_id": cls.running.id,
                    "line_ids": [
                        Command.create(
                            {
                                "subscription_line_id": cls.users_line.id,
                                "new_quantity": 4,
                            }
                        )
                    ],
                }
            )
        cls.running.flush_recordset()

    def test_the_source_scan_finds_the_keys(self):
        keys = context_keys_read_by_the_addon()
        # the scan works: it sees the internal keys and the wizard's active record
        self.assertLessEqual(set(tools.INTERNAL_KEYS), keys)
        self.assertLessEqual({"active_model", "active_id"}, keys)

    def test_no_key_lets_a_role_around_the_notice_rule(self):
        contexts = self._contexts()
        self.assertGreater(len(contexts), 30)
        paths = self._paths()
        refused = 0
        with freeze_time(NOW_UTC):
            self.assertEqual(tools.company_today(self.running.company_id), TODAY)
            self.assertEqual(self.running.notice_deadline, DEADLINE)
            before = self._state()
            for role in ROLES:
                if role == "amendment admin":
                    continue
                user = self.users[role]
                for context in contexts:
                    for name, path in paths.items():
                        with closing(self.env.cr.savepoint()):
                            env = self.env(user=user, context=context, su=False)
                            try:
                                path(env)
                            except Exception:  # refusals of every kind: checked below
                                refused += 1
                                self.env.invalidate_all()
                            after = self._state(user)
                            self.assertEqual(
                                after,
                                before,
                                f"{role} changed something through {name} with "
                                f"context {context}",
                            )
                        self.env.invalidate_all()
        # most calls are refused outright; the rest (a draft amendment, say)
        # change nothing that counts
        self.assertGreater(refused, len(contexts) * len(paths))

    # -- what is sent ----------------------------------------------------------

    def _contexts(self):
        """One context per key and value: ``{key: value}``."""
        values = {}
        for key in sorted(context_keys_read_by_the_addon()):
            values[key] = [True, 1, "1", key]
        values["active_model"] = ["sale.subscription"]
        values["active_id"] = [self.running.id]
        values["active_ids"] = [self.running.ids]
        defaults = {
            "request_date": DEADLINE,
            "effective_date": DEADLINE,
            "state": "done",
            "user_id": self.env.ref("base.user_admin").id,
            "override_reason": "the customer asked nicely",
            "subscription_id": self.running.id,
            "name": "AMD/FAKE",
            "amendment_id": self.draft.id,
            "subscription_line_id": self.users_line.id,
            "old_quantity": 4,
            "notice_days": 0,
            "term_interval": 1,
            "term_unit": "day",
            "auto_renew": False,
            "stage_id": self.closed_stage.id,
            "in_progress": False,
            "active": False,
            "date": DEADLINE,
            "date_start": DEADLINE,
            "sale_subscription_id": self.running.id,
            "product_uom_qty": 1,
            "amendment_type": "upgrade",
            "request_date_set": True,
            "renewal_date": date(2000, 1, 1),
            "recurring_next_date": date(2025, 6, 6),
            "pricelist_id": self.foreign_pricelist.id,
            "price_unit": 0.0,
            "discount": 100.0,
        }
        for fields_ in GUARDED_FIELDS.values():
            for fname in fields_:
                values[f"default_{fname}"] = [defaults[fname]]
        values["tz"] = ["Etc/GMT+12", "Pacific/Kiritimati"]
        values["allowed_company_ids"] = [[self.company.id, self.company_b.id]]
        values["tracking_disable"] = [True]
        values["mail_notrack"] = [True]
        contexts = [
            {key: value} for key, options in values.items() for value in options
        ]
        # and all of them at once (the first value of each)
        contexts.append({key: options[0] for key, options in values.items()})
        return contexts

    def _paths(self):
        """The write paths of the access matrix, as a client calls them."""
        running, users_line = self.running, self.users_line

        def downgrade(env):
            return {
                "subscription_id": running.id,
                "line_ids": [
                    Command.create(
                        {"subscription_line_id": users_line.id, "new_quantity": 2}
                    )
                ],
            }

        def close_wizard(env):
            wizard = (
                env["close.reason.wizard"]
                .with_context(active_id=running.id, active_model="sale.subscription")
                .create({})
            )
            wizard.button_confirm()

        return {
            "create": lambda env: env["sale.subscription.amendment"].create(
                downgrade(env)
            ),
            "create_and_apply": lambda env: env[
                "sale.subscription.amendment"
            ].create_and_apply(downgrade(env)),
            "action_apply": lambda env: self.draft.with_env(env).action_apply(),
            "write amendment": lambda env: self.draft.with_env(env).write(
                {"request_date": DEADLINE}
            ),
            "create line": lambda env: env["sale.subscription.line"].create(
                {
                    "sale_subscription_id": running.id,
                    "product_id": self.product_addon.id,
                    "product_uom_qty": 5,
                    "price_unit": 10.0,
                }
            ),
            "write line": lambda env: users_line.with_env(env).write(
                {"product_uom_qty": 1}
            ),
            "unlink line": lambda env: users_line.with_env(env).unlink(),
            "write notice days": lambda env: running.with_env(env).write(
                {"notice_days": 0}
            ),
            "close_subscription": lambda env: running.with_env(
                env
            ).close_subscription(),
            "close wizard": close_wizard,
            "stage change": lambda env: running.with_env(env).write(
                {"stage_id": self.closed_stage.id}
            ),
            "archive": lambda env: running.with_env(env).write({"active": False}),
            "auto_renew": lambda env: running.with_env(env).write(
                {"auto_renew": False}
            ),
            "write_with_override": lambda env: running.with_env(
                env
            ).write_with_override({"auto_renew": False}, "the customer asked nicely"),
            "write a price": lambda env: users_line.with_env(env).write(
                {"price_unit": 1.0}
            ),
            "a discount through the contract": lambda env: running.with_env(env).write(
                {
                    "sale_subscription_line_ids": [
                        Command.update(users_line.id, {"discount": 100.0})
                    ]
                }
            ),
            "line write_with_override": lambda env: users_line.with_env(
                env
            ).write_with_override({"discount": 100.0}, "the customer asked nicely"),
            "the stored renewal date": lambda env: running.with_env(env).write(
                {"renewal_date": date(2000, 1, 1)}
            ),
            "the stored type": lambda env: self.draft.with_env(env).write(
                {"amendment_type": "upgrade"}
            ),
            "the stage's type": lambda env: running.stage_id.with_env(env).write(
                {"type": "draft"}
            ),
            "the next invoice date": lambda env: running.with_env(env).write(
                {"recurring_next_date": date(2025, 6, 6)}
            ),
            "the template's recurrence": lambda env: running.template_id.with_env(
                env
            ).write({"recurring_interval": 2}),
            "another currency": lambda env: running.with_env(env).write(
                {"pricelist_id": self.foreign_pricelist.id}
            ),
            "portal_request_amendment": lambda env: running.with_env(
                env
            ).portal_request_amendment(
                {"lines": [{"subscription_line_id": users_line.id, "new_quantity": 2}]}
            ),
        }

    # -- what must not change ------------------------------------------------

    def _state(self, caller=None):
        """What the contract is, and which amendments could change it.

        A draft amendment changes nothing; one the caller just created must say
        today, the caller, and no override reason.
        """
        running = self.running.with_context(active_test=False)
        self.env.invalidate_all()
        amendments = running.amendment_ids
        new_drafts = amendments.filtered(
            lambda amendment: amendment.state == "draft" and amendment != self.draft
        )
        for amendment in new_drafts:
            self.assertEqual(
                (amendment.request_date, amendment.user_id, amendment.override_reason),
                (TODAY, caller, False),
                "a new draft amendment with rights it was not given",
            )
        return {
            "contract": running.read(
                [
                    "stage_id",
                    "in_progress",
                    "active",
                    "auto_renew",
                    "notice_days",
                    "term_interval",
                    "term_unit",
                    "date",
                    "date_start",
                    "renewal_date",
                    "recurring_next_date",
                    "currency_id",
                ]
            ),
            "stage": running.stage_id.type,
            "recurrence": (
                running.template_id.recurring_rule_type,
                running.template_id.recurring_interval,
            ),
            "lines": sorted(
                (
                    line.id,
                    line.product_id.id,
                    line.product_uom_qty,
                    line.price_unit,
                    line.discount,
                    tuple(line.tax_ids.ids),
                )
                for line in running.sale_subscription_line_ids
            ),
            "draft": (self.draft.amendment_type, self.draft.request_date),
            "amendments": sorted(
                (amendment.id, amendment.state, amendment.request_date)
                for amendment in amendments - new_drafts
            ),
            "moves": self.env["account.move"].search_count(
                [("subscription_billed_id", "=", running.id)]
            ),
        }
