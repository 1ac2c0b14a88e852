# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Ledger II, what a review found, played as the accountant who found it.

Customer X's contract: 10 users at 25.00 and 3 phone numbers at 6.00, July
(6 July – 5 August 2024, 31 days) billed; the reductions take effect on
10 July (27 days of 31 credited: 4 users are 87.10).
"""

from contextlib import closing
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user

from .test_ledger_accountant import AUGUST, JULY
from .test_ledger_documents import EFFECTIVE, LedgerCase


class FeeCase(LedgerCase):
    """July, as a draft, also bills a one-off set-up fee (a line of no
    subscription line), then is posted."""

    @classmethod
    def setUpClass(cls):
        super(LedgerCase, cls).setUpClass()
        cls.fee = cls._create_product("Set-up fee", 100.0)
        cls.invoice = cls._invoice_period(cls.subscription, JULY, post=False)
        cls.invoice.write(
            {
                "invoice_line_ids": [
                    Command.create(
                        {"product_id": cls.fee.id, "quantity": 1, "price_unit": 100.0}
                    )
                ]
            }
        )
        cls.invoice.action_post()


class TestALineOfNoSubscriptionLine(FeeCase):
    def test_reverse_and_create_then_a_reduction(self):
        replacement = self._reverse_and_replace(self.invoice, date(2024, 7, 8))
        with freeze_time("2024-07-08"):
            replacement.action_post()
        amendment = self._apply({self.product_users: 6}, EFFECTIVE)
        self.assertEqual(amendment.move_ids.reversed_entry_id, replacement)
        self.assertEqual(self._credited(amendment), 87.10)
        self.assertFalse(self.env["sale.subscription.ledger"]._over_credits())

    def test_a_credit_of_the_fee_alone_is_the_fees(self):
        def fee_only(credit_note):
            credit_note.invoice_line_ids.filtered(
                lambda line: line.product_id != self.fee
            ).unlink()

        self._credit_note_button(self.invoice, "2024-07-08", fee_only)
        amendment = self._apply({self.product_users: 0}, EFFECTIVE)
        # 10 × 25.00 × 27/31, the users' whole: the fee's credit is the fee's
        self.assertEqual(self._credited(amendment), 217.74)

    def test_a_whole_credit_note_is_no_over_credit(self):
        self._credit_note_button(self.invoice, "2024-07-08")
        self.assertFalse(self.env["sale.subscription.ledger"]._over_credits())
        amendment = self._apply({self.product_users: 6}, EFFECTIVE)
        self.assertFalse(amendment.move_ids)

    def test_a_typed_line_of_a_product_is_that_products(self):
        def typed(credit_note):
            credit_note.write(
                {
                    "invoice_line_ids": [
                        Command.clear(),
                        Command.create(
                            {
                                "product_id": self.product_users.id,
                                "quantity": 1,
                                "price_unit": 240.0,
                            }
                        ),
                    ]
                }
            )

        self._credit_note_button(self.invoice, "2024-07-08", typed)
        amendment = self._apply({self.product_numbers: 0}, EFFECTIVE)
        # the numbers keep their 18.00: 3 × 6.00 × 27/31 = 15.68
        self.assertEqual(self._credited(amendment), 15.68)


class TestCheckInvoicesLeavesTheAccountantsMatching(LedgerCase):
    def test_a_credit_applied_to_the_next_invoice_stays_applied(self):
        self._register_payment(self.invoice, self.invoice.amount_total, "2024-07-08")
        august = self._invoice_period(self.subscription, AUGUST)
        credit_note = self._apply({self.product_users: 6}, EFFECTIVE).move_ids
        with freeze_time("2024-08-07"):
            credit_note.action_post()
        receivable = self._receivable(credit_note)
        open_line = receivable.filtered(lambda line: not line.reconciled)
        self.assertTrue(open_line, "the credit note stays open: July is paid")
        august.js_assign_outstanding_line(open_line[:1].id)
        self.assertEqual(august.payment_state, "partial")
        accountant = new_test_user(
            self.env, login="checker", groups="account.group_account_invoice"
        )
        self.env["res.config.settings"].with_user(
            accountant
        ).action_amendment_check_invoices()
        self.env.invalidate_all()
        self.assertEqual(august.payment_state, "partial")
        self.assertEqual(self._matched_moves(credit_note), august)


class TestACreditNoteInAnotherCurrency(LedgerCase):
    def test_it_counts_in_the_invoices_currency(self):
        other = self.env.ref("base.EUR")
        if other == self.currency:
            other = self.env.ref("base.USD")
        other.active = True
        self.env["res.currency.rate"].create(
            {"currency_id": other.id, "name": "2024-01-01", "rate": 2.0}
        )

        def in_other_currency(credit_note):
            users = credit_note.invoice_line_ids.filtered(
                lambda line: line.product_id == self.product_users
            )
            (credit_note.invoice_line_ids - users).unlink()
            credit_note.currency_id = other
            users.price_unit = 10.0  # 100.00 in the other currency: 50.00

        self._credit_note_button(self.invoice, "2024-07-08", in_other_currency)
        amendment = self._apply({self.product_users: 0}, EFFECTIVE)
        # 250.00 − 50.00 left: 217.74 capped at 200.00
        self.assertEqual(self._credited(amendment), 200.0)


class TestAnAmendmentsCreditNoteReversedAndCreated(LedgerCase):
    def test_the_new_one_corrects_the_same_invoice(self):
        first = self._apply({self.product_users: 6}, EFFECTIVE).move_ids
        with freeze_time("2024-07-10"):
            first.action_post()
        again = self._reverse_and_replace(first, date(2024, 7, 11))
        self.assertEqual(again.move_type, "out_refund")
        self.assertEqual(again.reversed_entry_id, self.invoice)
        with freeze_time("2024-07-11"):
            again.action_post()
        # 150.00 of goodwill on the users, then 6 → 0 from 14 July: what is
        # left of the users, 250.00 − 87.10 − 150.00 = 12.90
        self._credit_note_button(self.invoice, "2024-07-12", self._goodwill(15.0))
        amendment = self._apply({self.product_users: 0}, date(2024, 7, 14))
        self.assertEqual(self._credited(amendment), 12.90)


class TestAnAmendmentsLinesAreKept(LedgerCase):
    def test_an_accountant_cannot_retype_them(self):
        credit_note = self._apply({self.product_users: 6}, EFFECTIVE).move_ids
        units = credit_note.invoice_line_ids.filtered(
            lambda line: not line.subscription_rounding
        )
        billing = new_test_user(
            self.env, login="billing_x", groups="account.group_account_invoice"
        )
        mine = credit_note.with_user(billing)
        for call in (
            lambda: units.with_user(billing).write({"quantity": 10}),
            lambda: units.with_user(billing).write({"price_unit": 8.71}),
            lambda: (credit_note.invoice_line_ids - units).with_user(billing).unlink(),
            lambda: mine.write(
                {
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": self.product_users.id,
                                "quantity": 6,
                                "price_unit": 0.0,
                                "subscription_line_id": self.users_line.id,
                                "subscription_price_unit": 25.0,
                            }
                        )
                    ]
                }
            ),
            lambda: mine.write({"currency_id": self.env.ref("base.EUR").id}),
        ):
            with self.assertRaises(UserError), closing(self.env.cr.savepoint()):
                call()
        # its header's text is the accountant's
        mine.write({"ref": "Our reference"})
        mine.action_post()
        self.assertEqual(credit_note.state, "posted")


class TestRoundingGloballyAtHalfACent(LedgerCase):
    def test_a_half_cent_is_not_corrected_twice(self):
        self.company.tax_calculation_rounding_method = "round_globally"
        self.users_line.write_with_override({"discount": 10.0}, "negotiated")
        august = self._invoice_period(self.subscription, AUGUST)
        values = {
            "subscription_id": self.subscription.id,
            "effective_date": date(2024, 8, 10),
            "line_ids": [
                Command.create(
                    {"subscription_line_id": self.users_line.id, "new_quantity": 5}
                )
            ],
        }
        with freeze_time("2024-08-10"):
            preview = self.env["sale.subscription.amendment"]._preview(values)
            amendment = self.env["sale.subscription.amendment"].create_and_apply(values)
        credit_note = amendment.move_ids.filtered(
            lambda move: move.reversed_entry_id == august
        )
        self.assertEqual(
            credit_note.amount_untaxed, float(preview["plan"].total_credit)
        )


class TestAReplacementForAnotherCustomer(LedgerCase):
    def test_a_credit_note_is_not_matched_with_it(self):
        """X's credit note, issued before the accountant re-invoiced July to
        another customer, is not settled with that customer's invoice."""
        credit_note = self._apply({self.product_users: 6}, EFFECTIVE).move_ids
        other = self.env["res.partner"].create({"name": "Customer Z"})
        replacement = self._reverse_and_replace(self.invoice, date(2024, 7, 12))
        replacement.partner_id = other
        with freeze_time("2024-07-12"):
            replacement.action_post()
            credit_note.action_post()
        self.assertEqual(credit_note.partner_id, self.partner)
        self.assertNotIn(replacement, self._matched_moves(credit_note))


