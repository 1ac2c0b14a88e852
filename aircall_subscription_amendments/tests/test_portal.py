# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A customer's change requests, through the one public method of the portal
(``sale.subscription.portal_request_amendment``), as the portal user calls it.

Contract: started 6 January 2024, 12-month term → renewal 6 January 2025, 30
notice days → notice deadline 7 December 2024. The period 6 December 2024 –
5 January 2025 (31 days) is invoiced and posted. The customer's portal user is
in Europe/Paris. The pages, the tours and RPC are in test_portal_http.py.
"""

from contextlib import closing
from datetime import date

import psycopg2.errors
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import mute_logger

from .common_portal import PortalCase


class TestPortalRequests(PortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2024-01-06"):
            cls.subscription = cls._customer_subscription(
                lines=[(cls.product_users, 10), (cls.product_numbers, 3)]
            )
            cls.subscription.flush_recordset()
            cls.elsewhere = cls._outsider_subscription()
        cls.invoice = cls._invoice_period(cls.subscription, date(2024, 12, 6))
        cls.users_line = cls._line(cls.subscription, cls.product_users)

    def _request(self, quantities, user=None, subscription=None, **values):
        subscription = subscription or self.subscription
        return self.env["sale.subscription.amendment"].browse(
            subscription.with_user(user or self.customer_user).portal_request_amendment(
                self._request_values(subscription, quantities, **values)
            )
        )

    # -- the notice rule, on the request's own date --------------------------------

    def test_request_before_the_deadline_confirmed_after_it_is_applied(self):
        with freeze_time("2024-12-07 10:00:00"):
            request = self._request({self.product_users: 6})
        self.assertEqual(request.state, "requested")
        self.assertEqual(request.request_date, date(2024, 12, 7))
        self.assertEqual(request.effective_date, date(2024, 12, 7))
        self.assertEqual(request.user_id, self.customer_user)
        self.assertFalse(request.move_ids)
        self.assertEqual(self.users_line.product_uom_qty, 10)
        # the salesperson is asked to answer
        self.assertEqual(request.activity_ids.user_id, self.manager)
        with freeze_time("2024-12-20"):
            # a reduction submitted today would be refused...
            with self.assertRaisesRegex(UserError, "Too late to reduce"):
                self._amend(self.subscription, {self.product_numbers: 1}).action_apply()
            # ...but the request keeps the day it was sent
            request.with_user(self.manager).action_apply()
        self.assertEqual(request.state, "done")
        self.assertEqual(request.request_date, date(2024, 12, 7))
        self.assertEqual(self.users_line.product_uom_qty, 6)
        credit_note = request.move_ids
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.reversed_entry_id, self.invoice)
        # 4 users × 25.00 × 30/31 days
        self.assertAlmostEqual(credit_note.amount_untaxed, 96.77)
        self.assertFalse(request.activity_ids)
        [answer] = self._answers(request)
        self.assertIn("is confirmed", answer.subject)
        self.assertIn("Users: 10 → 6", answer.body)

    @freeze_time("2024-12-08 10:00:00")
    def test_late_reduction_is_refused_and_nothing_is_created(self):
        before = self.fingerprint()
        for quantities, values in (
            ({self.product_users: 6}, {}),
            ({}, {"cancel_renewal": True}),
            ({self.product_users: 0}, {}),
            ({self.product_users: 12, self.product_numbers: 1}, {}),
        ):
            with self.assertRaisesRegex(UserError, "Too late to reduce or cancel"):
                self._request(quantities, **values)
        self.assertUnchanged(before, "late reductions")
        preview = self.subscription.with_user(
            self.customer_user
        ).portal_preview_amendment(
            self._request_values(self.subscription, {self.product_users: 6})
        )
        self.assertRegex(preview["error"], "Too late to reduce .* 12/07/2024")
        # upgrades are accepted at any time
        self.assertEqual(self._request({self.product_users: 12}).state, "requested")

    def test_request_date_is_the_day_in_the_companys_timezone(self):
        # 23:30 in UTC on the deadline day: 00:30 on 8 December in Paris
        with freeze_time("2024-12-07 23:30:00"):
            self.company.amendment_timezone = "Europe/Paris"
            with self.assertRaisesRegex(UserError, r"Too late.*\(Europe/Paris\)"):
                self._request({self.product_users: 6})
            # whatever timezone the customer has, or the call claims
            for user_tz, context_tz in (("Etc/GMT+12", "Etc/GMT+12"), (False, None)):
                self.customer_user.tz = user_tz
                with self.assertRaisesRegex(UserError, "Too late"):
                    self.subscription.with_user(self.customer_user).with_context(
                        tz=context_tz
                    ).portal_request_amendment(
                        self._request_values(self.subscription, {self.product_users: 6})
                    )
            # the company counts in UTC: still the 7th, for a customer in Paris too
            self.company.amendment_timezone = "UTC"
            self.customer_user.tz = "Europe/Paris"
            request = self._request({self.product_users: 6})
        self.assertEqual(request.request_date, date(2024, 12, 7))

    # -- what a request may say ----------------------------------------------

    @freeze_time("2024-12-02 10:00:00")
    def test_a_request_says_only_quantities_of_its_lines_renewal_and_date(self):
        other_line = self.elsewhere.sale_subscription_line_ids
        users, line = self.users_line.id, {"subscription_line_id": self.users_line.id}
        refused = [
            # prices, products, other lines
            {"lines": [{**line, "new_quantity": 6, "price_unit": 1.0}]},
            {"lines": [{**line, "new_quantity": 6, "product_id": 1}]},
            {"lines": [{"product_id": self.product_addon.id, "new_quantity": 1}]},
            {"lines": [{"subscription_line_id": other_line.id, "new_quantity": 1}]},
            {"lines": [{"subscription_line_id": True, "new_quantity": 1}]},
            {"lines": [{"subscription_line_id": str(users), "new_quantity": 1}]},
            {"lines": [{**line}]},
            {"lines": [{**line, "new_quantity": "six"}]},
            {"lines": [{**line, "new_quantity": float("nan")}]},
            {"lines": [{**line, "new_quantity": -1}]},
            {"lines": [{**line, "new_quantity": 6, "old_quantity": "ten"}]},
            {"lines": [[users, 6]]},
            {"lines": "6 users"},
            # what the addon sets itself
            {"request_date": "2024-11-01"},
            {"state": "done"},
            {"user_id": self.manager.id},
            {"override_reason": "the customer asked nicely"},
            {"note": "internal"},
            {"subscription_id": self.elsewhere.id},
            {"line_ids": [Command.create({**line, "new_quantity": 6})]},
            {"refusal_reason": "none"},
            # shapes
            {"cancel_renewal": "yes"},
            {
                "effective_date": [2024, 12, 10],
                **{"lines": [{**line, "new_quantity": 6}]},
            },
            {"effective_date": "2025-02-01", "lines": [{**line, "new_quantity": 6}]},
            {"effective_date": "2024-12-01", "lines": [{**line, "new_quantity": 6}]},
            {"lines": []},
            [{"lines": []}],
        ]
        customer = self.subscription.with_user(self.customer_user)
        before = self.fingerprint()
        for values in refused:
            for method in (
                customer.portal_preview_amendment,
                customer.portal_request_amendment,
            ):
                with (
                    self.subTest(values=values, method=method.__name__),
                    closing(self.env.cr.savepoint()),
                ):
                    try:
                        result = method(values)
                    except (AccessError, UserError, ValidationError):
                        continue
                    # a preview may answer with the refusal instead
                    self.assertEqual(method, customer.portal_preview_amendment)
                    self.assertTrue(result["error"], values)
        self.assertUnchanged(before, "refused requests")
        # the same request, as allowed: new quantities, a removed line, the date
        request = self._request(
            {self.product_users: 6, self.product_numbers: 0},
            effective_date="2024-12-10",
        )
        self.assertEqual(
            sorted((line.product_id, line.new_quantity) for line in request.line_ids),
            sorted([(self.product_users, 6.0), (self.product_numbers, 0.0)]),
        )
        self.assertEqual(request.effective_date, date(2024, 12, 10))

    @freeze_time("2024-12-02 10:00:00")
    def test_at_most_one_open_request(self):
        first = self._request({self.product_users: 6})
        with self.assertRaisesRegex(UserError, "already has an open change request"):
            self._request({self.product_numbers: 1})
        self.assertEqual(self.subscription.amendment_ids, first)
        # the database says so too, whatever runs concurrently
        draft = self._amend(self.subscription, {self.product_numbers: 2})
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(
                "UPDATE sale_subscription_amendment SET state = 'requested' "
                "WHERE id = %s",
                [draft.id],
            )
        # once answered, another one may be sent
        first.with_user(self.manager).action_refuse("Please call us first.")
        self.assertEqual(self._request({self.product_numbers: 1}).state, "requested")

    @freeze_time("2024-12-02 10:00:00")
    def test_confirming_fails_if_the_lines_changed_since_the_request(self):
        request = self._request({self.product_users: 6})
        admin = self.users["amendment admin"]
        self.users_line.with_user(admin).write_with_override(
            {"product_uom_qty": 8}, "the customer called"
        )
        with self.assertRaisesRegex(UserError, "changed since this amendment"):
            request.with_user(self.manager).action_apply()
        self.assertEqual(request.state, "requested")

    # -- answers -------------------------------------------------------------

    @freeze_time("2024-12-02 10:00:00")
    def test_refusal_needs_a_reason_that_the_customer_reads(self):
        request = self._request({self.product_users: 6})
        for reason in ("", "   ", False, ["no"]):
            with self.assertRaisesRegex(ValidationError, "reason"):
                request.with_user(self.manager).action_refuse(reason)
        with self.assertRaises(AccessError):
            request.with_user(self.customer_user).action_refuse("mine")
        with self.assertRaisesRegex(UserError, "Refuse|refusing"):
            request.with_user(self.manager).write({"refusal_reason": "direct"})
        request.with_user(self.manager).action_refuse("Six users cannot run the line.")
        self.assertEqual(request.state, "refused")
        self.assertEqual(self.users_line.product_uom_qty, 10)
        self.assertFalse(request.activity_ids)
        [read] = request.with_user(self.customer_user).read(["state", "refusal_reason"])
        self.assertEqual(read["refusal_reason"], "Six users cannot run the line.")
        [answer] = self._answers(request)
        self.assertIn("is refused", answer.subject)
        self.assertIn("Six users cannot run the line.", answer.body)
        # refused is an answer: neither confirmed nor refused again
        with self.assertRaisesRegex(
            UserError, "already been applied, cancelled or refused"
        ):
            request.with_user(self.manager).action_apply()
        with self.assertRaisesRegex(UserError, "not one"):
            request.with_user(self.manager).action_refuse("again")

    @freeze_time("2024-12-02 10:00:00")
    def test_refusal_mail_in_the_customers_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(
            ["aircall_subscription_amendments"], ["fr_FR"], overwrite=True
        )
        self.customer_user.partner_id.lang = "fr_FR"
        request = self._request({self.product_users: 6})
        request.with_user(self.manager).action_refuse("Merci de nous appeler.")
        [answer] = self._answers(request)
        self.assertEqual(
            answer.subject,
            f"{self.company.name} : votre demande de modification {request.name} "
            "est refusée",
        )
        self.assertIn("Merci de nous appeler.", answer.body)
        self.assertIn("Bonjour", answer.body)

    @freeze_time("2024-12-08 10:00:00")
    def test_upgrades_wait_unless_the_company_applies_them_at_once(self):
        waiting = self._request({self.product_users: 12})
        self.assertEqual(waiting.state, "requested")
        waiting.with_user(self.manager).action_refuse("Not now.")
        self.company.amendment_portal_apply_upgrades = True
        applied = self._request({self.product_users: 12})
        self.assertEqual(applied.state, "done")
        self.assertEqual(self.users_line.product_uom_qty, 12)
        self.assertEqual(applied.move_ids.move_type, "out_invoice")
        [answer] = self._answers(applied)
        self.assertIn("is confirmed", answer.subject)
        # only upgrades: a late reduction is still refused, an early one waits
        with self.assertRaisesRegex(UserError, "Too late"):
            self._request({self.product_users: 10})

    # -- rights ----------------------------------------------------------------

    @freeze_time("2024-12-02 10:00:00")
    def test_another_customers_subscription_is_out_of_reach(self):
        outsider = self.outsider
        subscriptions = self.env["sale.subscription"].with_user(outsider)
        self.assertEqual(subscriptions.search([]), self.elsewhere)
        with self.assertRaises(AccessError):
            self.subscription.with_user(outsider).read(["name"])
        for method in ("portal_preview_amendment", "portal_request_amendment"):
            with self.assertRaises(AccessError):
                getattr(self.subscription.with_user(outsider), method)(
                    self._request_values(self.subscription, {self.product_users: 6})
                )
            # not even through the superuser record a controller holds
            with self.assertRaises(AccessError):
                getattr(self.subscription.with_user(outsider).sudo(), method)(
                    self._request_values(self.subscription, {self.product_users: 6})
                )
        self.assertFalse(self.subscription.amendment_ids)
        # and what the customer reads stays theirs
        request = self._request({self.product_users: 6})
        amendments = self.env["sale.subscription.amendment"].with_user(outsider)
        self.assertFalse(amendments.search([]))
        with self.assertRaises(AccessError):
            request.with_user(outsider).read(["state"])
        with self.assertRaises(AccessError):
            request.line_ids.with_user(outsider).read(["new_quantity"])

    @freeze_time("2024-12-02 10:00:00")
    def test_the_customer_reads_and_writes_nothing_else(self):
        request = self._request({self.product_users: 6})
        customer = self.customer_user
        amendments = self.env["sale.subscription.amendment"].with_user(customer)
        self.assertEqual(amendments.search([]), request)
        # internal fields
        for fname in ("note", "override_reason"):
            self.assertNotIn(fname, amendments.fields_get())
            with self.assertRaises(AccessError):
                request.with_user(customer).read([fname])
        self.assertNotIn("note", request.with_user(customer).read()[0])
        # no write of any kind
        attempts = {
            "create": lambda: amendments.create(
                {
                    "subscription_id": self.subscription.id,
                    "line_ids": [
                        Command.create(
                            {
                                "subscription_line_id": self.users_line.id,
                                "new_quantity": 2,
                            }
                        )
                    ],
                }
            ),
            "create_and_apply": lambda: amendments.create_and_apply(
                {"subscription_id": self.subscription.id}
            ),
            "action_apply": lambda: request.with_user(customer).action_apply(),
            "write state": lambda: request.with_user(customer).write({"state": "done"}),
            "write line": lambda: request.line_ids.with_user(customer).write(
                {"new_quantity": 1}
            ),
            "unlink": lambda: request.with_user(customer).unlink(),
            "subscription": lambda: self.subscription.with_user(customer).write(
                {"auto_renew": False}
            ),
            "subscription line": lambda: self.users_line.with_user(customer).write(
                {"product_uom_qty": 1}
            ),
        }
        before = self.fingerprint()
        for name, attempt in attempts.items():
            with self.subTest(name), closing(self.env.cr.savepoint()):
                with self.assertRaises(UserError):
                    attempt()
        self.assertUnchanged(before, "a portal user's writes")

    @freeze_time("2024-12-02 10:00:00")
    def test_the_context_grants_nothing(self):
        keys = [
            ("aircall_amendment_request", True),
            ("aircall_amendment_request", "1"),
            ("aircall_amendment_apply", True),
            ("default_state", "requested"),
        ]
        customer = self.customer_user
        before = self.fingerprint()
        values = {
            "subscription_id": self.subscription.id,
            "line_ids": [
                Command.create(
                    {"subscription_line_id": self.users_line.id, "new_quantity": 2}
                )
            ],
        }
        for key, value in keys:
            # the customer may not create, the account manager not as requested
            for user, state in ((customer, "draft"), (self.manager, "requested")):
                with (
                    self.subTest(key=key, value=value, user=user.login),
                    closing(self.env.cr.savepoint()),
                ):
                    amendments = self.env["sale.subscription.amendment"].with_user(user)
                    with self.assertRaises(UserError):
                        amendments.with_context(**{key: value}).create(
                            dict(values, state=state)
                        )
        self.assertUnchanged(before, "context keys")
        # an account manager may not send a customer's request either
        with self.assertRaisesRegex(AccessError, "portal users"):
            self.subscription.with_user(self.manager).portal_request_amendment(
                self._request_values(self.subscription, {self.product_users: 6})
            )
