# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Price changes as amendments (issue 25), on the article's contract: 10 users
at 30.00, the period 6 July – 5 August 2024 (31 days) invoiced and posted, a
change from 10 July (27 days: 87 %).

- ``subscription``: started 6 January 2024, renewal 6 January 2025, notice
  deadline 7 December 2024: 10 July is before it;
- ``late``: started 6 August 2023, renewal 6 August 2024, notice deadline
  7 July 2024: 10 July is inside the notice period.
"""

from datetime import date
from fractions import Fraction

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user

from .. import rules
from .common import SubscriptionCase
from .test_wizard import MANAGER_GROUPS

JULY_10 = "2024-07-10"
SHARE = Fraction(27, 31)


def cents(value):
    return float(rules.round_amount(value, 2))


class TestPriceAmendments(SubscriptionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product_users.list_price = 30.0
        cls.manager = new_test_user(
            cls.env, login="price_manager", groups=MANAGER_GROUPS
        )
        cls.admin = new_test_user(
            cls.env,
            login="price_admin",
            groups="aircall_subscription_amendments.group_amendment_admin,"
            "sales_team.group_sale_salesman_all_leads",
        )
        cls.subscription, cls.invoice = cls._article_contract(date(2024, 1, 6))
        cls.late, cls.late_invoice = cls._article_contract(date(2023, 8, 6))

    @classmethod
    def _article_contract(cls, start):
        with freeze_time(start):
            subscription = cls._start(cls._create_subscription(start=start))
            subscription.flush_recordset()
        invoice = cls._invoice_period(subscription, date(2024, 7, 6))
        return subscription, invoice

    def _change(self, subscription, user=None, quantity=10, **line):
        sub_line = subscription.sale_subscription_line_ids
        return (
            self.env["sale.subscription.amendment"]
            .with_user(user or self.manager)
            .create_and_apply(
                {
                    "subscription_id": subscription.id,
                    "line_ids": [
                        Command.create(
                            {
                                "subscription_line_id": sub_line.id,
                                "new_quantity": quantity,
                                **line,
                            }
                        )
                    ],
                }
            )
        )

    def _state(self, subscription):
        return (
            [
                (line.product_uom_qty, line.price_unit, line.discount)
                for line in subscription.sale_subscription_line_ids
            ],
            subscription.amendment_ids,
            self.env["account.move"].search_count([]),
        )

    @staticmethod
    def _product_lines(move):
        return move.invoice_line_ids.filtered(
            lambda line: not line.subscription_rounding
        )

    # -- a cut -------------------------------------------------------------------

    def test_a_cut_before_the_deadline_credits_the_difference(self):
        with freeze_time(JULY_10):
            amendment = self._change(self.subscription, new_price_unit=27.0)
        self.assertEqual(amendment.state, "done")
        self.assertEqual(amendment.amendment_type, "downgrade")
        line = self.subscription.sale_subscription_line_ids
        self.assertEqual((line.product_uom_qty, line.price_unit), (10, 27.0))
        credit = amendment.move_ids
        self.assertEqual(credit.move_type, "out_refund")
        self.assertEqual(credit.reversed_entry_id, self.invoice)
        # 10 × 3.00 × 27/31 = 26.129…
        self.assertEqual(credit.amount_untaxed, cents(10 * 3 * SHARE))
        self.assertEqual(credit.amount_untaxed, 26.13)
        (document_line,) = self._product_lines(credit)
        self.assertEqual(
            document_line.name,
            "Users: 30.00 → 27.00 · 07/10/2024 – 08/05/2024 (87 %)",
        )
        self.assertEqual(document_line.quantity, 10)
        self.assertEqual(document_line.price_unit, 2.61)  # 3.00 × 27/31
        self.assertTrue(document_line.subscription_price_difference)
        self.assertEqual(
            document_line.subscription_repriced_line_id,
            self.invoice.invoice_line_ids,
        )
        self.assertEqual(document_line.tax_ids, self.tax)
        movement = self.env["sale.subscription.mrr.movement"].search(
            [("amendment_id", "=", amendment.id)]
        )
        self.assertEqual(
            (movement.kind, movement.mrr_before, movement.mrr_after),
            ("contraction", 300.0, 270.0),
        )

    def test_a_cut_inside_the_notice_period_is_refused(self):
        before = self._state(self.late)
        with freeze_time(JULY_10), self.assertRaises(UserError) as refusal:
            self._change(self.late, new_price_unit=27.0)
        self.assertIn("Too late to reduce", str(refusal.exception))
        self.assertEqual(self._state(self.late), before)

    def test_a_bigger_discount_inside_the_notice_period_is_refused(self):
        before = self._state(self.late)
        with freeze_time(JULY_10), self.assertRaises(UserError):
            self._change(self.late, new_discount=10.0)
        self.assertEqual(self._state(self.late), before)

    def test_an_administrator_cuts_late_with_a_reason_only(self):
        with freeze_time(JULY_10), self.assertRaises(UserError):
            self._change(self.late, user=self.admin, new_price_unit=27.0)
        with freeze_time(JULY_10):
            amendment = (
                self.env["sale.subscription.amendment"]
                .with_user(self.admin)
                .create_and_apply(
                    {
                        "subscription_id": self.late.id,
                        "override_reason": "negotiated at the renewal meeting",
                        "line_ids": [
                            Command.create(
                                {
                                    "subscription_line_id": (
                                        self.late.sale_subscription_line_ids.id
                                    ),
                                    "new_quantity": 10,
                                    "new_price_unit": 27.0,
                                }
                            )
                        ],
                    }
                )
            )
        self.assertEqual(amendment.move_ids.amount_untaxed, 26.13)

    # -- a rise ------------------------------------------------------------------

    def test_a_rise_invoices_the_difference_even_inside_the_notice_period(self):
        for subscription, invoice in (
            (self.subscription, self.invoice),
            (self.late, self.late_invoice),
        ):
            with freeze_time(JULY_10):
                amendment = self._change(subscription, new_price_unit=33.0)
            self.assertEqual(amendment.amendment_type, "upgrade")
            rise = amendment.move_ids
            self.assertEqual(rise.move_type, "out_invoice")
            self.assertEqual(rise.amount_untaxed, 26.13)
            (line,) = self._product_lines(rise)
            self.assertEqual(
                line.name, "Users: 30.00 → 33.00 · 07/10/2024 – 08/05/2024 (87 %)"
            )
            self.assertEqual(
                line.subscription_repriced_line_id, invoice.invoice_line_ids
            )
            self.assertEqual(subscription.sale_subscription_line_ids.price_unit, 33.0)

    # -- more users at a lower price -------------------------------------------------

    def test_more_users_at_a_lower_price_is_a_reduction(self):
        before = self._state(self.late)
        with freeze_time(JULY_10), self.assertRaises(UserError):
            self._change(self.late, quantity=12, new_price_unit=24.0)
        self.assertEqual(self._state(self.late), before)
        with freeze_time(JULY_10):
            amendment = self._change(
                self.subscription, quantity=12, new_price_unit=24.0
            )
        self.assertEqual(amendment.amendment_type, "downgrade")
        credit = amendment.move_ids.filtered(lambda m: m.move_type == "out_refund")
        invoice = amendment.move_ids.filtered(lambda m: m.move_type == "out_invoice")
        # the price cut on the 10 users billed, and the 2 new users at 24.00
        self.assertEqual(credit.amount_untaxed, cents(10 * 6 * SHARE))
        self.assertEqual(credit.amount_untaxed, 52.26)
        self.assertEqual(invoice.amount_untaxed, cents(2 * 24 * SHARE))
        self.assertEqual(invoice.amount_untaxed, 41.81)
        self.assertAlmostEqual(credit.amount_untaxed - invoice.amount_untaxed, 10.45)
        line = self.subscription.sale_subscription_line_ids
        self.assertEqual((line.product_uom_qty, line.price_unit), (12, 24.0))

    # -- later reductions credit at the price the period billed ----------------------

    def test_fewer_users_after_a_cut_are_credited_at_the_new_price(self):
        with freeze_time(JULY_10):
            self._change(self.subscription, new_price_unit=27.0)
        with freeze_time("2024-07-20"):
            amendment = self._change(self.subscription, quantity=6)
        (credit,) = amendment.move_ids
        self.assertEqual(credit.reversed_entry_id, self.invoice)
        # 4 × 27.00 × 17/31, not 4 × 30.00
        self.assertEqual(credit.amount_untaxed, cents(4 * 27 * Fraction(17, 31)))
        self.assertEqual(credit.amount_untaxed, 59.23)

    def test_fewer_users_after_a_rise_are_credited_on_both_documents(self):
        with freeze_time(JULY_10):
            rise = self._change(self.subscription, new_price_unit=33.0).move_ids
        with freeze_time("2024-07-20"):
            amendment = self._change(self.subscription, quantity=6)
        on_invoice = amendment.move_ids.filtered(
            lambda m: m.reversed_entry_id == self.invoice
        )
        on_rise = amendment.move_ids.filtered(lambda m: m.reversed_entry_id == rise)
        self.assertEqual(on_invoice.amount_untaxed, cents(4 * 30 * Fraction(17, 31)))
        self.assertEqual(on_rise.amount_untaxed, cents(4 * 3 * Fraction(17, 31)))
        self.assertAlmostEqual(
            on_invoice.amount_untaxed + on_rise.amount_untaxed,
            cents(4 * 33 * Fraction(17, 31)),
        )
        # the units are the invoice's: the rise bills none
        periods = self.env["sale.subscription.ledger"]._billed_periods(
            self.subscription, date(2024, 7, 21)
        )
        (period,) = periods
        self.assertEqual([line.quantity for line in period.lines], [6])
        (rise_document,) = period.documents
        self.assertEqual([line.quantity for line in rise_document.lines], [0])
        self.assertFalse(self.env["sale.subscription.ledger"]._over_credits())

    # -- who sets prices -------------------------------------------------------------

    def test_direct_price_writes_stay_refused(self):
        line = self.subscription.sale_subscription_line_ids
        for values in ({"price_unit": 27.0}, {"discount": 10.0}):
            with self.assertRaises(UserError):
                line.with_user(self.manager).write(values)
        self.assertEqual((line.price_unit, line.discount), (30.0, 0.0))

    def test_the_portal_does_not_set_prices(self):
        customer = new_test_user(
            self.env, login="price_customer", groups="base.group_portal"
        )
        customer.partner_id.parent_id = self.partner
        self.subscription.message_subscribe(partner_ids=customer.partner_id.ids)
        before = self._state(self.subscription)
        line = self.subscription.sale_subscription_line_ids
        for key in ("new_price_unit", "new_discount", "price_unit"):
            with freeze_time(JULY_10), self.assertRaises(AccessError) as refusal:
                self.subscription.with_user(customer).portal_request_amendment(
                    {
                        "lines": [
                            {
                                "subscription_line_id": line.id,
                                "new_quantity": 10,
                                key: 1.0,
                            }
                        ]
                    }
                )
            self.assertIn(
                "Prices and discounts are not allowed", str(refusal.exception)
            )
        self.assertEqual(self._state(self.subscription), before)

    # -- the wizard --------------------------------------------------------------------

    def test_the_wizard_sets_a_new_price(self):
        with freeze_time(JULY_10):
            form = Form(
                self.env["sale.subscription.amendment.wizard"]
                .with_user(self.manager)
                .with_context(
                    active_model="sale.subscription",
                    active_id=self.subscription.id,
                    active_ids=self.subscription.ids,
                )
            )
            with form.line_ids.edit(0) as line:
                self.assertEqual(line.new_price_unit, 30.0)
                line.new_price_unit = 27.0
            self.assertIn("26.13", form.preview_html)
            action = form.save().action_confirm()
        amendment = self.env["sale.subscription.amendment"].browse(action["res_id"])
        self.assertEqual(amendment.line_ids.new_price_unit, 27.0)
        self.assertEqual(amendment.move_ids.amount_untaxed, 26.13)

    def test_an_empty_new_price_keeps_the_line_price(self):
        with freeze_time(JULY_10):
            amendment = self._change(
                self.subscription, quantity=6, new_price_unit=False
            )
        self.assertEqual(amendment.line_ids.new_price_unit, 30.0)
        self.assertEqual(self.subscription.sale_subscription_line_ids.price_unit, 30.0)
        # the article's 4 users at 30.00 × 27/31
        self.assertEqual(amendment.move_ids.amount_untaxed, cents(4 * 30 * SHARE))

    # -- per-unit taxes and the template's timing ------------------------------------

    def test_a_price_difference_takes_no_per_unit_tax(self):
        levy = self.env["account.tax"].create(
            {
                "name": "Telecom levy 1.00 per user",
                "amount_type": "fixed",
                "amount": 1.0,
                "type_tax_use": "sale",
            }
        )
        self.product_users.taxes_id = levy | self.tax
        with freeze_time("2024-01-06"):
            subscription = self._start(self._create_subscription())
            subscription.flush_recordset()
        invoice = self._invoice_period(subscription, date(2024, 7, 6))
        self.assertEqual(invoice.invoice_line_ids.tax_ids, levy | self.tax)
        with freeze_time(JULY_10):
            cut = self._change(subscription, new_price_unit=27.0).move_ids
        (line,) = self._product_lines(cut)
        # the units stay: the levy on them is neither credited nor charged again
        self.assertEqual(line.tax_ids, self.tax)
        self.assertEqual(cut.amount_tax, cents(Fraction(2613, 100) * Fraction(1, 5)))
        with freeze_time("2024-07-20"):
            fewer = self._change(subscription, quantity=6).move_ids
        # the 4 users removed take their levy with them
        self.assertIn(levy, self._product_lines(fewer).tax_ids)

    def test_a_cut_follows_the_template_timing(self):
        template = self.template.copy({"name": "Monthly, period end"})
        template.reduction_timing = "period_end"
        with freeze_time("2024-01-06"):
            subscription = self._start(
                self._create_subscription(template_id=template.id)
            )
            subscription.flush_recordset()
        self._invoice_period(subscription, date(2024, 7, 6))
        line = subscription.sale_subscription_line_ids
        with freeze_time(JULY_10), self.assertRaises(UserError):
            # effective today: a reduction of this template waits for the period end
            (
                self.env["sale.subscription.amendment"]
                .with_user(self.manager)
                .create_and_apply(
                    {
                        "subscription_id": subscription.id,
                        "effective_date": date(2024, 7, 10),
                        "line_ids": [
                            Command.create(
                                {
                                    "subscription_line_id": line.id,
                                    "new_quantity": 10,
                                    "new_price_unit": 27.0,
                                }
                            )
                        ],
                    }
                )
            )
        with freeze_time(JULY_10):
            # sent without a date: the one the timing gives it
            amendment = self._change(subscription, new_price_unit=27.0)
        self.assertEqual(amendment.state, "scheduled")
        self.assertEqual(amendment.effective_date, date(2024, 8, 6))
        self.assertFalse(amendment.move_ids)
        self.assertEqual(line.price_unit, 30.0)

    def test_a_rise_the_accountant_reverses_is_credited_nothing_later(self):
        with freeze_time(JULY_10):
            amendment = self._change(self.subscription, new_price_unit=33.0)
        rise = self.env["account.move"].browse(amendment.move_ids.ids)
        rise.action_post()
        # *Credit Note* on the rise's invoice, as it is: the rise is undone
        with freeze_time("2024-07-12"):
            wizard = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=rise.ids)
                .create({"reason": "not agreed", "journal_id": rise.journal_id.id})
            )
            wizard.refund_moves()
            wizard.new_move_ids.action_post()
        with freeze_time("2024-07-20"):
            amendment = self._change(self.subscription, quantity=6)
        # the 4 users at the 30.00 the period still bills, nothing on the rise
        self.assertEqual(amendment.move_ids.reversed_entry_id, self.invoice)
        self.assertEqual(
            amendment.move_ids.amount_untaxed, cents(4 * 30 * Fraction(17, 31))
        )
        (period,) = self.env["sale.subscription.ledger"]._billed_periods(
            self.subscription, date(2024, 7, 21)
        )
        self.assertEqual([line.quantity for line in period.documents[0].lines], [0])
        self.assertEqual(
            [line.remaining_amount for line in period.documents[0].lines], [0]
        )

    # -- an invoice replaced (reverse and create), issues 21 and 25 -------------

    def _replaced(self, move, day):
        """``move`` posted, reversed and replaced on ``day``: the replacement."""
        move = self.env["account.move"].browse(move.ids)
        if move.state == "draft":
            move.action_post()
        replacement = self._reverse_and_replace(move, day)
        with freeze_time(day):
            replacement.action_post()
        return replacement

    def test_a_cut_then_the_invoice_replaced_prices_the_replacement(self):
        with freeze_time(JULY_10):
            self._change(self.subscription, new_price_unit=27.0)
        replacement = self._replaced(self.invoice, "2024-07-12")
        with freeze_time("2024-07-20"):
            amendment = self._change(self.subscription, quantity=6)
        # the cut against the first invoice is the replacement's: 4 × 27.00
        # × 17/31, not 4 × 30.00
        self.assertEqual(amendment.move_ids.reversed_entry_id, replacement)
        self.assertEqual(
            amendment.move_ids.amount_untaxed, cents(4 * 27 * Fraction(17, 31))
        )
        (period,) = self.env["sale.subscription.ledger"]._billed_periods(
            self.subscription, date(2024, 7, 21)
        )
        self.assertEqual(period.invoice_ref, replacement.id)
        self.assertEqual(
            [change.delta for change in period.lines[0].price_changes], [-3]
        )
        self.assertFalse(self.env["sale.subscription.ledger"]._over_credits())

    def test_a_replaced_rise_is_billed_once(self):
        with freeze_time(JULY_10):
            rise = self._change(self.subscription, new_price_unit=33.0).move_ids
        replacement = self._replaced(rise, "2024-07-12")
        self.assertEqual(replacement.subscription_replaced_id, rise)
        with freeze_time("2024-07-20"):
            amendment = self._change(self.subscription, quantity=6)
        on_invoice = amendment.move_ids.filtered(
            lambda m: m.reversed_entry_id == self.invoice
        )
        on_rise = amendment.move_ids.filtered(
            lambda m: m.reversed_entry_id == replacement
        )
        self.assertEqual(on_invoice.amount_untaxed, cents(4 * 30 * Fraction(17, 31)))
        # the rise of 3.00 once (the replaced invoice's is reversed with it)
        self.assertEqual(on_rise.amount_untaxed, cents(4 * 3 * Fraction(17, 31)))
        (period,) = self.env["sale.subscription.ledger"]._billed_periods(
            self.subscription, date(2024, 7, 21)
        )
        self.assertEqual(
            [
                (change.delta, change.ref)
                for line in period.lines
                for change in line.price_changes
            ],
            [(3, replacement.id)],
        )
        self.assertFalse(self.env["sale.subscription.ledger"]._over_credits())

    def test_a_cut_after_a_replaced_rise_is_credited_against_the_replacement(self):
        with freeze_time(JULY_10):
            rise = self._change(self.subscription, new_price_unit=33.0).move_ids
        replacement = self._replaced(rise, "2024-07-12")
        with freeze_time("2024-07-20"):
            amendment = self._change(self.subscription, new_price_unit=30.0)
        # back to 30.00: the rise of 3.00 taken back on the replacement,
        # 10 × 3.00 × 17/31, nothing on the period's invoice
        (credit,) = amendment.move_ids
        self.assertEqual(credit.reversed_entry_id, replacement)
        self.assertEqual(credit.amount_untaxed, cents(10 * 3 * Fraction(17, 31)))
        self.assertFalse(self.env["sale.subscription.ledger"]._over_credits())