class TestCancelledCorrections(LedgerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.august = cls._invoice_period(cls.subscription, AUGUST, post=False)

    def test_a_cancelled_invoice_stays_while_its_corrections_do(self):
        credit_note = self._apply(
            {self.product_users: 6}, date(2024, 8, 10), today=date(2024, 8, 10)
        ).move_ids.filtered(lambda move: move.reversed_entry_id == self.august)
        self.august.button_cancel()
        self.assertEqual(credit_note.state, "cancel")
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            self.august.unlink()

    def test_an_upgrades_credit_notes_are_cancelled_with_the_period(self):
        self._apply(
            {self.product_users: 12}, date(2024, 8, 10), today=date(2024, 8, 10)
        )
        reduction = self._apply(
            {self.product_users: 11}, date(2024, 8, 20), today=date(2024, 8, 20)
        ).move_ids
        self.assertTrue(reduction)
        self.august.button_cancel()
        self.assertEqual(set(reduction.mapped("state")), {"cancel"})

    def test_a_posted_credit_note_of_no_invoice_is_listed(self):
        credit_note = self._apply(
            {self.product_users: 6}, date(2024, 8, 10), today=date(2024, 8, 10)
        ).move_ids.filtered(lambda move: move.reversed_entry_id == self.august)
        with freeze_time("2024-08-10"):
            credit_note.action_post()
        self.env.cr.execute(
            "UPDATE account_move SET reversed_entry_id = NULL WHERE id = %s",
            [credit_note.id],
        )
        credit_note.invalidate_recordset()
        self.assertIn(
            credit_note, self.env["sale.subscription.ledger"]._orphaned_corrections()
        )


class TestReverseAndCreateIsNoOverCredit(LedgerCase):
    def test_after_an_amendments_credit_note(self):
        self._apply({self.product_users: 6}, EFFECTIVE).move_ids.action_post()
        replacement = self._reverse_and_replace(self.invoice, date(2024, 7, 15))
        with freeze_time("2024-07-15"):
            replacement.action_post()
        self.assertFalse(self.env["sale.subscription.ledger"]._over_credits())


class TestUpgradeHeaderAndLines(LedgerCase):
    def test_an_upgrade_line_on_its_headers_fiscal_position(self):
        account = self.env["account.account"].create(
            {"name": "EU B2B sales", "code": "706299", "account_type": "income"}
        )
        self.partner.property_account_position_id = self.env[
            "account.fiscal.position"
        ].create(
            {
                "name": "EU B2B",
                "account_ids": [
                    Command.create(
                        {
                            "account_src_id": self.income_account.id,
                            "account_dest_id": account.id,
                        }
                    )
                ],
            }
        )
        # July was billed without one: its upgrade is too
        upgrade = self._apply(
            {}, EFFECTIVE, add=[(self.product_addon, 1, 10.0)]
        ).move_ids
        self.assertFalse(upgrade.fiscal_position_id)
        self.assertEqual(upgrade.invoice_line_ids.account_id, self.income_account)
