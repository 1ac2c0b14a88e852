# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The access matrix and malformed calls, over real XML-RPC.

Each role logs in to the test server and calls ``execute_kw`` as an integrator
would. Every cell of the matrix is asserted: allowed calls have their effect,
refused ones raise a fault and leave the database as it was (every row of the
tables an amendment may change; sequence counters excepted). Each cell runs in
a savepoint of its own, rolled back afterwards, so cells do not see each other.

Needs pytest-odoo's ``--odoo-http`` (scripts/test.sh gives it); skipped without.
"""

import math
import xmlrpc.client
from contextlib import closing

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .. import tools
from .common import LiveServerCase
from .common_security import ADMIN_GROUP, ALL_DOCUMENTS, ROLES, RolesCase

YES, NO = True, False
REASON = "Customer's written request of last month, lost in the mail"


class RpcCase(LiveServerCase, RolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        amendments = cls.env["sale.subscription.amendment"]
        # the server lives in real time, on the company's day
        cls.today = tools.company_today(cls.company)
        # renews in 9 months: reductions are on time
        cls.on_time = cls._start(
            cls._create_subscription(start=cls.today - relativedelta(months=3))
        )
        cls._invoice_period(cls.on_time, cls.today)
        # renews in 10 days: inside its 30-day notice period
        cls.late = cls._start(
            cls._create_subscription(
                start=cls.today + relativedelta(months=-12, days=10)
            )
        )
        cls._invoice_period(cls.late, cls.today + relativedelta(months=-1, days=10))
        # a reduction already applied: its credit note waits for an accountant
        cls.done = amendments.create_and_apply(
            {
                "subscription_id": cls.on_time.id,
                "line_ids": [
                    Command.create(
                        {
                            "subscription_line_id": cls._users(cls.on_time).id,
                            "new_quantity": 9,
                        }
                    )
                ],
            }
        )
        cls.credit_note = cls.done.move_ids
        cls.closed_stage = cls.env["sale.subscription.stage"].search(
            [("type", "=", "post")], limit=1
        )

    @classmethod
    def _users(cls, subscription):
        return subscription.sale_subscription_line_ids.filtered(
            lambda line: line.product_id == cls.product_users
        )

    # -- calls ------------------------------------------------------------------

    def _rpc(self, user, model, method, *args, **kwargs):
        password = user.login + "x" * (8 - len(user.login))
        uid = self.xmlrpc_common.authenticate(
            self.env.cr.dbname, user.login, password, {}
        )
        self.assertEqual(uid, user.id)
        result = self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, uid, password, model, method, list(args), kwargs
        )
        self.env.invalidate_all()
        return result

    def _attempt(self, what, allowed, call, check=None, refusal=None):
        """Run ``call()`` in a savepoint rolled back afterwards.

        Allowed: it returns and ``check(result)`` holds. Refused: it raises a
        fault (matching ``refusal``) and every row is as it was.
        """
        with closing(self.env.cr.savepoint()):
            before = self.fingerprint()
            if allowed:
                result = call()
                if check:
                    check(result)
            else:
                with self.assertRaises(xmlrpc.client.Fault, msg=what) as caught:
                    call()
                if refusal:
                    self.assertRegex(caught.exception.faultString, refusal, what)
                self.assertUnchanged(before, what)
        self.env.invalidate_all()

    def _assert_logged(self, record, text):
        bodies = record.with_context(active_test=False).message_ids.mapped("body")
        self.assertTrue(any(text in body for body in bodies), f"not logged: {text}")

    def _amend(self, subscription, quantity, **values):
        return {
            "subscription_id": subscription.id,
            "line_ids": [
                (
                    0,
                    0,
                    {
                        "subscription_line_id": self._users(subscription).id,
                        "new_quantity": quantity,
                    },
                )
            ],
            **values,
        }


@tagged("post_install", "-at_install")
class TestAccessMatrix(RpcCase):
    """One test per row of the matrix; one assertion per cell (and call)."""

    def _row(self, expected, cell):
        self.assertEqual(set(expected), set(ROLES))
        for role, allowed in expected.items():
            cell(role, self.users[role], allowed)

    def test_read_a_subscription_and_its_amendments(self):
        readers = {
            # role: (subscription, amendments, documents)
            "portal": (NO, NO, NO),
            "salesman": (YES, YES, None),  # read only: the other rows say so
            "amendment user": (YES, YES, None),
            "amendment admin": (YES, YES, None),
            "billing": (NO, YES, YES),
            "admin of another company": (NO, NO, NO),
        }
        records = (
            ("sale.subscription", self.on_time, ["name", "notice_deadline"]),
            ("sale.subscription.amendment", self.done, ["state", "move_ids"]),
            ("account.move", self.credit_note, ["amount_total", "reversed_entry_id"]),
        )
        for role, allowed in readers.items():
            user = self.users[role]
            for (model, record, fnames), may in zip(records, allowed, strict=True):
                if may is None:
                    continue
                self._attempt(
                    f"{role} reads {model}",
                    may,
                    lambda model=model, record=record, fnames=fnames, user=user: (
                        self._rpc(user, model, "read", [record.id], fnames)
                    ),
                    check=lambda result, record=record: self.assertEqual(
                        result[0]["id"], record.id
                    ),
                    refusal="not allowed|access|do not have",
                )

    def test_create_and_apply_an_upgrade(self):
        def cell(role, user, allowed):
            self._attempt(
                f"{role}: upgrade",
                allowed,
                lambda: self._rpc(
                    user,
                    "sale.subscription.amendment",
                    "create_and_apply",
                    self._amend(self.on_time, 12),
                ),
                check=lambda amendment_id: self.assertEqual(
                    self._users(self.on_time).product_uom_qty, 12
                ),
            )

        self._row(self._only("amendment user", "amendment admin"), cell)

    def test_downgrade_before_the_deadline(self):
        def cell(role, user, allowed):
            self._attempt(
                f"{role}: on-time reduction",
                allowed,
                lambda: self._rpc(
                    user,
                    "sale.subscription.amendment",
                    "create_and_apply",
                    self._amend(self.on_time, 5),
                ),
                check=lambda amendment_id: self._assert_credited(amendment_id, 5),
            )

        self._row(self._only("amendment user", "amendment admin"), cell)

    def test_downgrade_after_the_deadline_without_a_reason(self):
        def cell(role, user, allowed):
            self._attempt(
                f"{role}: late reduction",
                allowed,
                lambda: self._rpc(
                    user,
                    "sale.subscription.amendment",
                    "create_and_apply",
                    self._amend(self.late, 5),
                ),
            )

        self._row(self._only(), cell)
        # the refusal an account manager reads says why
        self._attempt(
            "the refusal",
            NO,
            lambda: self._rpc(
                self.users["amendment user"],
                "sale.subscription.amendment",
                "create_and_apply",
                self._amend(self.late, 5),
            ),
            refusal="Too late to reduce or cancel .* renews under its current terms",
        )

    def test_late_change_with_a_reason(self):
        def cell(role, user, allowed):
            self._attempt(
                f"{role}: late reduction with a reason",
                allowed,
                lambda: self._rpc(
                    user,
                    "sale.subscription.amendment",
                    "create_and_apply",
                    self._amend(self.late, 5, override_reason=REASON),
                ),
                check=lambda amendment_id: self._assert_logged(self.late, REASON),
            )

        self._row(self._only("amendment admin"), cell)

    def test_change_a_contracts_term_or_notice_days(self):
        # a longer term moves the renewal: an administrator gives a reason
        calls = (
            ({"notice_days": 10}, "write", ()),
            ({"term_interval": 24}, "write_with_override", (REASON,)),
        )

        def cell(role, user, allowed):
            for values, method, reason in calls:
                self._attempt(
                    f"{role}: {method} {values}",
                    allowed,
                    lambda values=values, method=method, reason=reason: self._rpc(
                        user,
                        "sale.subscription",
                        method,
                        [self.on_time.id],
                        values,
                        *reason,
                    ),
                    check=lambda result, values=values: self.assertEqual(
                        {fname: self.on_time[fname] for fname in values}, values
                    ),
                )

        self._row(self._only("amendment admin"), cell)
        self._attempt(
            "amendment admin: write a longer term without a reason",
            False,
            lambda: self._rpc(
                self.users["amendment admin"],
                "sale.subscription",
                "write",
                [self.on_time.id],
                {"term_interval": 24},
            ),
            refusal="renewal date moves .* with a reason",
        )

    def test_edit_a_running_contracts_line_directly(self):
        def logged(result):
            self.assertEqual(self._users(self.on_time).product_uom_qty, 3)
            self._assert_logged(self.on_time, "Lines changed directly")
            self._assert_logged(self.on_time, REASON)

        def cell(role, user, allowed):
            # fewer units lower what the customer pays: with a reason
            self._attempt(
                f"{role}: direct line edit",
                allowed,
                lambda: self._rpc(
                    user,
                    "sale.subscription.line",
                    "write_with_override",
                    [self._users(self.on_time).id],
                    {"product_uom_qty": 3},
                    REASON,
                ),
                check=logged,
            )

        self._row(self._only("amendment admin"), cell)
        self._attempt(
            "amendment admin: fewer units without a reason",
            False,
            lambda: self._rpc(
                self.users["amendment admin"],
                "sale.subscription.line",
                "write",
                [self._users(self.on_time).id],
                {"product_uom_qty": 3},
            ),
            refusal="Users is worth .* with a reason",
        )

    def test_stop_a_contract_inside_its_notice_period(self):
        late = self.late.id
        stops = {
            "close": (
                lambda user, reason: self._rpc(
                    user,
                    "sale.subscription",
                    "close_subscription",
                    [late],
                    **({"override_reason": reason} if reason else {}),
                ),
                lambda: self.assertFalse(self.late.in_progress),
            ),
            "archive": (
                lambda user, reason: self._stop(user, {"active": False}, reason),
                lambda: self.assertFalse(self.late.active),
            ),
            "auto_renew off": (
                lambda user, reason: self._stop(user, {"auto_renew": False}, reason),
                lambda: self.assertFalse(self.late.auto_renew),
            ),
            "closed stage": (
                lambda user, reason: self._stop(
                    user, {"stage_id": self.closed_stage.id}, reason
                ),
                lambda: self.assertEqual(self.late.stage_id, self.closed_stage),
            ),
        }

        def cell(role, user, allowed):
            for name, (stop, check) in stops.items():
                # nobody without a reason
                self._attempt(
                    f"{role}: {name} late, no reason",
                    NO,
                    lambda stop=stop: stop(user, False),
                    refusal="Too late to reduce or cancel|not allowed|access",
                )
                self._attempt(
                    f"{role}: {name} late, with a reason",
                    allowed,
                    lambda stop=stop: stop(user, REASON),
                    check=lambda result, check=check: (
                        check(),
                        self._assert_logged(self.late, REASON),
                    ),
                )

        self._row(self._only("amendment admin"), cell)

    def test_post_or_edit_a_generated_draft_credit_note(self):
        self.assertEqual(self.credit_note.state, "draft")

        def cell(role, user, allowed):
            self._attempt(
                f"{role}: post the credit note",
                allowed,
                lambda: self._rpc(
                    user, "account.move", "action_post", [self.credit_note.id]
                ),
                check=lambda result: self.assertEqual(self.credit_note.state, "posted"),
            )
            self._attempt(
                f"{role}: edit the credit note",
                allowed,
                lambda: self._rpc(
                    user,
                    "account.move",
                    "write",
                    [self.credit_note.id],
                    {"ref": "Checked"},
                ),
                check=lambda result: self.assertEqual(self.credit_note.ref, "Checked"),
            )

        self._row(self._only("billing"), cell)
        # an amendment administrator who is also an accountant may
        both = new_test_user(
            self.env,
            login="sec_admin_and_billing",
            groups=f"{ALL_DOCUMENTS},{ADMIN_GROUP},account.group_account_invoice",
        )
        cell("amendment admin and billing", both, YES)

    # -- helpers -----------------------------------------------------------------

    @staticmethod
    def _only(*roles):
        return {role: role in roles for role in ROLES}

    def _stop(self, user, values, reason):
        if reason:
            return self._rpc(
                user,
                "sale.subscription",
                "write_with_override",
                [self.late.id],
                values,
                reason,
            )
        return self._rpc(user, "sale.subscription", "write", [self.late.id], values)

    def _assert_credited(self, amendment_id, quantity):
        amendment = self.env["sale.subscription.amendment"].browse(amendment_id)
        self.assertEqual(amendment.state, "done")
        self.assertEqual(self._users(self.on_time).product_uom_qty, quantity)
        self.assertEqual(amendment.move_ids.move_type, "out_refund")


@tagged("post_install", "-at_install")
class TestMalformedCalls(RpcCase):
    """What an integrator's buggy client may send: a clear error, nothing written."""

    def _refused(
        self, values, refusal, role="amendment user", method="create_and_apply"
    ):
        self._attempt(
            f"{values!r}",
            NO,
            lambda: self._rpc(
                self.users[role], "sale.subscription.amendment", method, values
            ),
            refusal=refusal,
        )

    def _line(self, **line):
        return {"subscription_id": self.on_time.id, "line_ids": [(0, 0, line)]}

    def _quantity(self, quantity):
        return self._line(
            subscription_line_id=self._users(self.on_time).id, new_quantity=quantity
        )

    def _addon(self, **values):
        return self._line(
            **{"product_id": self.product_addon.id, "new_quantity": 1, **values}
        )

    def test_malformed_calls(self):
        users_line = self._users(self.on_time).id
        other = self._start(self._create_subscription())
        company_b_subscription = self._start(
            self._create_subscription(
                company_id=self.company_b.id,
                pricelist_id=self.env["product.pricelist"]
                .create({"name": "B", "company_id": self.company_b.id})
                .id,
            )
        )
        archived = self._create_product("Discontinued add-on", 4.0)
        archived.active = False
        closed = self._start(self._create_subscription())
        closed.close_subscription()
        not_started = self._create_subscription()
        today = fields.Date.to_string(self.today)
        calls = [
            # numbers
            (self._quantity("ten"), "must be a number"),
            (self._quantity([10]), "must be a number"),
            (self._quantity(True), "must be a number"),
            (self._quantity(math.nan), "must be a number"),
            (self._quantity(math.inf), "must be a number"),
            (self._quantity(-math.inf), "must be a number"),
            (self._quantity(1e12), "cannot exceed 1,000,000"),
            (self._quantity(-3), "cannot be negative"),
            (self._addon(price_unit="ten"), "must be a number"),
            (self._addon(price_unit=math.nan), "must be a number"),
            (self._addon(price_unit=-5.0), "cannot be negative"),
            (self._addon(price_unit=0.0), "Set a unit price"),
            # ids
            (
                {"subscription_id": 987654321, "line_ids": []},
                "not the id of an existing",
            ),
            (
                {"subscription_id": "SUB001", "line_ids": []},
                "not the id of an existing",
            ),
            (
                self._line(subscription_line_id=987654321, new_quantity=3),
                "not the id of an existing",
            ),
            (
                self._line(product_id=987654321, new_quantity=1, price_unit=5.0),
                "not the id of an existing",
            ),
            (
                self._line(
                    subscription_line_id=other.sale_subscription_line_ids.id,
                    new_quantity=3,
                ),
                "line of another subscription",
            ),
            (
                self._line(
                    subscription_line_id=(
                        company_b_subscription.sale_subscription_line_ids.id
                    ),
                    new_quantity=3,
                ),
                "line of another subscription|not allowed|access",
            ),
            (
                {
                    "subscription_id": self.on_time.id,
                    "line_ids": [
                        (0, 0, {"subscription_line_id": users_line, "new_quantity": 3}),
                        (0, 0, {"subscription_line_id": users_line, "new_quantity": 4}),
                    ],
                },
                "changed twice",
            ),
            (self._addon(product_id=archived.id, price_unit=4.0), "archived"),
            # dates
            ({**self._quantity(3), "effective_date": "2024-13-45"}, "must be a date"),
            ({**self._quantity(3), "effective_date": [2024, 7, 10]}, "must be a date"),
            ({**self._quantity(3), "effective_date": 20240710}, "must be a date"),
            (
                {**self._quantity(3), "effective_date": "9999-12-31"},
                "must lie between",
            ),
            (
                {
                    **self._quantity(3),
                    "effective_date": fields.Date.to_string(
                        self.today - relativedelta(days=1)
                    ),
                },
                "is before the request date",
            ),
            ({**self._quantity(3), "request_date": "yesterday"}, "must be a date"),
            # the contract
            (
                {
                    "subscription_id": closed.id,
                    "line_ids": [
                        (
                            0,
                            0,
                            {
                                "subscription_line_id": (
                                    closed.sale_subscription_line_ids.id
                                ),
                                "new_quantity": 3,
                            },
                        )
                    ],
                },
                "is not running",
            ),
            (
                {
                    "subscription_id": not_started.id,
                    "line_ids": [
                        (
                            0,
                            0,
                            {
                                "subscription_line_id": (
                                    not_started.sale_subscription_line_ids.id
                                ),
                                "new_quantity": 3,
                            },
                        )
                    ],
                },
                "is not running",
            ),
            # the shape
            ({"subscription_id": self.on_time.id, "line_ids": "3 users"}, "list"),
            (
                {
                    "subscription_id": self.on_time.id,
                    "line_ids": [(4, self.done.line_ids.id, 0)],
                },
                "Invalid command",
            ),
            ({"subscription_id": self.on_time.id, "line_ids": []}, "changes nothing"),
            ({**self._quantity(3), "seats": 3}, "Invalid field"),
            ([self._quantity(3)], "takes the values of one amendment"),
        ]
        self.assertGreaterEqual(len(calls), 25)
        for values, refusal in calls:
            self._refused(values, refusal)
        # an administrator may not date a request in the future either
        self._refused(
            {**self._quantity(3), "request_date": "2999-01-01"},
            "in the future",
            role="amendment admin",
        )
        # nor may anyone write past these checks on a draft
        draft = self._rpc(
            self.users["amendment user"],
            "sale.subscription.amendment",
            "create",
            self._quantity(3),
        )
        for values, refusal in (
            ({"effective_date": [2024, 7, 10]}, "must be a date"),
            ({"line_ids": [(1, 987654321, {"new_quantity": math.nan})]}, "number"),
            ({"request_date": today}, "Only an administrator"),
            ({"state": "done"}, "Apply or Cancel"),
        ):
            self._attempt(
                f"write {values!r}",
                NO,
                lambda values=values: self._rpc(
                    self.users["amendment user"],
                    "sale.subscription.amendment",
                    "write",
                    [draft],
                    values,
                ),
                refusal=refusal,
            )
