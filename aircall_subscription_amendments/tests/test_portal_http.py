# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The customer portal over HTTP, as a browser and an RPC client use it.

The server lives in real time: the customer's subscription renews in 9 months
and its period starting today is invoiced and posted; a second one renews in 10
days, inside its 30-day notice period. Another customer has a portal user and
a subscription of their own.

Needs pytest-odoo's ``--odoo-http`` (scripts/test.sh gives it); the tours need
headless Chromium too. Without them the tests are skipped, with the reason.
"""

import json
import re
import xmlrpc.client

from dateutil.relativedelta import relativedelta

from odoo.tests import tagged

from .. import tools
from .common import LiveServerCase
from .common_portal import PortalCase
from .test_tour import skip_without_browser


class PortalHttpCase(LiveServerCase, PortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = tools.company_today(cls.company)
        cls.product_users.name = "Tour users"
        cls.subscription = cls._customer_subscription(
            start=cls.today - relativedelta(months=3)
        )
        cls.invoice = cls._invoice_period(cls.subscription, cls.today)
        cls.late = cls._customer_subscription(
            start=cls.today + relativedelta(months=-12, days=10)
        )
        cls._invoice_period(cls.late, cls.today + relativedelta(months=-1, days=10))
        cls.elsewhere = cls._outsider_subscription()
        cls.users_line = cls._line(cls.subscription, cls.product_users)

    def _login(self, user):
        self.authenticate(user.login, user.login)

    def _open(self, path, **kwargs):
        return self.url_open(path, allow_redirects=False, **kwargs)

    def _csrf_token(self, path):
        page = self.url_open(path)
        self.assertEqual(page.status_code, 200, path)
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def _form(self, subscription, quantity, action="send", **fields):
        line = self._line(subscription, self.product_users)
        return {
            f"quantity_{line.id}": str(quantity),
            f"old_quantity_{line.id}": repr(line.product_uom_qty),
            "effective_date": str(self.today),
            "action": action,
            **fields,
        }

    def _call_kw(self, model, method, args, kwargs=None):
        """``/web/dataset/call_kw`` in the current session: (result, error message)."""
        response = self.url_open(
            "/web/dataset/call_kw",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": {
                        "model": model,
                        "method": method,
                        "args": args,
                        "kwargs": kwargs or {},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        answer = response.json()
        self.env.invalidate_all()
        if "error" in answer:
            return None, answer["error"]["data"]["message"]
        return answer["result"], None

    def _requests(self, subscription):
        self.env.invalidate_all()
        return subscription.amendment_ids


@tagged("post_install", "-at_install")
class TestPortalTours(PortalHttpCase):
    def setUp(self):
        super().setUp()
        skip_without_browser()

    def test_request_in_the_portal_then_find_the_credit_note(self):
        self.start_tour(
            "/my", "aircall_subscription_portal_request_tour", login="portal_customer"
        )
        request = self._requests(self.subscription)
        self.assertEqual(request.state, "requested")
        self.assertEqual(request.user_id, self.customer_user)
        self.assertEqual(request.request_date, self.today)
        self.assertEqual(self.users_line.product_uom_qty, 10)
        # the account manager confirms it; the company posts the documents
        self.company.amendment_auto_post = True
        request.with_user(self.manager).action_apply()
        self.assertEqual(request.state, "done")
        credit_note = request.move_ids
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(credit_note.reversed_entry_id, self.invoice)
        self.assertEqual(credit_note.amount_untaxed, 100.0)
        self.start_tour(
            "/my/invoices",
            "aircall_subscription_portal_credit_note_tour",
            login="portal_customer",
        )

    def test_a_late_request_scheduled_for_the_next_renewal_then_withdrawn(self):
        self.start_tour(
            f"/my/subscriptions/{self.late.id}",
            "aircall_subscription_portal_schedule_tour",
            login="portal_customer",
        )
        request = self._requests(self.late)
        next_renewal = self.late.renewal_date + relativedelta(months=12)
        self.assertEqual(
            (request.state, request.effective_date, request.request_date),
            ("requested", next_renewal, self.today),
        )
        request.with_user(self.manager).action_apply()
        self.assertEqual(request.state, "scheduled")
        self.assertEqual(self._line(self.late, self.product_users).product_uom_qty, 10)
        self.start_tour(
            f"/my/subscriptions/{self.late.id}",
            "aircall_subscription_portal_withdraw_tour",
            login="portal_customer",
        )
        self.env.invalidate_all()
        self.assertEqual(request.state, "cancel")


@tagged("post_install", "-at_install")
class TestPortalAccess(PortalHttpCase):
    def test_pages_open_to_the_customer_or_a_token_only(self):
        page = self.subscription.access_url
        token = self.subscription._portal_ensure_token()
        elsewhere_token = self.elsewhere._portal_ensure_token()
        # nobody logged in: the list and the form ask for a login
        for path in ("/my/subscriptions", f"{page}/request"):
            response = self._open(path)
            self.assertEqual(response.status_code, 303, path)
            self.assertIn("/web/login", response.headers["Location"])
        # nobody logged in, no token or another record's token: back to /my
        for path in (page, f"{page}?access_token={elsewhere_token}"):
            response = self._open(path)
            self.assertIn(response.status_code, (302, 303), path)
            self.assertNotIn(self.subscription.name, response.text)
        # the token opens the read-only page, not the form
        response = self._open(f"{page}?access_token={token}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.subscription.name, response.text)
        self.assertNotIn("o_subscription_request", response.text)
        response = self._open(f"{page}/request?access_token={token}")
        self.assertIn("/web/login", response.headers["Location"])
        # another customer's portal user: their own subscriptions only
        self._login(self.outsider)
        response = self.url_open("/my/subscriptions")
        self.assertIn(self.elsewhere.name, response.text)
        self.assertNotIn(self.subscription.name, response.text)
        for path in (
            page,
            f"{page}?access_token={elsewhere_token}",
            f"{page}/request",
            f"{page}/request?access_token={token}",
        ):
            response = self._open(path)
            self.assertIn(response.status_code, (302, 303), path)
            self.assertTrue(response.headers["Location"].endswith("/my"), path)
        # with the right token, they read the page, and cannot request
        response = self._open(f"{page}?access_token={token}")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("o_subscription_request", response.text)
        csrf = self._csrf_token(f"{self.elsewhere.access_url}/request")
        response = self._open(
            f"{page}/request",
            data=self._form(self.subscription, 6, csrf_token=csrf),
        )
        self.assertTrue(response.headers["Location"].endswith("/my"))
        self.assertFalse(self._requests(self.subscription))
        # the customer: the list, the page, the counter on /my
        self._login(self.customer_user)
        response = self.url_open("/my/subscriptions")
        self.assertIn(self.subscription.name, response.text)
        self.assertNotIn(self.elsewhere.name, response.text)
        response = self.url_open(page)
        self.assertIn("o_subscription_request", response.text)
        self.assertIn("day(s) left", response.text)
        self.assertIn(self.invoice.name, response.text)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["subscription_count"]}
        )
        self.assertEqual(counters, {"subscription_count": 2})

    def test_the_form_needs_a_login_and_csrf(self):
        page = self.subscription.access_url
        token = self.subscription._portal_ensure_token()
        # no login, even with the token
        response = self._open(
            f"{page}/request?access_token={token}",
            data=self._form(self.subscription, 6),
        )
        self.assertIn("/web/login", response.headers["Location"])
        # logged in, no CSRF token or a wrong one
        self._login(self.customer_user)
        for csrf in (None, "forged"):
            form = self._form(self.subscription, 6)
            if csrf:
                form["csrf_token"] = csrf
            response = self._open(f"{page}/request", data=form)
            self.assertEqual(response.status_code, 400)
        self.assertFalse(self._requests(self.subscription))
        # with both: previewed, then sent
        csrf = self._csrf_token(f"{page}/request")
        response = self.url_open(
            f"{page}/request",
            data=self._form(self.subscription, 6, action="preview", csrf_token=csrf),
        )
        self.assertIn("Credit note", response.text)
        self.assertIn('value="send"', response.text)
        self.assertFalse(self._requests(self.subscription))
        response = self._open(
            f"{page}/request", data=self._form(self.subscription, 6, csrf_token=csrf)
        )
        self.assertTrue(response.headers["Location"].endswith("?message=sent"))
        request = self._requests(self.subscription)
        self.assertEqual(
            (request.state, request.user_id, request.request_date),
            ("requested", self.customer_user, self.today),
        )

    def test_late_reduction_refused_in_the_portal_and_over_rpc(self):
        page = self.late.access_url
        self._login(self.customer_user)
        # the form says the deadline passed, and which renewal a reduction
        # sent now can still meet (issue 24: it offers to schedule it)
        response = self.url_open(f"{page}/request")
        self.assertIn("has passed", response.text)
        self.assertIn("can still be scheduled for the renewal of", response.text)
        # a forged POST is refused with the reason
        csrf = self._csrf_token(f"{page}/request")
        response = self.url_open(
            f"{page}/request", data=self._form(self.late, 6, csrf_token=csrf)
        )
        self.assertIn("Too late to reduce or cancel", response.text)
        self.assertFalse(self._requests(self.late))
        # the same answers over /web/dataset/call_kw
        line = self._line(self.late, self.product_users).id
        values = {"lines": [{"subscription_line_id": line, "new_quantity": 6}]}
        for method in ("portal_request_amendment", "portal_preview_amendment"):
            result, error = self._call_kw(
                "sale.subscription", method, [[self.late.id], values]
            )
            if method == "portal_preview_amendment":
                error = result["error"]
            self.assertRegex(error, "Too late to reduce or cancel")
        self.assertFalse(self._requests(self.late))
        # forbidden keys, another customer's subscription, direct writes
        for args in (
            [[self.late.id], dict(values, request_date=str(self.today))],
            [[self.late.id], {"lines": [dict(values["lines"][0], price_unit=1.0)]}],
            [[self.late.id], {"state": "done"}],
            [[self.elsewhere.id], {"cancel_renewal": True}],
        ):
            result, error = self._call_kw(
                "sale.subscription", "portal_request_amendment", args
            )
            self.assertIsNone(result)
            self.assertRegex(error, "may only give|not allowed|access", args)
        for model, method, args in (
            (
                "sale.subscription.amendment",
                "create",
                [{"subscription_id": self.late.id, "cancel_renewal": True}],
            ),
            ("sale.subscription", "write", [[self.late.id], {"auto_renew": False}]),
            (
                "sale.subscription.line",
                "write",
                [[line], {"product_uom_qty": 1}],
            ),
            ("sale.subscription", "_portal_amendment_values", [[self.late.id], {}]),
        ):
            result, error = self._call_kw(model, method, args)
            self.assertTrue(error, (model, method))
        self.assertFalse(self._requests(self.late))
        self.assertEqual(self._line(self.late, self.product_users).product_uom_qty, 10)
        # an upgrade is accepted over RPC, and waits for its confirmation
        result, error = self._call_kw(
            "sale.subscription",
            "portal_request_amendment",
            [
                [self.late.id],
                {"lines": [{"subscription_line_id": line, "new_quantity": 12}]},
            ],
        )
        self.assertFalse(error)
        self.assertEqual(self._requests(self.late).ids, [result])
        self.assertEqual(self._requests(self.late).state, "requested")

    def test_another_customers_subscription_over_xmlrpc(self):
        uid = self.xmlrpc_common.authenticate(
            self.env.cr.dbname, self.outsider.login, self.outsider.login, {}
        )
        line = self.users_line.id
        for method, args in (
            ("read", [[self.subscription.id], ["name"]]),
            (
                "portal_request_amendment",
                [
                    [self.subscription.id],
                    {"lines": [{"subscription_line_id": line, "new_quantity": 6}]},
                ],
            ),
        ):
            with self.assertRaises(xmlrpc.client.Fault):
                self.xmlrpc_object.execute_kw(
                    self.env.cr.dbname,
                    uid,
                    self.outsider.login,
                    "sale.subscription",
                    method,
                    args,
                )
        self.assertFalse(self._requests(self.subscription))
