# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The first three attacks of issue "Security II", over real XML-RPC: a stored
label, a stored date and a stage's type do not get a late reduction through.

The contract ``late`` renews in 10 days (inside its 30-day notice period, in
real time: the test server cannot be frozen); the salesman is its own. Each
refused call leaves every row as it was (``_attempt``).

Needs pytest-odoo's ``--odoo-http`` (scripts/test.sh gives it); skipped without.
"""

from odoo.tests import tagged

from .test_access_rpc import RpcCase


@tagged("post_install", "-at_install")
class TestInvariantOverRpc(RpcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.late.user_id = cls.users["salesman"]
        cls.manager = cls.users["amendment user"]
        cls.salesman = cls.users["salesman"]

    def _lines(self, subscription):
        return [
            (line.product_uom_qty, line.price_unit, line.discount)
            for line in subscription.sale_subscription_line_ids
        ]

    def test_a_stored_label_is_not_the_change(self):
        before = self._lines(self.late)
        draft_id = self._rpc(
            self.manager,
            "sale.subscription.amendment",
            "create",
            self._amend(self.late, 1),
        )
        self._attempt(
            "write the type of a draft reduction",
            False,
            lambda: self._rpc(
                self.manager,
                "sale.subscription.amendment",
                "write",
                [draft_id],
                {"amendment_type": "upgrade"},
            ),
            refusal="computed by the application",
        )
        # a label that got past every guard (SQL): the plan's kind is judged
        self.env.cr.execute(
            "UPDATE sale_subscription_amendment SET amendment_type = 'upgrade' "
            "WHERE id = %s",
            [draft_id],
        )
        self._attempt(
            "apply a reduction labelled an upgrade",
            False,
            lambda: self._rpc(
                self.manager,
                "sale.subscription.amendment",
                "action_apply",
                [draft_id],
            ),
            refusal="Too late to reduce or cancel",
        )
        self.assertEqual(self._lines(self.late), before)

    def test_a_stored_date_does_not_end_the_term(self):
        for user in (self.manager, self.salesman):
            for fname, value in (
                ("renewal_date", "2000-01-01"),
                ("notice_deadline", "2099-01-01"),
            ):
                self._attempt(
                    f"{user.login} writes {fname}",
                    False,
                    lambda user=user, fname=fname, value=value: self._rpc(
                        user,
                        "sale.subscription",
                        "write",
                        [self.late.id],
                        {fname: value},
                    ),
                    refusal="computed by the application",
                )
            self._attempt(
                f"{user.login} closes the contract",
                False,
                lambda user=user: self._rpc(
                    user, "sale.subscription", "close_subscription", [self.late.id]
                ),
                refusal="Too late to reduce or cancel",
            )
        self.assertTrue(self.late.in_progress)

    def test_a_stages_type_is_not_the_salesmans(self):
        stage = self.late.stage_id
        self._attempt(
            "retype the running stage",
            False,
            lambda: self._rpc(
                self.salesman,
                "sale.subscription.stage",
                "write",
                [stage.id],
                {"type": "draft"},
            ),
            refusal="only a subscription-amendment administrator",
        )
        line = self._users(self.late)
        self._attempt(
            "cut a line of the contract",
            False,
            lambda: self._rpc(
                self.salesman,
                "sale.subscription.line",
                "write",
                [line.id],
                {"product_uom_qty": 1},
            ),
            refusal="only through an amendment",
        )
        self._attempt(
            "give the line a 100 % discount",
            False,
            lambda: self._rpc(
                self.salesman,
                "sale.subscription",
                "write",
                [self.late.id],
                {"sale_subscription_line_ids": [(1, line.id, {"discount": 100})]},
            ),
            refusal="only through an amendment",
        )
        self.assertEqual(stage.type, "in_progress")

    def test_subscription_ocas_invoicing_over_rpc(self):
        """Billing a period ahead moves the next invoice date (subscription_oca's
        invoicing): the action it returns carries nothing a client cannot read."""
        before = self.on_time.recurring_next_date
        action = self._rpc(
            self.salesman, "sale.subscription", "manual_invoice", [self.on_time.id]
        )
        self.assertEqual(action["res_model"], "account.move")
        self.assertGreater(self.on_time.recurring_next_date, before)
