# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Shared fixtures: a customer, monthly products and a subscription template.

No demo data is used, and every date is explicit: subscription_oca's
``date.today()`` field defaults are evaluated at import time.
"""

import unittest
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.service import server
from odoo.tests import HttpCase, TransactionCase


class SubscriptionCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.currency = cls.company.currency_id
        cls.pricelist = cls.env["product.pricelist"].create(
            {"name": "Subscriptions", "currency_id": cls.currency.id}
        )
        cls.partner = cls.env["res.partner"].create(
            {"name": "Customer SAS", "property_product_pricelist": cls.pricelist.id}
        )
        cls.income_account = cls.env["account.account"].create(
            {"name": "Subscription revenue", "code": "706100", "account_type": "income"}
        )
        cls.tax = cls.env["account.tax"].create(
            {"name": "VAT 20 %", "amount": 20.0, "type_tax_use": "sale"}
        )
        cls.product_users = cls._create_product("Users", 25.0)
        cls.product_numbers = cls._create_product("Phone numbers", 6.0)
        cls.product_addon = cls._create_product("Analytics add-on", 10.0)
        cls.template = cls.env["sale.subscription.template"].create(
            {
                "name": "Monthly",
                "code": "MON",
                "recurring_interval": 1,
                "recurring_rule_type": "months",
                "recurring_rule_boundary": "unlimited",
                "invoicing_mode": "draft",
                "term_interval": 12,
                "term_unit": "month",
            }
        )
        cls.sale_journal = cls.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", cls.company.id)], limit=1
        )

    @classmethod
    def _start(cls, subscription):
        subscription.action_start_subscription()
        return subscription

    @classmethod
    def _invoice_period(cls, subscription, start, post=True):
        """Bill the period starting on ``start`` through subscription_oca."""
        subscription.recurring_next_date = start
        before = subscription.invoice_ids
        subscription.generate_invoice()
        invoice = subscription.invoice_ids - before
        if post:
            invoice.action_post()
        return invoice

    def _amend(self, subscription, quantities, effective=None, add=(), **values):
        """Create an amendment: ``quantities`` maps products to new quantities."""
        lines = [
            Command.create(
                {
                    "subscription_line_id": line.id,
                    "new_quantity": quantities[line.product_id],
                }
            )
            for line in subscription.sale_subscription_line_ids
            if line.product_id in quantities
        ]
        lines += [
            Command.create(
                {
                    "product_id": product.id,
                    "new_quantity": quantity,
                    "price_unit": price,
                }
            )
            for product, quantity, price in add
        ]
        if effective:
            values["effective_date"] = effective
        return self.env["sale.subscription.amendment"].create(
            {"subscription_id": subscription.id, "line_ids": lines, **values}
        )

    # -- an accountant's actions, as the UI runs them --------------------------

    def _post_entries(self, moves):
        """The list's *Post entries* action on a selection (``validate.account.move``)."""
        self.env["validate.account.move"].with_context(
            active_model="account.move", active_ids=moves.ids
        ).create({}).validate_move()

    def _reverse_and_replace(self, invoice, day, reason="wrong reference"):
        """*Reverse* → *Reverse and create invoice* (``modify_moves``) on ``day``:
        returns the new draft invoice."""
        with freeze_time(day):
            reversal = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"reason": reason, "journal_id": invoice.journal_id.id})
            )
            reversal.modify_moves()
        return reversal.new_move_ids

    def _register_payment(self, invoice, amount, day):
        """*Register payment* on ``invoice`` for ``amount`` (partial: kept open)."""
        with freeze_time(day):
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"amount": amount, "payment_date": day}).action_create_payments()

    @staticmethod
    def _receivable(move):
        return move.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
        )

    @classmethod
    def _matched_moves(cls, move):
        """The moves whose receivable lines are reconciled with ``move``'s."""
        lines = cls._receivable(move)
        return (
            lines.matched_debit_ids.debit_move_id
            | lines.matched_credit_ids.credit_move_id
        ).move_id

    @classmethod
    def _create_product(cls, name, price):
        return cls.env["product.product"].create(
            {
                "name": name,
                "type": "service",
                "list_price": price,
                "taxes_id": [Command.set(cls.tax.ids)],
                "property_account_income_id": cls.income_account.id,
            }
        )

    @classmethod
    def _create_subscription(cls, start=date(2024, 1, 6), lines=None, **values):
        lines = lines or [(cls.product_users, 10)]
        # in its company, as a user working in it creates it (taxes, say)
        company = cls.env["res.company"].browse(values.get("company_id"))
        return (
            cls.env["sale.subscription"]
            .with_company(company or cls.company)
            .create(
                {
                    "partner_id": cls.partner.id,
                    "pricelist_id": cls.pricelist.id,
                    "template_id": cls.template.id,
                    "date_start": start,
                    "recurring_next_date": start,
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
                    **values,
                }
            )
        )


class LiveServerCase(HttpCase):
    """Tests that call the test server (XML-RPC, a browser): skipped, with the
    reason, when pytest-odoo runs without an HTTP server."""

    def setUp(self):
        super().setUp()
        if server.server is None:
            raise unittest.SkipTest(
                "no Odoo HTTP server: run pytest-odoo with --odoo-http "
                "(scripts/test.sh does)"
            )
