# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The documents an amendment generates in Odoo's journals.

The running example: a monthly contract started on 6 January 2024, with 10
users at 25.00 and 3 phone numbers at 6.00; July [6 July, 6 August) is billed
and posted; changes take effect on 10 July (27 days of 31 remain, 87 %).
"""

from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user
from odoo.tools.safe_eval import safe_eval

from .common import SubscriptionCase

JULY, AUGUST, SEPTEMBER = date(2024, 7, 6), date(2024, 8, 6), date(2024, 9, 6)
EFFECTIVE = date(2024, 7, 10)


class AccountingCase(SubscriptionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.subscription = cls._start(
            cls._create_subscription(
                start=date(2024, 1, 6),
                lines=[(cls.product_users, 10), (cls.product_numbers, 3)],
            )
        )
        cls.users_line, cls.numbers_line = cls.subscription.sale_subscription_line_ids

    def _apply(self, quantities, effective=EFFECTIVE, today=None, add=(), **values):
        with freeze_time(today or effective):
            amendment = self._amend(
                self.subscription, quantities, effective=effective, add=add, **values
            )
            amendment.action_apply()
        self.assertEqual(amendment.state, "done")
        return amendment

    def _lines_by_product(self, move):
        return {
            line.product_id: line
            for line in move.invoice_line_ids
            if not line.subscription_rounding
        }

    def _assert_never_negative(self, moves):
        """Credit notes and invoices, never negative ones; only a rounding line
        may take back a cent."""
        for move in moves:
            self.assertIn(move.move_type, ("out_invoice", "out_refund"))
            self.assertGreater(move.amount_total, 0)
            for line in move.invoice_line_ids:
                self.assertGreater(line.quantity, 0)
                if not line.subscription_rounding:
                    self.assertGreater(line.price_unit, 0)
                else:
                    self.assertLess(abs(line.price_unit), 1)


class TestCreditNote(AccountingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tax_reduced = cls.env["account.tax"].create(
            {"name": "VAT 10 %", "amount": 10.0, "type_tax_use": "sale"}
        )
        cls.fiscal_position = cls.env["account.fiscal.position"].create(
            {
                "name": "Reduced rate",
                "tax_ids": [
                    Command.create(
                        {"tax_src_id": cls.tax.id, "tax_dest_id": cls.tax_reduced.id}
                    )
                ],
            }
        )
        cls.subscription.fiscal_position_id = cls.fiscal_position
        cls.invoice = cls._invoice_period(cls.subscription, JULY)

    def test_invoice_carries_the_contract_fiscal_position(self):
        self.assertEqual(self.invoice.fiscal_position_id, self.fiscal_position)
        self.assertEqual(self.invoice.invoice_line_ids.tax_ids, self.tax_reduced)

    def test_reduction_creates_a_credit_note_like_odoo_reversal(self):
        # the product changes after invoicing: the credit note follows the invoice
        other_account = self.income_account.copy({"code": "706200"})
        self.product_users.write(
            {
                "taxes_id": [Command.set(self.tax.ids)],
                "property_account_income_id": other_account.id,
            }
        )
        amendment = self._apply({self.product_users: 6})
        credit_note = amendment.move_ids
        self.assertEqual(len(credit_note), 1)
        self.assertEqual(amendment.credit_note_count, 1)
        self.assertEqual(amendment.invoice_count, 0)
        self.assertRecordValues(
            credit_note,
            [
                {
                    "move_type": "out_refund",
                    "state": "draft",
                    "reversed_entry_id": self.invoice.id,
                    "journal_id": self.invoice.journal_id.id,
                    "partner_id": self.invoice.partner_id.id,
                    "fiscal_position_id": self.fiscal_position.id,
                    "currency_id": self.invoice.currency_id.id,
                    # not copied, as by Odoo's reversal: bank matching would
                    # propose the credit note for the invoice's payment
                    "payment_reference": False,
                    "invoice_cash_rounding_id": False,
                    "invoice_user_id": self.invoice.invoice_user_id.id,
                    "invoice_origin": self.invoice.name,
                    "invoice_date": EFFECTIVE,
                    "amendment_id": amendment.id,
                    "subscription_id": self.subscription.id,
                    "subscription_billed_id": self.subscription.id,
                    "subscription_period_start": JULY,
                    "subscription_period_next_start": AUGUST,
                    # 4 × 25.00 × 27/31 = 87.0967… rounded once; tax 10 %
                    "amount_untaxed": 87.10,
                    "amount_tax": 8.71,
                }
            ],
        )
        self.assertTrue(self.invoice.payment_reference)
        self.assertIn(self.invoice.name, credit_note.ref)
        self.assertIn(amendment.name, credit_note.ref)
        line, rounding = credit_note.invoice_line_ids
        invoiced = self._lines_by_product(self.invoice)[self.product_users]
        label = "Users: 10 → 6 (−4) · 07/10/2024 – 08/05/2024 (87 %)"
        # the units removed at the prorated unit price, 25.00 × 27/31 = 21.774…
        # (Product Price: 2 digits); 4 × 21.77 = 87.08, and 0.02 of rounding
        self.assertRecordValues(
            line | rounding,
            [
                {
                    "product_id": self.product_users.id,
                    "name": label,
                    "quantity": 4.0,
                    "price_unit": 21.77,
                    "discount": 0.0,
                    "account_id": invoiced.account_id.id,
                    "subscription_line_id": self.users_line.id,
                    "subscription_price_unit": 25.0,
                    "subscription_rounding": False,
                },
                {
                    "product_id": self.product_users.id,
                    "name": f"Rounding: {label}",
                    "quantity": 1.0,
                    "price_unit": 0.02,
                    "discount": 0.0,
                    "account_id": invoiced.account_id.id,
                    "subscription_line_id": self.users_line.id,
                    "subscription_price_unit": 0.0,
                    "subscription_rounding": True,
                },
            ],
        )
        self.assertEqual(line.tax_ids, invoiced.tax_ids)
        self.assertEqual(rounding.tax_ids, invoiced.tax_ids)
        self.assertIn(credit_note, self.subscription.invoice_ids)
        self._assert_never_negative(credit_note)

    def test_removed_line_is_credited_and_the_subscription_line_goes(self):
        amendment = self._apply({self.product_numbers: 0})
        self.assertNotIn(
            self.product_numbers,
            self.subscription.sale_subscription_line_ids.product_id,
        )
        credit_note = amendment.move_ids
        line = self._lines_by_product(credit_note)[self.product_numbers]
        # 3 × 6.00 × 27/31 = 15.677… → 15.68; 3 × 5.23 = 15.69, −0.01 of rounding
        self.assertEqual(credit_note.amount_untaxed, 15.68)
        self.assertEqual((line.quantity, line.price_unit), (3, 5.23))
        self.assertEqual(
            line.name, "Phone numbers: 3 → 0 (−3) · 07/10/2024 – 08/05/2024 (87 %)"
        )

    def test_discounted_line_is_credited_net_of_discount(self):
        subscription = self._start(self._create_subscription(start=date(2024, 1, 6)))
        subscription.sale_subscription_line_ids.write_with_override(
            {"discount": 10.0}, "negotiated discount"
        )
        invoice = self._invoice_period(subscription, JULY)
        with freeze_time(EFFECTIVE):
            amendment = self._amend(subscription, {self.product_users: 6})
            amendment.action_apply()
        # 4 × 22.50 × 27/31 = 78.387…
        self.assertEqual(amendment.move_ids.reversed_entry_id, invoice)
        self.assertEqual(amendment.move_ids.amount_untaxed, 78.39)

    def test_second_reduction_nets_the_first(self):
        self._apply({self.product_users: 6})
        amendment = self._apply({self.product_users: 0}, effective=date(2024, 7, 20))
        # 6 × 25.00 × 17/31 = 82.258…
        self.assertEqual(amendment.move_ids.amount_untaxed, 82.26)
        self.assertEqual(amendment.move_ids.reversed_entry_id, self.invoice)

    def test_invoice_reversed_by_hand_is_not_credited_again(self):
        """A full credit note made with Odoo's reversal, once posted, already
        credits it all."""
        with freeze_time("2024-07-08"):
            reversal = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=self.invoice.ids)
                .create({"journal_id": self.invoice.journal_id.id, "reason": "error"})
            )
            reversal.refund_moves()
            reversal.new_move_ids.action_post()
        self.assertEqual(len(reversal.new_move_ids), 1)
        amendment = self._apply({self.product_users: 6})
        self.assertFalse(amendment.move_ids)

    def test_partial_refund_by_hand_caps_the_credit(self):
        """A hand-made credit note of the line counts: the rest only is credited."""
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": self.partner.id,
                "reversed_entry_id": self.invoice.id,
                "invoice_date": date(2024, 7, 8),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.product_users.id,
                            "quantity": 9,
                            "price_unit": 25.0,
                            "tax_ids": [Command.set(self.tax_reduced.ids)],
                            "subscription_line_id": self.users_line.id,
                        }
                    )
                ],
            }
        )
        refund.action_post()
        amendment = self._apply({self.product_users: 6})
        # 9 × 25.00 = 225.00 of the 250.00 billed was refunded by hand (an
        # amount: the 10 users stay billed): 4 × 25.00 × 27/31 = 87.10 is
        # capped at the 25.00 left
        self.assertEqual(amendment.move_ids.amount_untaxed, 25.0)
        self.assertEqual(amendment.move_ids.invoice_line_ids[0].quantity, 4)

    def test_journal_setting(self):
        journal = self.env["account.journal"].create(
            {"name": "Amendments", "code": "AMD", "type": "sale"}
        )
        self.company.amendment_journal_id = journal
        amendment = self._apply({self.product_users: 6, self.product_numbers: 5})
        self.assertEqual(len(amendment.move_ids), 2)
        self.assertEqual(amendment.move_ids.journal_id, journal)
        amendment.move_ids.action_post()
        self.assertEqual(set(amendment.move_ids.mapped("state")), {"posted"})

    def test_auto_post_setting(self):
        self.assertFalse(self.company.amendment_auto_post)
        self.company.amendment_auto_post = True
        amendment = self._apply({self.product_users: 6, self.product_numbers: 5})
        self.assertEqual(len(amendment.move_ids), 2)
        self.assertEqual(set(amendment.move_ids.mapped("state")), {"posted"})
        credit_note = amendment.move_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(credit_note.date, EFFECTIVE)

    def test_auto_post_failure_keeps_the_document_in_draft_and_says_why(self):
        self.company.amendment_auto_post = True
        move_class = type(self.env["account.move"])
        with (
            patch.object(
                move_class, "action_post", side_effect=UserError("Missing bank account")
            ),
            self.assertLogs(
                "odoo.addons.aircall_subscription_amendments.models."
                "account_move_amendment",
                level="WARNING",
            ),
        ):
            amendment = self._apply({self.product_users: 6})
        credit_note = amendment.move_ids
        self.assertEqual(credit_note.state, "draft")
        self.assertIn("Missing bank account", credit_note.message_ids.mapped("body")[0])

    def test_documents_to_post_menu(self):
        action = self.env.ref(
            "aircall_subscription_amendments.account_move_amendment_to_post_action"
        )
        menu = self.env.ref(
            "aircall_subscription_amendments.account_move_amendment_to_post_menu"
        )
        self.assertEqual(
            menu.parent_id, self.env.ref("account.menu_finance_receivables")
        )
        amendment = self._apply({self.product_users: 6})
        domain = safe_eval(action.domain)
        listed = self.env["account.move"].search(domain)
        self.assertIn(amendment.move_ids, listed)
        self.assertNotIn(self.invoice, listed)
        amendment.move_ids.action_post()
        self.assertNotIn(amendment.move_ids, self.env["account.move"].search(domain))

    def test_billed_period_on_the_invoice_form(self):
        amendment = self._apply({self.product_users: 6})
        form = Form(amendment.move_ids)
        self.assertEqual(form.subscription_billed_id, self.subscription)
        self.assertEqual(form.subscription_period_start, "2024-07-06")
        self.assertEqual(form.subscription_period_end, "2024-08-05")
        self.assertEqual(form.amendment_id, amendment)
        with self.assertRaises(AssertionError):
            form.amendment_id = self.env["sale.subscription.amendment"]

    def test_applying_twice_creates_nothing_twice(self):
        amendment = self._apply({self.product_users: 6})
        with freeze_time(EFFECTIVE), self.assertRaises(UserError):
            amendment.action_apply()
        self.assertEqual(len(amendment.move_ids), 1)
        moves = self.env["account.move"].search(
            [("subscription_billed_id", "=", self.subscription.id)]
        )
        self.assertEqual(len(moves), 2)


class TestUpgradeAndMixed(AccountingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._invoice_period(cls.subscription, JULY)

    def test_upgrade_invoices_the_prorated_remainder(self):
        amendment = self._apply({self.product_users: 12})
        self.assertEqual(amendment.amendment_type, "upgrade")
        invoice = amendment.move_ids
        self.assertRecordValues(
            invoice,
            [
                {
                    "move_type": "out_invoice",
                    "state": "draft",
                    "reversed_entry_id": False,
                    "journal_id": self.invoice.journal_id.id,
                    "partner_id": self.partner.id,
                    "currency_id": self.invoice.currency_id.id,
                    "invoice_origin": self.invoice.name,
                    "invoice_date": EFFECTIVE,
                    "amendment_id": amendment.id,
                    "subscription_id": self.subscription.id,
                    "subscription_period_start": JULY,
                    "subscription_period_next_start": AUGUST,
                    # 2 × 25.00 × 27/31 = 43.548…
                    "amount_untaxed": 43.55,
                    "amount_tax": 8.71,
                }
            ],
        )
        self.assertEqual(amendment.invoice_count, 1)
        line = self._lines_by_product(invoice)[self.product_users]
        self.assertEqual(
            line.name, "Users: 10 → 12 (+2) · 07/10/2024 – 08/05/2024 (87 %)"
        )
        # 2 × 21.77 = 43.54, and 0.01 of rounding
        self.assertEqual((line.quantity, line.price_unit), (2, 21.77))
        self.assertEqual(invoice.invoice_line_ids.subscription_line_id, self.users_line)
        self.assertEqual(self.users_line.product_uom_qty, 12)

    def test_new_addon_is_invoiced_and_linked_to_its_new_line(self):
        amendment = self._apply({}, add=[(self.product_addon, 1, 10.0)])
        new_line = self.subscription.sale_subscription_line_ids.filtered(
            lambda line: line.product_id == self.product_addon
        )
        invoice = amendment.move_ids
        self.assertEqual(invoice.move_type, "out_invoice")
        # 1 × 10.00 × 27/31 = 8.709…
        self.assertEqual(invoice.amount_untaxed, 8.71)
        self.assertEqual(invoice.invoice_line_ids.subscription_line_id, new_line)
        self.assertEqual(invoice.invoice_line_ids.tax_ids, new_line.tax_ids)
        self.assertEqual(invoice.invoice_line_ids.account_id, self.income_account)

    def test_addon_removed_later_is_credited_at_its_price(self):
        upgrade = self._apply({}, add=[(self.product_addon, 1, 10.0)]).move_ids
        amendment = self._apply({self.product_addon: 0}, effective=date(2024, 7, 20))
        credit_note = amendment.move_ids
        self.assertEqual(credit_note.move_type, "out_refund")
        # credited at its unit price: 1 × 10.00 × 17/31 = 5.483…
        self.assertEqual(credit_note.amount_untaxed, 5.48)
        # against the invoice that billed it: the upgrade invoice
        self.assertEqual(credit_note.reversed_entry_id, upgrade)

    def test_mixed_change_is_not_netted(self):
        amendment = self._apply({self.product_users: 6, self.product_numbers: 5})
        self.assertEqual(amendment.amendment_type, "mixed")
        credit_note = amendment.move_ids.filtered(lambda m: m.move_type == "out_refund")
        invoice = amendment.move_ids.filtered(lambda m: m.move_type == "out_invoice")
        self.assertEqual(len(credit_note), 1)
        self.assertEqual(len(invoice), 1)
        self.assertEqual(credit_note.reversed_entry_id, self.invoice)
        self.assertEqual(credit_note.invoice_line_ids.product_id, self.product_users)
        self.assertEqual(credit_note.amount_untaxed, 87.10)
        self.assertEqual(invoice.invoice_line_ids.product_id, self.product_numbers)
        # 2 × 6.00 × 27/31 = 10.451…
        self.assertEqual(invoice.amount_untaxed, 10.45)
        self._assert_never_negative(amendment.move_ids)

    def test_billing_user_posts_the_generated_documents(self):
        amendment = self._apply({self.product_users: 6, self.product_numbers: 5})
        billing = new_test_user(
            self.env,
            login="billing",
            groups="base.group_user,account.group_account_invoice",
        )
        moves = amendment.move_ids.with_user(billing)
        moves.action_post()
        self.assertEqual(set(moves.mapped("state")), {"posted"})

    def test_account_manager_applies_but_cannot_touch_the_documents(self):
        manager = new_test_user(
            self.env,
            login="manager",
            groups="aircall_subscription_amendments.group_amendment_user",
        )
        self.assertFalse(manager.has_group("account.group_account_invoice"))
        self.assertFalse(manager.has_group("account.group_account_readonly"))
        # the manager's own customer: its invoices are theirs to read
        self.invoice.invoice_user_id = manager
        with freeze_time(EFFECTIVE):
            amendment = (
                self.env["sale.subscription.amendment"]
                .with_user(manager)
                .create(
                    {
                        "subscription_id": self.subscription.id,
                        "effective_date": EFFECTIVE,
                        "line_ids": [
                            Command.create(
                                {
                                    "subscription_line_id": line.id,
                                    "new_quantity": quantity,
                                }
                            )
                            for line, quantity in (
                                (self.users_line, 6),
                                (self.numbers_line, 5),
                            )
                        ],
                    }
                )
            )
            amendment.action_apply()
        self.assertEqual(amendment.state, "done")
        moves = amendment.move_ids
        self.assertEqual(moves.env.user, manager)
        self.assertEqual(
            moves,
            self.env["account.move"].search([("amendment_id", "=", amendment.id)]),
        )
        self.assertEqual(len(moves), 2)
        self.assertEqual(moves.mapped("state"), ["draft", "draft"])
        self.assertEqual(sorted(moves.mapped("amount_untaxed")), [10.45, 87.10])
        with self.assertRaises(AccessError):
            moves.action_post()
        with self.assertRaises(AccessError):
            moves.write({"ref": "changed"})
        with self.assertRaises(UserError):  # an AccessError, or the lines kept
            moves.invoice_line_ids.write({"price_unit": 1.0})
        with self.assertRaises(AccessError):
            moves.unlink()
        with self.assertRaises(AccessError):
            self.env["account.move"].with_user(manager).create(
                {"move_type": "out_refund", "partner_id": self.partner.id}
            )
        self.assertEqual(moves.mapped("state"), ["draft", "draft"])


class TestPeriods(AccountingCase):
    def test_nothing_invoiced_yet_creates_no_document(self):
        """June billed; July not yet: the July invoice uses the new quantities."""
        self._invoice_period(self.subscription, date(2024, 6, 6))
        self.assertEqual(self.subscription.recurring_next_date, JULY)
        amendment = self._apply({self.product_users: 6}, today=EFFECTIVE)
        self.assertFalse(amendment.move_ids)
        self.assertEqual(self.users_line.product_uom_qty, 6)
        before = self.subscription._billing_moves()
        self.subscription.generate_invoice()
        july = self.subscription._billing_moves() - before
        self.assertEqual(july.subscription_period_start, JULY)
        self.assertEqual(self._lines_by_product(july)[self.product_users].quantity, 6)
        self.assertEqual(july.amount_untaxed, 6 * 25.0 + 3 * 6.0)

    def test_draft_period_invoice_is_billed_and_never_edited(self):
        """The period's invoice still a draft counts as billed: the amendment
        issues its documents against it, in draft, and leaves it alone; they
        are matched with it when it is posted."""
        self.company.amendment_auto_post = True
        draft = self._invoice_period(self.subscription, JULY, post=False)
        lines_before = draft.invoice_line_ids.read(
            ["product_id", "quantity", "price_unit"]
        )
        amendment = self._apply(
            {self.product_users: 6, self.product_numbers: 0},
            add=[(self.product_addon, 2, 10.0)],
        )
        self.assertEqual(draft.state, "draft")
        self.assertEqual(
            draft.invoice_line_ids.read(["product_id", "quantity", "price_unit"]),
            lines_before,
        )
        self.assertEqual(draft.amount_untaxed, 10 * 25.0 + 3 * 6.0)
        credit_note = amendment.move_ids.filtered(lambda m: m.move_type == "out_refund")
        invoice = amendment.move_ids.filtered(lambda m: m.move_type == "out_invoice")
        self.assertEqual(credit_note.reversed_entry_id, draft)
        # as on a posted invoice: 4 × 25 × 27/31 = 87.10 and 3 × 6 × 27/31 = 15.68;
        # 2 × 10 × 27/31 = 17.42
        self.assertEqual(credit_note.amount_untaxed, 102.78)
        self.assertEqual(invoice.amount_untaxed, 17.42)
        # against a draft: draft, even with automatic posting on
        self.assertEqual(amendment.move_ids.mapped("state"), ["draft", "draft"])
        draft.action_post()
        credit_note.action_post()
        receivable = credit_note.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
        )
        self.assertEqual(receivable.matched_debit_ids.debit_move_id.move_id, draft)
        # posted, it is the period's invoice: a later reduction credits it
        later = self._apply({self.product_users: 5}, effective=date(2024, 7, 20))
        self.assertEqual(later.move_ids.reversed_entry_id, draft)
        # 1 × 25.00 × 17/31 = 13.709…
        self.assertEqual(later.move_ids.amount_untaxed, 13.71)

    def test_several_periods_invoiced_in_advance(self):
        july = self._invoice_period(self.subscription, JULY)
        august = self._invoice_period(self.subscription, AUGUST)
        amendment = self._apply({self.product_users: 6, self.product_numbers: 5})
        credit_notes = amendment.move_ids.filtered(
            lambda m: m.move_type == "out_refund"
        )
        invoices = amendment.move_ids.filtered(lambda m: m.move_type == "out_invoice")
        self.assertEqual(len(credit_notes), 2)
        self.assertEqual(len(invoices), 2)
        by_invoice = {move.reversed_entry_id: move for move in credit_notes}
        self.assertEqual(set(by_invoice), {july, august})
        self.assertEqual(by_invoice[july].amount_untaxed, 87.10)
        self.assertEqual(by_invoice[july].subscription_period_start, JULY)
        # August is credited whole: 4 × 25.00
        self.assertEqual(by_invoice[august].amount_untaxed, 100.0)
        self.assertEqual(by_invoice[august].subscription_period_start, AUGUST)
        self.assertEqual(
            by_invoice[august].invoice_line_ids.name,
            "Users: 10 → 6 (−4) · 08/06/2024 – 09/05/2024 (100 %)",
        )
        self.assertEqual(by_invoice[august].invoice_line_ids.price_unit, 25.0)
        by_period = {move.subscription_period_start: move for move in invoices}
        self.assertEqual(by_period[JULY].amount_untaxed, 10.45)
        self.assertEqual(by_period[AUGUST].amount_untaxed, 12.0)
        self.assertEqual(by_period[AUGUST].invoice_origin, august.name)

    def test_periods_before_the_effective_date_are_left_alone(self):
        self._invoice_period(self.subscription, date(2024, 6, 6))
        july = self._invoice_period(self.subscription, JULY)
        amendment = self._apply({self.product_users: 6})
        self.assertEqual(amendment.move_ids.reversed_entry_id, july)

    def test_lock_date_after_the_effective_date(self):
        """July is locked: its correction is a document of the day it is issued,
        in August, that credits the billed period of July."""
        self._invoice_period(self.subscription, JULY)
        self.company.write(
            {
                "sale_lock_date": date(2024, 7, 31),
                "fiscalyear_lock_date": date(2024, 7, 31),
            }
        )
        amendment = self._apply(
            {self.product_users: 6, self.product_numbers: 5},
            today=date(2024, 8, 20),
            request_date=EFFECTIVE,
        )
        moves = amendment.move_ids
        self.assertEqual(len(moves), 2)
        # dated the day they are issued; the billed period keeps the effective date
        self.assertEqual(moves.mapped("invoice_date"), [date(2024, 8, 20)] * 2)
        with freeze_time("2024-08-20"):
            moves.action_post()
        for move in moves:
            self.assertEqual(move.state, "posted")
            self.assertEqual(move.invoice_date, date(2024, 8, 20))
            self.assertEqual(move.date, date(2024, 8, 20))
            self.assertEqual(move.subscription_period_start, JULY)
        self.assertEqual(sorted(moves.mapped("amount_untaxed")), [10.45, 87.10])

    def test_lock_date_with_auto_post(self):
        self._invoice_period(self.subscription, JULY)
        self.company.write(
            {"sale_lock_date": date(2024, 7, 31), "amendment_auto_post": True}
        )
        amendment = self._apply(
            {self.product_users: 6}, today=date(2024, 8, 20), request_date=EFFECTIVE
        )
        self.assertEqual(amendment.move_ids.state, "posted")
        self.assertEqual(amendment.move_ids.date, date(2024, 8, 20))


class TestCurrencyAndTaxes(SubscriptionCase):
    def test_foreign_currency_subscription(self):
        foreign = self.env.ref("base.EUR")
        if foreign == self.currency:
            foreign = self.env.ref("base.USD")
        foreign.active = True
        self.env["res.currency.rate"].create(
            {"currency_id": foreign.id, "name": date(2024, 1, 1), "rate": 0.5}
        )
        pricelist = self.env["product.pricelist"].create(
            {"name": "Foreign", "currency_id": foreign.id}
        )
        subscription = self._start(
            self._create_subscription(start=date(2024, 1, 6), pricelist_id=pricelist.id)
        )
        invoice = self._invoice_period(subscription, JULY)
        self.assertEqual(invoice.currency_id, foreign)
        with freeze_time(EFFECTIVE):
            amendment = self._amend(
                subscription,
                {
                    self.product_users: 6,
                },
            )
            amendment.action_apply()
        credit_note = amendment.move_ids
        self.assertEqual(credit_note.currency_id, foreign)
        self.assertEqual(credit_note.amount_untaxed, 87.10)
        # in the company currency at 0.5 foreign per unit
        self.assertEqual(credit_note.amount_untaxed_signed, -174.20)
        credit_note.action_post()
        self.assertEqual(credit_note.state, "posted")

    def test_price_included_tax(self):
        tax_included = self.env["account.tax"].create(
            {
                "name": "VAT 20 % included",
                "amount": 20.0,
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
            }
        )
        self.product_users.taxes_id = tax_included
        subscription = self._start(self._create_subscription(start=date(2024, 1, 6)))
        subscription.sale_subscription_line_ids.price_unit = 30.0
        invoice = self._invoice_period(subscription, JULY)
        self.assertEqual(invoice.amount_total, 300.0)
        with freeze_time(EFFECTIVE):
            amendment = self._amend(subscription, {self.product_users: 6})
            amendment.action_apply()
        credit_note = amendment.move_ids
        # on the tax-included price: 4 × 30.00 × 27/31 = 104.516…;
        # 30.00 × 27/31 = 26.129… → 4 × 26.13 = 104.52, no rounding line
        self.assertEqual(credit_note.invoice_line_ids.quantity, 4)
        self.assertEqual(credit_note.invoice_line_ids.price_unit, 26.13)
        self.assertEqual(credit_note.invoice_line_ids.tax_ids, tax_included)
        self.assertEqual(credit_note.amount_total, 104.52)
        self.assertEqual(credit_note.amount_untaxed, 87.10)


class TestLabels(AccountingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._invoice_period(cls.subscription, JULY)

    def test_label_in_the_partners_language(self):
        # the label is a Python string: Odoo reads its translation from the
        # module's i18n/fr.po when first asked (no terms to load into the
        # database); the product name is a database translation
        self.env["res.lang"]._activate_lang("fr_FR")
        self.product_users.with_context(lang="fr_FR").name = "Utilisateurs"
        self.partner.lang = "fr_FR"
        amendment = self._apply({self.product_users: 6})
        label = "Utilisateurs : 10 → 6 (−4) · du 10/07/2024 au 05/08/2024 (87 %)"
        self.assertEqual(
            amendment.move_ids.invoice_line_ids.mapped("name"),
            [label, f"Arrondi : {label}"],
        )

    def test_fractional_quantities(self):
        amendment = self._apply({self.product_users: 7.5})
        line = self._lines_by_product(amendment.move_ids)[self.product_users]
        self.assertEqual(
            line.name, "Users: 10 → 7.5 (−2.5) · 07/10/2024 – 08/05/2024 (87 %)"
        )
        self.assertEqual(line.quantity, 2.5)
        # 2.5 × 25 × 27/31 = 54.435… → 54.44, exact to the cent
        self.assertEqual(amendment.move_ids.amount_untaxed, 54.44)


class TestDocumentPrecision(SubscriptionCase):
    def test_amount_with_more_decimals_than_unit_prices(self):
        """A 3-decimal currency: a rounding line must hold amounts to the
        thousandth; with unit prices kept to 2 decimals a clear error says which
        precision to raise, and nothing is written."""
        kwd = self.env.ref("base.KWD")
        kwd.active = True
        self.assertEqual(kwd.decimal_places, 3)
        self.env["res.currency.rate"].create(
            {"currency_id": kwd.id, "name": date(2024, 1, 1), "rate": 0.3}
        )
        pricelist = self.env["product.pricelist"].create(
            {"name": "KWD", "currency_id": kwd.id}
        )
        subscription = self._start(
            self._create_subscription(start=date(2024, 1, 6), pricelist_id=pricelist.id)
        )
        invoice = self._invoice_period(subscription, JULY)
        self.assertEqual(invoice.currency_id, kwd)
        precision = self.env.ref("product.decimal_price")
        self.assertEqual(precision.digits, 2)
        with freeze_time(EFFECTIVE):
            amendment = self._amend(subscription, {self.product_users: 6})
            with self.assertRaisesRegex(UserError, "Product Price"):
                amendment.action_apply()
            self.assertEqual(amendment.state, "draft")
            self.assertEqual(
                subscription.sale_subscription_line_ids.product_uom_qty, 10
            )
            precision.digits = 3
            amendment.action_apply()
        # 4 × 25.000 × 27/31 = 87.096…, to the thousandth
        self.assertEqual(amendment.move_ids.currency_id, kwd)
        self.assertEqual(amendment.move_ids.amount_untaxed, 87.097)
