# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Ledger II: the accountant's own documents, and documents shaped as Odoo's
reversal shapes them. One class per paragraph of the issue, written as the
accountant's actions (the reversal wizard's *Credit Note* with edited or typed
lines, *Reset to draft*, *Delete*, *Cancel*, quick encoding, a fiscal position
with an account mapping, both tax rounding methods).

Customer X's contract: 10 users at 25.00 and 3 phone numbers at 6.00, July
(6 July – 5 August 2024, 31 days) billed and posted.
"""

from contextlib import closing
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError

from .test_ledger_accountant import AUGUST, JULY, AccountantCase

EFFECTIVE = date(2024, 7, 10)  # 27 days of July's 31 are credited


class LedgerCase(AccountantCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._invoice_period(cls.subscription, JULY)

    def _credit_note_button(self, invoice, day, edit=None, post=True):
        """*Credit Note* on ``invoice`` (the reversal wizard's ``refund_moves``),
        on ``day``; ``edit(credit_note)`` changes its draft; posted if ``post``."""
        with freeze_time(day):
            wizard = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"reason": "goodwill", "journal_id": invoice.journal_id.id})
            )
            wizard.refund_moves()
            credit_note = wizard.new_move_ids
            if edit:
                edit(credit_note)
            if post:
                credit_note.action_post()
        return credit_note

    def _goodwill(self, price):
        """Each user of July billed at ``price`` less: the button's credit note,
        its users' line edited, the phone numbers' removed."""

        def edit(credit_note):
            users = credit_note.invoice_line_ids.filtered(
                lambda line: line.product_id == self.product_users
            )
            credit_note.write(
                {
                    "invoice_line_ids": [
                        Command.update(users.id, {"price_unit": price}),
                        *(
                            Command.delete(line.id)
                            for line in credit_note.invoice_line_ids - users
                        ),
                    ]
                }
            )

        return edit

    def _credited(self, amendment):
        return sum(
            self._of_type(amendment.move_ids, "out_refund").mapped("amount_untaxed")
        )


class TestDocumentDates(LedgerCase):
    """*Dates*: a document is dated the day it is issued, never before the
    document it corrects; the billed period, share and label keep the
    effective date."""

    def test_applied_days_after_its_draft(self):
        # an administrator's request of 28 July, effective that day
        with freeze_time("2024-07-28"):
            amendment = self._amend(
                self.subscription,
                {self.product_users: 6},
                date(2024, 7, 28),
                request_date=date(2024, 7, 28),
            )
        august = self._invoice_period(self.subscription, AUGUST)
        with freeze_time("2024-08-10"):
            amendment.action_apply()
        by_invoice = {move.reversed_entry_id: move for move in amendment.move_ids}
        self.assertEqual(set(by_invoice), {self.invoice, august})
        for move in amendment.move_ids:
            self.assertEqual(move.invoice_date, date(2024, 8, 10))
        # July from 28 July: 4 × 25.00 × 9/31 = 29.03; August whole: 100.00
        self.assertEqual(by_invoice[self.invoice].amount_untaxed, 29.03)
        self.assertIn(
            "07/28/2024 – 08/05/2024 (29 %)",
            by_invoice[self.invoice].invoice_line_ids[0].name,
        )
        self.assertEqual(by_invoice[august].amount_untaxed, 100.0)

    def test_never_before_an_invoice_issued_ahead(self):
        # August billed ahead, on 25 July, dated 6 August
        august = self._invoice_period(self.subscription, AUGUST)
        self.assertEqual(august.invoice_date, AUGUST)
        amendment = self._apply({self.product_users: 6}, date(2024, 7, 28))
        dates = {
            move.reversed_entry_id: move.invoice_date for move in amendment.move_ids
        }
        self.assertEqual(dates, {self.invoice: date(2024, 7, 28), august: AUGUST})

    def test_the_rate_of_the_day_it_is_issued(self):
        other = self.env.ref("base.EUR")
        if other == self.currency:
            other = self.env.ref("base.USD")
        other.active = True
        self.env["res.currency.rate"].create(
            [
                {"currency_id": other.id, "name": "2024-07-01", "rate": 1.0},
                {"currency_id": other.id, "name": "2024-08-10", "rate": 2.0},
            ]
        )
        pricelist = self.env["product.pricelist"].create(
            {"name": "Other currency", "currency_id": other.id}
        )
        contract = self._start(self._create_subscription(pricelist_id=pricelist.id))
        invoice = self._invoice_period(contract, JULY)
        self.assertEqual(invoice.currency_id, other)
        with freeze_time("2024-07-28"):
            amendment = self._amend(
                contract,
                {self.product_users: 6},
                date(2024, 7, 28),
                request_date=date(2024, 7, 28),
            )
        with freeze_time("2024-08-10"):
            amendment.action_apply()
        credit_note = amendment.move_ids
        # issued on 10 August: at that day's rate, whatever the effective date
        self.assertEqual(credit_note.invoice_date, date(2024, 8, 10))
        self.assertEqual(credit_note.invoice_currency_rate, 2.0)
        self.assertEqual(credit_note.amount_untaxed, 29.03)


class TestTheAccountantsOwnCreditNotes(LedgerCase):
    """*The accountant's own credit notes*: by amount, never by units, once
    posted; the result does not depend on their order with reductions."""

    def test_a_goodwill_credit_note_then_a_reduction(self):
        goodwill = self._credit_note_button(
            self.invoice, "2024-07-08", self._goodwill(5.0)
        )
        self.assertEqual(goodwill.amount_untaxed, 50.0)
        amendment = self._apply({self.product_users: 6}, EFFECTIVE)
        # 4 × 25.00 × 27/31 = 87.10, well within the 250.00 left
        self.assertEqual(self._credited(amendment), 87.10)

    def test_the_order_does_not_matter(self):
        amendment = self._apply({self.product_users: 6}, EFFECTIVE)
        goodwill = self._credit_note_button(
            self.invoice, "2024-07-12", self._goodwill(5.0)
        )
        self.assertEqual(self._credited(amendment) + goodwill.amount_untaxed, 137.10)

    def test_goodwill_caps_a_later_reduction(self):
        # 24.00 off each user: 240.00 of the 250.00 billed
        self._credit_note_button(self.invoice, "2024-07-08", self._goodwill(24.0))
        amendment = self._apply({self.product_users: 0}, EFFECTIVE)
        # 10 × 25.00 × 27/31 = 217.74, capped at the 10.00 left
        self.assertEqual(self._credited(amendment), 10.0)

    def test_a_draft_goodwill_note_does_not_count_nor_a_deleted_one(self):
        draft = self._credit_note_button(
            self.invoice, "2024-07-08", self._goodwill(24.0), post=False
        )
        with closing(self.env.cr.savepoint()):
            amendment = self._apply({self.product_users: 0}, EFFECTIVE)
            self.assertEqual(self._credited(amendment), 217.74)
        self.env.invalidate_all()
        draft.unlink()
        amendment = self._apply({self.product_users: 0}, EFFECTIVE)
        self.assertEqual(self._credited(amendment), 217.74)

    def test_a_typed_line_without_a_link_lowers_the_whole_invoice(self):
        def typed(credit_note):
            credit_note.write(
                {
                    "invoice_line_ids": [
                        Command.clear(),
                        Command.create(
                            {"name": "Goodwill", "quantity": 1, "price_unit": 200.0}
                        ),
                    ]
                }
            )

        self._credit_note_button(self.invoice, "2024-07-08", typed)
        # 200.00 spread over users (250.00) and numbers (18.00): users keep
        # 250.00 − 186.57 = 63.43
        amendment = self._apply({self.product_users: 0}, EFFECTIVE)
        self.assertEqual(self._credited(amendment), 63.43)

    def test_a_link_to_a_line_the_invoice_did_not_bill_counts_as_unlinked(self):
        addon = self.env["sale.subscription.line"].create(
            {
                "sale_subscription_id": self.subscription.id,
                "product_id": self.product_addon.id,
                "product_uom_qty": 0,
                "price_unit": 10.0,
            }
        )

        def elsewhere(credit_note):
            credit_note.invoice_line_ids.filtered(
                lambda line: line.product_id == self.product_numbers
            ).unlink()
            users = credit_note.invoice_line_ids
            # the link is copied, not written: a new line carries another one
            credit_note.write(
                {
                    "invoice_line_ids": [
                        Command.delete(users.id),
                        Command.create(
                            {
                                "name": "Goodwill",
                                "quantity": 1,
                                "price_unit": 200.0,
                                "subscription_line_id": addon.id,
                            }
                        ),
                    ]
                }
            )

        self._credit_note_button(self.invoice, "2024-07-08", elsewhere)
        amendment = self._apply({self.product_users: 0}, EFFECTIVE)
        self.assertEqual(self._credited(amendment), 63.43)

    def test_the_reversal_of_a_credit_note_gives_back_what_it_took(self):
        goodwill = self._credit_note_button(
            self.invoice, "2024-07-08", self._goodwill(24.0)
        )
        # once hashed, a credit note is undone by reversing it: an invoice
        undo = self._credit_note_button(goodwill, "2024-07-09")
        self.assertEqual(undo.move_type, "out_invoice")
        self.assertEqual(undo.reversed_entry_id, goodwill)
        amendment = self._apply({self.product_users: 0}, EFFECTIVE)
        self.assertEqual(self._credited(amendment), 217.74)

    def test_the_over_credit_report_covers_every_credit_note(self):
        ledger = self.env["sale.subscription.ledger"]
        amendment = self._apply({self.product_users: 0}, EFFECTIVE)
        self.assertFalse(ledger._over_credits())
        # the accountant's goodwill on top: 217.74 + 240.00 > 250.00
        goodwill = self._credit_note_button(
            self.invoice, "2024-07-12", self._goodwill(24.0)
        )
        self.assertEqual(goodwill.state, "posted")  # never refused
        self.assertEqual(ledger._over_credits(), amendment.move_ids | goodwill)


class TestDiscounts(LedgerCase):
    """*Discounts*: the credit line keeps the discount billed, as Odoo's
    reversal does."""

    @classmethod
    def setUpClass(cls):
        super(LedgerCase, cls).setUpClass()
        cls.users_line.write_with_override({"discount": 10.0}, "negotiated")
        cls.invoice = cls._invoice_period(cls.subscription, JULY)

    def test_the_credit_line_keeps_the_discount(self):
        amendment = self._apply({self.product_users: 6}, EFFECTIVE)
        credit_note = amendment.move_ids
        units = credit_note.invoice_line_ids.filtered(
            lambda line: not line.subscription_rounding
        )
        # the prorated gross price 25.00 × 27/31 = 21.77, at 10 %
        self.assertRecordValues(
            units, [{"quantity": 4, "price_unit": 21.77, "discount": 10.0}]
        )
        # 4 × 22.50 × 27/31 = 78.39, to the cent (a rounding line without discount)
        self.assertEqual(credit_note.amount_untaxed, 78.39)
        rounding = credit_note.invoice_line_ids - units
        self.assertEqual(rounding.discount, 0.0)

    def test_discounts_booked_to_their_own_account(self):
        expense = self.env["account.account"].create(
            {"name": "Discounts granted", "code": "709000", "account_type": "income"}
        )
        self.company.account_discount_expense_allocation_id = expense
        amendment = self._apply({self.product_users: 6}, EFFECTIVE)
        credit_note = amendment.move_ids
        # the gross revenue leaves (4 × 21.77 + 0.02 of rounding), and the
        # discount granted with it (4 × 21.77 × 10 % = 8.71)
        revenue = credit_note.line_ids.filtered(
            lambda line: (
                line.account_id == self.income_account
                and line.display_type in ("product", "discount")
            )
        )
        self.assertAlmostEqual(sum(revenue.mapped("balance")), 87.10)
        discounts = credit_note.line_ids.filtered(
            lambda line: line.account_id == expense
        )
        self.assertAlmostEqual(sum(discounts.mapped("balance")), -8.71)
        self.assertEqual(credit_note.amount_untaxed, 78.39)

    def test_a_line_at_100_percent_is_not_credited(self):
        self.numbers_line.write_with_override({"discount": 100.0}, "free numbers")
        august = self._invoice_period(self.subscription, AUGUST)
        amendment = self._apply(
            {self.product_numbers: 0}, date(2024, 8, 10), today=date(2024, 8, 10)
        )
        self.assertFalse(
            amendment.move_ids.filtered(lambda move: move.reversed_entry_id == august)
        )


class TestBank(LedgerCase):
    """*Bank*: a credit note pays into the customer's account, as Odoo's
    reversal wizard chooses it."""

    def test_the_customers_bank_account(self):
        self.env["res.partner.bank"].create(
            {
                "acc_number": "FR76 0000 0000 0000",
                "partner_id": self.company.partner_id.id,
            }
        )
        customer_bank = self.env["res.partner.bank"].create(
            {"acc_number": "FR76 1111 1111 1111", "partner_id": self.partner.id}
        )
        invoice = self._invoice_period(self.subscription, AUGUST)
        # the invoice is paid into the company's account
        self.assertEqual(invoice.partner_bank_id.partner_id, self.company.partner_id)
        amendment = self._apply(
            {self.product_users: 6}, date(2024, 8, 10), today=date(2024, 8, 10)
        )
        self.assertEqual(amendment.move_ids.partner_bank_id, customer_bank)
        with freeze_time("2024-08-10"):
            wizard = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"reason": "core", "journal_id": invoice.journal_id.id})
            )
            wizard.refund_moves()
        self.assertEqual(wizard.new_move_ids.partner_bank_id, customer_bank)


class TestOrphans(LedgerCase):
    """*Orphans*: a period invoice corrected by amendment documents is not
    deleted; cancelling it cancels their drafts, lists the posted ones."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.august = cls._invoice_period(cls.subscription, AUGUST, post=False)

    def _reduce(self):
        return self._apply(
            {self.product_users: 6}, date(2024, 8, 10), today=date(2024, 8, 10)
        ).move_ids.filtered(lambda move: move.reversed_entry_id == self.august)

    def test_a_draft_invoice_with_a_draft_credit_note_is_not_deleted(self):
        credit_note = self._reduce()
        self.assertEqual(credit_note.state, "draft")
        with self.assertRaises(UserError) as refusal:
            self.august.unlink()
        self.assertIn(credit_note.display_name, str(refusal.exception))
        self.august.button_cancel()
        self.assertEqual((self.august.state, credit_note.state), ("cancel", "cancel"))

    def test_posted_documents_of_a_cancelled_invoice_are_listed(self):
        credit_note = self._reduce()
        self.august.action_post()
        credit_note.action_post()
        self.august.button_draft()
        self.august.button_cancel()
        self.assertEqual(credit_note.state, "posted")
        self.assertIn(credit_note.name, self.august.message_ids[0].body)
        self.assertEqual(
            self.env["sale.subscription.ledger"]._orphaned_corrections(), credit_note
        )
        action = self.env["res.config.settings"].action_amendment_check_invoices()
        self.assertIn(credit_note.id, action["domain"][0][2])

    def test_an_upgrade_invoice_is_cancelled_with_its_period(self):
        upgrade = self._apply(
            {self.product_users: 12}, date(2024, 8, 10), today=date(2024, 8, 10)
        ).move_ids
        self.assertEqual(upgrade.move_type, "out_invoice")
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            self.august.unlink()
        self.august.button_cancel()
        self.assertEqual(upgrade.state, "cancel")


class TestQuickEncoding(LedgerCase):
    """*Quick encoding*: a total typed on the invoice is not the credit note's."""

    def test_the_typed_total_stays_on_the_invoice(self):
        self.company.quick_edit_mode = "out_invoices"
        august = self._invoice_period(self.subscription, AUGUST, post=False)
        august.quick_edit_total_amount = august.amount_total
        august.action_post()
        amendment = self._apply(
            {self.product_users: 6}, date(2024, 8, 10), today=date(2024, 8, 10)
        )
        credit_note = amendment.move_ids.filtered(
            lambda move: move.reversed_entry_id == august
        )
        self.assertFalse(credit_note.quick_edit_total_amount)
        credit_note.action_post()
        self.assertEqual(credit_note.state, "posted")


class TestFiscalPositions(LedgerCase):
    """*Fiscal positions*: the account the fiscal position maps, on period
    invoices and on an upgrade's new lines; a credit note keeps the account of
    the line it corrects."""

    @classmethod
    def setUpClass(cls):
        super(LedgerCase, cls).setUpClass()
        cls.eu_account = cls.env["account.account"].create(
            {"name": "EU B2B sales", "code": "706200", "account_type": "income"}
        )
        cls.eu = cls.env["account.fiscal.position"].create(
            {
                "name": "EU B2B",
                "account_ids": [
                    Command.create(
                        {
                            "account_src_id": cls.income_account.id,
                            "account_dest_id": cls.eu_account.id,
                        }
                    )
                ],
            }
        )
        cls.partner.property_account_position_id = cls.eu
        cls.invoice = cls._invoice_period(cls.subscription, JULY)

    def test_period_invoices_and_upgrades_use_the_mapped_account(self):
        self.assertEqual(self.invoice.invoice_line_ids.account_id, self.eu_account)
        upgrade = self._apply(
            {}, EFFECTIVE, add=[(self.product_addon, 1, 10.0)]
        ).move_ids
        self.assertEqual(upgrade.invoice_line_ids.account_id, self.eu_account)
        credit_note = self._apply({self.product_users: 6}, date(2024, 7, 12)).move_ids
        self.assertEqual(credit_note.invoice_line_ids.account_id, self.eu_account)

    def test_a_credit_note_keeps_the_account_it_corrects(self):
        # the mapping changes after July was billed: July's credit stays on 706200
        self.eu.account_ids.account_dest_id = self.income_account
        credit_note = self._apply({self.product_users: 6}, EFFECTIVE).move_ids
        self.assertEqual(credit_note.invoice_line_ids.account_id, self.eu_account)


class TestEffectiveDatesInOrder(LedgerCase):
    """*Order of effective dates*: a backdated change before one already
    applied is refused, naming it."""

    def test_a_backdated_change_is_refused(self):
        later = self._apply({self.product_users: 8}, date(2024, 7, 20))
        with freeze_time("2024-07-25"):
            backdated = self._amend(
                self.subscription,
                {self.product_users: 6},
                EFFECTIVE,
                request_date=EFFECTIVE,
            )
            with self.assertRaisesRegex(ValidationError, later.name):
                backdated.action_apply()
            # on or after it: applied
            backdated.effective_date = date(2024, 7, 20)
            backdated.action_apply()
        self.assertEqual(backdated.state, "done")


class TestRounding(AccountantCase):
    """*Rounding*: each document equals its preview to the cent, whether the
    company rounds taxes per line or globally (Odoo then sums the lines'
    exact subtotals and rounds once), taxes excluded or included."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.included = cls.env["account.tax"].create(
            {
                "name": "VAT 20 % included",
                "amount": 20.0,
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
            }
        )

    def _check(self, method, tax):
        """Three lines at discounts whose third decimals add up to a cent."""
        self.company.tax_calculation_rounding_method = method
        products = [
            self._create_product(name, price)
            for name, price in (("A", 9.99), ("B", 3.33), ("C", 7.77))
        ]
        products[0].taxes_id = products[1].taxes_id = products[2].taxes_id = tax
        contract = self._create_subscription(
            lines=list(zip(products, (7, 11, 5), strict=True))
        )
        for line, discount in zip(
            contract.sale_subscription_line_ids, (12.5, 7.0, 33.0), strict=True
        ):
            line.discount = discount
        self._start(contract)
        self._invoice_period(contract, JULY)
        values = {
            "subscription_id": contract.id,
            "effective_date": date(2024, 7, 13),
            "line_ids": [
                Command.create({"subscription_line_id": line.id, "new_quantity": new})
                for line, new in zip(
                    contract.sale_subscription_line_ids, (4, 2, 1), strict=True
                )
            ],
        }
        with freeze_time("2024-07-13"):
            preview = self.env["sale.subscription.amendment"]._preview(values)
            amendment = self.env["sale.subscription.amendment"].create_and_apply(values)
        credit_note = amendment.move_ids
        # the plan's amounts are in the price's terms: tax excluded, or
        # included where the tax is included in the price
        total = (
            credit_note.amount_total
            if tax.price_include
            else credit_note.amount_untaxed
        )
        self.assertEqual(float(preview["plan"].total_credit), 58.0)
        self.assertEqual(total, 58.0, f"{method}, {tax.name}")

    def test_per_line(self):
        for tax in (self.tax, self.included):
            with self.subTest(tax=tax.name), closing(self.env.cr.savepoint()):
                self._check("round_per_line", tax)

    def test_globally(self):
        for tax in (self.tax, self.included):
            with self.subTest(tax=tax.name), closing(self.env.cr.savepoint()):
                self._check("round_globally", tax)
