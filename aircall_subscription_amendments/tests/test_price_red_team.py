# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What a red team found in the price changes (issue 25), on the article's
contract (``test_price_amendments``): 10 users at 30.00, the July period
(31 days) invoiced and posted."""

from datetime import date
from fractions import Fraction

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user

from . import test_price_amendments as prices
from .common import SubscriptionCase
from .test_price_amendments import JULY_10, cents
from .test_wizard import MANAGER_GROUPS


class TestPriceRedTeam(SubscriptionCase):
    # the contracts of test_price_amendments, without running its tests again
    _article_contract = prices.TestPriceAmendments.__dict__["_article_contract"]
    _change = prices.TestPriceAmendments._change

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product_users.list_price = 30.0
        cls.manager = new_test_user(
            cls.env, login="price_rt_manager", groups=MANAGER_GROUPS
        )
        cls.subscription, cls.invoice = cls._article_contract(date(2024, 1, 6))
        cls.late, cls.late_invoice = cls._article_contract(date(2023, 8, 6))
        cls.admin = new_test_user(
            cls.env,
            login="price_rt_admin",
            groups="aircall_subscription_amendments.group_amendment_admin,"
            "sales_team.group_sale_salesman_all_leads",
        )
        cls.accountant = new_test_user(
            cls.env,
            login="price_rt_accountant",
            groups="base.group_user,account.group_account_manager",
        )

    def _posted(self, amendment):
        moves = self.env["account.move"].browse(amendment.move_ids.ids)
        moves.action_post()
        return moves

    def _reversal(self, move, day):
        with freeze_time(day):
            return (
                self.env["account.move.reversal"]
                .with_user(self.accountant)
                .with_context(active_model="account.move", active_ids=move.ids)
                .create({"reason": "rt", "journal_id": move.journal_id.id})
            )

    def _forged_line(self, target, values):
        sub_line = self.subscription.sale_subscription_line_ids
        return Command.create(
            {
                "product_id": self.product_users.id,
                "name": "note",
                "quantity": 2,
                "price_unit": 0.0,
                "subscription_line_id": sub_line.id,
                **values,
                "subscription_repriced_line_id": target.id,
            }
        )

    # -- 3: price differences forged on create ---------------------------------

    def test_forged_price_difference_refused_on_create(self):
        """A line created on the (reset) July invoice with a price difference
        re-pricing an upgrade invoice's line is refused, whatever of the
        addon's values it carries; the next reduction credits at 30.00."""
        with freeze_time(JULY_10):
            upgrade = self._posted(self._change(self.subscription, quantity=12))
        target = upgrade.invoice_line_ids.filtered(
            lambda line: not line.subscription_rounding
        )
        invoice = self.invoice.with_user(self.accountant)
        invoice.button_draft()
        for values in (
            {"subscription_price_unit": 1000.0, "subscription_price_difference": True},
            {"subscription_price_difference": True},
            {"subscription_price_unit": 1000.0},
        ):
            with self.assertRaises(UserError), self.cr.savepoint():
                invoice.write({"invoice_line_ids": [self._forged_line(target, values)]})
        invoice.action_post()
        with freeze_time("2024-07-20"):
            fewer = self._change(self.subscription, quantity=10)
        self.assertAlmostEqual(
            sum(fewer.move_ids.mapped("amount_untaxed")),
            cents(2 * 30 * Fraction(17, 31)),
            delta=0.011,
        )

    def test_credit_note_of_a_rise_copies_its_price_difference(self):
        """Odoo's Credit Note of a rise's invoice still copies its lines (the
        values the addon gave them), and the ledger reads it."""
        with freeze_time(JULY_10):
            rise = self._posted(self._change(self.subscription, new_price_unit=33.0))
        wizard = self._reversal(rise, "2024-07-12")
        with freeze_time("2024-07-12"):
            wizard.refund_moves()
        note = wizard.new_move_ids
        self.assertEqual(
            note.invoice_line_ids.mapped("subscription_price_difference"),
            rise.invoice_line_ids.mapped("subscription_price_difference"),
        )
        self.assertTrue(
            any(note.invoice_line_ids.mapped("subscription_price_difference"))
        )

    # -- 1, 2: reverse and create of a re-priced invoice (one document) ------

    def _replaced(self, move, day):
        replacement = self._reverse_and_replace(move, day)
        with freeze_time(day):
            replacement.action_post()
        return replacement

    def test_july_replaced_after_a_cut_then_a_rise_invoices(self):
        """A cut 30 → 27, the July invoice replaced (Reverse and create);
        27 → 28 on 20 July is an upgrade that invoices 10 × 1.00 × 17/31."""
        with freeze_time(JULY_10):
            self._posted(self._change(self.subscription, new_price_unit=27.0))
        self._replaced(self.invoice, "2024-07-12")
        with freeze_time("2024-07-20"):
            rise = self._change(self.subscription, new_price_unit=28.0)
        self.assertEqual(rise.amendment_type, "upgrade")
        self.assertEqual(rise.move_ids.move_type, "out_invoice")
        self.assertEqual(rise.move_ids.amount_untaxed, cents(10 * Fraction(17, 31)))

    def _rise_then_july_replaced(self):
        with freeze_time(JULY_10):
            self._posted(self._change(self.subscription, new_price_unit=33.0))
        self._replaced(self.invoice, "2024-07-12")

    def test_july_replaced_after_a_rise_then_cut_back(self):
        """A rise 30 → 33, the July invoice replaced (Reverse and create):
        33 → 30 on 20 July credits 10 × 3.00 × 17/31."""
        self._rise_then_july_replaced()
        with freeze_time("2024-07-20"):
            back = self._change(self.subscription, new_price_unit=30.0)
        self.assertEqual(set(back.move_ids.mapped("move_type")), {"out_refund"})
        self.assertEqual(
            sum(back.move_ids.mapped("amount_untaxed")),
            cents(10 * 3 * Fraction(17, 31)),
        )

    def test_july_replaced_after_a_rise_then_fewer(self):
        """A rise 30 → 33, the July invoice replaced: 10 → 6 users on 20 July
        credits 4 × 33.00 × 17/31."""
        self._rise_then_july_replaced()
        with freeze_time("2024-07-20"):
            fewer = self._change(self.subscription, quantity=6)
        self.assertAlmostEqual(
            sum(fewer.move_ids.mapped("amount_untaxed")),
            cents(4 * 33 * Fraction(17, 31)),
            delta=0.011,
        )
        self.assertFalse(self.env["sale.subscription.ledger"]._over_credits())

    def test_a_replaced_rise_then_a_rise_again_invoices(self):
        """The rise's invoice (30 → 33) replaced; 33 → 36 on 20 July invoices
        10 × 3.00 × 17/31 (the first rise counted once)."""
        with freeze_time(JULY_10):
            rise = self._posted(self._change(self.subscription, new_price_unit=33.0))
        self._replaced(rise, "2024-07-12")
        with freeze_time("2024-07-20"):
            again = self._change(self.subscription, new_price_unit=36.0)
        self.assertEqual(again.move_ids.move_type, "out_invoice")
        self.assertEqual(
            again.move_ids.amount_untaxed, cents(10 * 3 * Fraction(17, 31))
        )

    # -- 4: a partial reversal of a cut's credit note --------------------------

    def test_partial_reversal_of_a_cut_gives_back_its_share(self):
        """The accountant reverses one user of the cut 30 → 27's credit note;
        10 → 6 on 20 July credits the 4 users at 30 − 3 × 9/10 = 27.30."""
        with freeze_time(JULY_10):
            cut = self._posted(self._change(self.subscription, new_price_unit=27.0))
        wizard = self._reversal(cut, "2024-07-12")
        with freeze_time("2024-07-12"):
            wizard.refund_moves()
            back = wizard.new_move_ids
            lines = back.invoice_line_ids.filtered(
                lambda line: line.display_type == "product"
            )
            product = lines.filtered(lambda line: not line.subscription_rounding)
            (lines - product).unlink()
            product.write({"quantity": 1})
            back.action_post()
        self.assertEqual(back.reversed_entry_id, cut)
        with freeze_time("2024-07-20"):
            fewer = self._change(self.subscription, quantity=6)
        self.assertAlmostEqual(
            sum(fewer.move_ids.mapped("amount_untaxed")),
            cents(4 * Fraction(2730, 100) * Fraction(17, 31)),
            delta=0.011,
        )

    # -- 5: the direction of a price change -----------------------------------

    def test_price_change_never_goes_against_its_direction(self):
        """An administrator set the price directly (no document): 30 → 20
        on the late contract, 30 → 40 on the other. Inside the notice period
        a rise 20 → 25 credits nothing (July billed 30); a cut 40 → 35
        invoices nothing (July billed 30). Both prices are applied."""
        late_line = self.late.sale_subscription_line_ids
        line = self.subscription.sale_subscription_line_ids
        with freeze_time("2024-07-08"):
            late_line.with_user(self.admin).write_with_override(
                {"price_unit": 20.0}, "negotiated"
            )
            line.with_user(self.admin).write_with_override(
                {"price_unit": 40.0}, "negotiated"
            )
        with freeze_time(JULY_10):
            rise = self._change(self.late, new_price_unit=25.0)
            cut = self._change(self.subscription, new_price_unit=35.0)
        self.assertEqual(rise.amendment_type, "upgrade")
        self.assertFalse(
            rise.move_ids.filtered(lambda move: move.move_type == "out_refund")
        )
        self.assertFalse(
            cut.move_ids.filtered(lambda move: move.move_type == "out_invoice")
        )
        self.assertEqual((late_line.price_unit, line.price_unit), (25.0, 35.0))

    # -- 7: a new add-on sent with a discount ----------------------------------

    def test_new_addon_discount_not_taken(self):
        """An RPC client sends a new add-on with a discount of 100 %: the plan
        invoices it at its unit price, and the new line is created at it,
        without the discount (both agree)."""
        with freeze_time(JULY_10):
            amendment = (
                self.env["sale.subscription.amendment"]
                .with_user(self.manager)
                .create_and_apply(
                    {
                        "subscription_id": self.subscription.id,
                        "line_ids": [
                            Command.create(
                                {
                                    "product_id": self.product_numbers.id,
                                    "new_quantity": 3,
                                    "price_unit": 6.0,
                                    "discount": 100.0,
                                }
                            )
                        ],
                    }
                )
            )
        new_line = self.subscription.sale_subscription_line_ids.filtered(
            lambda line: line.product_id == self.product_numbers
        )
        self.assertEqual((new_line.price_unit, new_line.discount), (6.0, 0.0))
        self.assertEqual(
            amendment.move_ids.amount_untaxed, cents(3 * 6 * Fraction(27, 31))
        )

    # -- 6: a new price of 0 ---------------------------------------------------

    def test_new_price_zero_refused(self):
        """A new price of 0 (RPC or the wizard) is refused with the way to a
        free line (a discount of 100 %), which applies; the price is kept."""
        line = self.subscription.sale_subscription_line_ids
        with freeze_time(JULY_10), self.assertRaisesRegex(UserError, "100 %"):
            self._change(self.subscription, quantity=12, new_price_unit=0.0)
        with freeze_time(JULY_10):
            wizard = (
                self.env["sale.subscription.amendment.wizard"]
                .with_user(self.manager)
                .with_context(
                    active_model="sale.subscription",
                    active_id=self.subscription.id,
                    active_ids=self.subscription.ids,
                )
                .create({})
            )
            wizard.line_ids.write({"new_quantity": 12, "new_price_unit": 0.0})
            with self.assertRaisesRegex(UserError, "100 %"):
                wizard.action_confirm()
        self.assertEqual((line.product_uom_qty, line.price_unit), (10, 30.0))
        with freeze_time(JULY_10):
            free = self._change(self.subscription, new_discount=100.0)
        self.assertEqual((line.price_unit, line.discount), (30.0, 100.0))
        self.assertEqual(free.move_ids.move_type, "out_refund")
