# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Issue 11: the ledger stays right whatever accountants do.

One class per numbered case of the issue, each written as the accountant's
actions in the UI: *Post entries* on a selection (``validate.account.move``),
the form's *Confirm* (``action_post``), *Reset to draft*, *Cancel*, *Reverse*
(``account.move.reversal``). test_ledger_walks.py mixes them at random, with
partial payments.

The running example: a monthly contract started on 6 January 2024, 10 users at
25.00 and 3 phone numbers at 6.00, VAT 20 %; July is [6 July, 6 August), 31
days. A change effective on 10 July leaves 27 days (27/31), on 15 July 22 days,
on 20 July 17 days. Every expected amount is derived by hand in a comment.
"""

from contextlib import closing
from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user

from odoo.addons.account.models.account_move import AccountMove as CoreAccountMove

from .. import tools
from ..tools import internal
from .common import SubscriptionCase

JULY, AUGUST = date(2024, 7, 6), date(2024, 8, 6)
ADMIN_GROUP = "aircall_subscription_amendments.group_amendment_admin"


class AccountantCase(SubscriptionCase):
    """Customer X's contract (10 users, 3 phone numbers), started, not billed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.subscription = cls._start(
            cls._create_subscription(
                lines=[(cls.product_users, 10), (cls.product_numbers, 3)]
            )
        )
        cls.users_line, cls.numbers_line = cls.subscription.sale_subscription_line_ids

    def _apply(self, quantities, effective, subscription=None, add=(), today=None):
        """Apply an amendment of ``subscription`` (X's by default) on ``today``
        (the effective date by default)."""
        with freeze_time(today or effective):
            amendment = self._amend(
                subscription or self.subscription, quantities, effective, add=add
            )
            amendment.action_apply()
        self.assertEqual(amendment.state, "done")
        return amendment

    @staticmethod
    def _of_type(moves, move_type):
        return moves.filtered(lambda move: move.move_type == move_type)

    def _lines(self, move):
        """{product: quantity} of a document's product lines."""
        return {
            line.product_id: line.quantity
            for line in move.invoice_line_ids
            if line.display_type == "product"
        }

    def _assert_consumption(self, moves, exact):
        """Σ invoiced − Σ credited by ``moves`` (tax excluded) is ``exact``,
        within half a cent per document line."""
        net = sum(
            move.amount_untaxed * (-1 if move.move_type == "out_refund" else 1)
            for move in moves
        )
        lines = moves.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        )
        self.assertLessEqual(
            abs(net - exact),
            0.005 * len(lines) + 1e-9,
            f"the period nets {net:.2f}, consumption is {exact:.4f}",
        )

    def _assert_matched_only_with_its_invoice(self, credit_note, invoice=None):
        """Fully matched, and only with the invoice it corrects."""
        invoice = invoice or credit_note.reversed_entry_id
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(
            self._matched_moves(credit_note),
            invoice,
            f"{credit_note.display_name} ({credit_note.partner_id.name}) is matched "
            f"with {self._matched_moves(credit_note).mapped('display_name')}, not "
            f"with {invoice.display_name} only",
        )
        self.assertAlmostEqual(credit_note.amount_residual, 0.0)


class TestBulkPosting(AccountantCase):
    """Case 1: credit notes of two customers posted together, through every
    posting path, are each matched with their own invoice only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner_y = cls.env["res.partner"].create(
            {"name": "Customer Y", "property_product_pricelist": cls.pricelist.id}
        )
        cls.subscription_y = cls._start(
            cls._create_subscription(partner_id=cls.partner_y.id)
        )
        # X: 10 × 25.00 + 3 × 6.00 = 268.00 + VAT 50.00 + 3.60 = 321.60
        cls.invoice_x = cls._invoice_period(cls.subscription, JULY)
        # Y: 10 × 25.00 = 250.00 + VAT 50.00 = 300.00
        cls.invoice_y = cls._invoice_period(cls.subscription_y, JULY)
        # one receivable account for both customers
        assert cls._receivable(cls.invoice_x).account_id == (
            cls._receivable(cls.invoice_y).account_id
        )

    def _amendments(self):
        """X: users 10 → 6 on 10 July, numbers 3 → 0 on 20 July; Y: users
        10 → 8 on 15 July; each applied on its day. Returned X's first (the
        list grouped by customer)."""
        x1 = self._apply({self.product_users: 6}, date(2024, 7, 10))
        y = self._apply(
            {self.product_users: 8}, date(2024, 7, 15), subscription=self.subscription_y
        )
        x2 = self._apply({self.product_numbers: 0}, date(2024, 7, 20))
        return x1 | x2 | y

    def _assert_each_matched_with_its_own_invoice(self, amendments):
        credit_x1, credit_x2, credit_y = (
            amendment.move_ids for amendment in amendments
        )
        # 4 × 25.00 × 27/31 = 87.10 + VAT 17.42 = 104.52
        # 3 × 6.00 × 17/31 = 9.87 + VAT 1.97 = 11.84
        # 2 × 25.00 × 22/31 = 35.48 + VAT 7.10 = 42.58
        self.assertEqual(
            [credit_x1.amount_total, credit_x2.amount_total, credit_y.amount_total],
            [104.52, 11.84, 42.58],
        )
        for credit_note, invoice in (
            (credit_x1, self.invoice_x),
            (credit_x2, self.invoice_x),
            (credit_y, self.invoice_y),
        ):
            self.assertEqual(credit_note.reversed_entry_id, invoice)
            self._assert_matched_only_with_its_invoice(credit_note)
        self.assertEqual(self._matched_moves(self.invoice_x), credit_x1 | credit_x2)
        self.assertEqual(self._matched_moves(self.invoice_y), credit_y)
        # 321.60 − 104.52 − 11.84 = 205.24; 300.00 − 42.58 = 257.42
        self.assertAlmostEqual(self.invoice_x.amount_residual, 205.24)
        self.assertAlmostEqual(self.invoice_y.amount_residual, 257.42)

    def test_post_entries_on_the_selection(self):
        amendments = self._amendments()
        self._post_entries(amendments.move_ids)
        self._assert_each_matched_with_its_own_invoice(amendments)

    def test_action_post_on_the_selection(self):
        amendments = self._amendments()
        amendments.move_ids.action_post()
        self._assert_each_matched_with_its_own_invoice(amendments)

    def test_form_button_one_by_one(self):
        amendments = self._amendments()
        for credit_note in amendments.move_ids:
            credit_note.action_post()
        self._assert_each_matched_with_its_own_invoice(amendments)

    def test_auto_post_one_by_one(self):
        self.company.amendment_auto_post = True
        self._assert_each_matched_with_its_own_invoice(self._amendments())

    def test_auto_post_of_the_daily_batch(self):
        """Submitted on 1 July, effective later: the daily cron of 20 July
        applies the three in one batch and posts their credit notes together."""
        self.company.amendment_auto_post = True
        with freeze_time("2024-07-01"):
            amendments = self.env["sale.subscription.amendment"]
            # in the order _amendments returns them
            for subscription, quantities, effective in (
                (self.subscription, {self.product_users: 6}, date(2024, 7, 10)),
                (self.subscription, {self.product_numbers: 0}, date(2024, 7, 20)),
                (self.subscription_y, {self.product_users: 8}, date(2024, 7, 15)),
            ):
                amendment = self._amend(subscription, quantities, effective)
                amendment.action_apply()
                amendments |= amendment
        self.assertEqual(set(amendments.mapped("state")), {"scheduled"})
        with freeze_time("2024-07-20"):
            self.env["sale.subscription"].cron_subscription_management()
        self.assertEqual(set(amendments.mapped("state")), {"done"})
        self._assert_each_matched_with_its_own_invoice(amendments)

    def test_what_core_matched_wrongly_before_is_repaired(self):
        """Credit notes posted with the pairing by position of earlier versions
        (core's ``_reconcile_reversed_moves``) are matched right by the repair
        the upgrade runs; an over-credit is listed, not rewritten."""
        amendments = self._amendments()
        core = CoreAccountMove._reconcile_reversed_moves
        with patch.object(
            type(self.env["account.move"]), "_reconcile_reversed_moves", core
        ):
            amendments.move_ids.action_post()
        credit_x1, credit_x2, credit_y = (a.move_ids for a in amendments)
        # the shift: one of X's credit notes is matched with Y's invoice
        wrongly = [
            credit_note
            for credit_note in (credit_x1, credit_x2, credit_y)
            if self._matched_moves(credit_note) - credit_note.reversed_entry_id
        ]
        self.assertTrue(wrongly)
        ledger = self.env["sale.subscription.ledger"]
        repaired = ledger._repair_matching()
        self.assertEqual(set(repaired), set(wrongly))
        self._assert_each_matched_with_its_own_invoice(amendments)
        self.assertFalse(ledger._repair_matching())  # nothing left to repair
        self.assertFalse(ledger._over_credits())
        # a credit note beyond what its invoice billed (as an earlier version
        # could make one): listed for an accountant, left as it is
        over = internal(credit_y, tools.DERIVED_WRITE).copy(
            {
                "invoice_date": date(2024, 7, 16),
                "amendment_id": credit_y.amendment_id.id,
                "reversed_entry_id": self.invoice_y.id,
            }
        )
        over.invoice_line_ids.filtered(
            lambda line: not line.subscription_rounding
        ).quantity = 20
        self.assertEqual(ledger._over_credits(), credit_y | over)


class TestCreditsCappedByBilling(AccountantCase):
    """Case 2: what the period's documents never billed is never credited."""

    def _assert_nothing_credited(self, amendment):
        self.assertFalse(
            self._of_type(amendment.move_ids, "out_refund").invoice_line_ids,
            "credited what was never billed: "
            + ", ".join(amendment.move_ids.invoice_line_ids.mapped("name")),
        )

    def test_line_deleted_from_the_draft_invoice(self):
        invoice = self._invoice_period(self.subscription, JULY, post=False)
        numbers = invoice.invoice_line_ids.filtered(
            lambda line: line.product_id == self.product_numbers
        )
        invoice.write({"invoice_line_ids": [Command.delete(numbers.id)]})
        invoice.action_post()
        self.assertEqual(invoice.amount_untaxed, 250.0)
        amendment = self._apply({self.product_numbers: 0}, date(2024, 7, 10))
        # the phone numbers were not billed in July: 0, not 3 × 6.00 × 27/31
        self._assert_nothing_credited(amendment)
        self.assertFalse(amendment.move_ids)

    def _addon_upgrade(self):
        """July billed and posted; the add-on added on 10 July: its upgrade
        invoice (1 × 10.00 × 27/31 = 8.71) is its only billing in July."""
        self._invoice_period(self.subscription, JULY)
        amendment = self._apply(
            {}, date(2024, 7, 10), add=[(self.product_addon, 1, 10.0)]
        )
        upgrade = amendment.move_ids
        self.assertEqual(upgrade.move_type, "out_invoice")
        self.assertEqual(upgrade.amount_untaxed, 8.71)
        return upgrade

    def test_addon_whose_draft_upgrade_invoice_was_cancelled(self):
        self._addon_upgrade().button_cancel()
        amendment = self._apply({self.product_addon: 0}, date(2024, 7, 20))
        # not 1 × 10.00 × 17/31 = 5.48: the add-on was not billed in July
        self._assert_nothing_credited(amendment)

    def test_addon_whose_posted_upgrade_invoice_was_cancelled(self):
        upgrade = self._addon_upgrade()
        upgrade.action_post()
        upgrade.button_cancel()
        self.assertEqual(upgrade.state, "cancel")
        amendment = self._apply({self.product_addon: 0}, date(2024, 7, 20))
        self._assert_nothing_credited(amendment)

    def test_addon_whose_upgrade_invoice_was_reversed(self):
        """Reversed in full by the accountant (*Reverse*): nothing left to credit."""
        upgrade = self._addon_upgrade()
        upgrade.action_post()
        with freeze_time("2024-07-12"):
            reversal = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=upgrade.ids)
                .create({"reason": "goodwill", "journal_id": upgrade.journal_id.id})
            )
            reversal.reverse_moves()
            reversal.new_move_ids.action_post()
        self.assertEqual(reversal.new_move_ids.amount_untaxed, 8.71)
        amendment = self._apply({self.product_addon: 0}, date(2024, 7, 20))
        self._assert_nothing_credited(amendment)

    def test_line_added_directly_by_an_administrator(self):
        invoice = self._invoice_period(self.subscription, JULY)
        admin = new_test_user(
            self.env, login="amendment_admin", groups=f"base.group_user,{ADMIN_GROUP}"
        )
        with freeze_time("2024-07-12"):
            self.env["sale.subscription.line"].with_user(admin).create(
                {
                    "sale_subscription_id": self.subscription.id,
                    "product_id": self.product_addon.id,
                    "product_uom_qty": 2,
                    "price_unit": 10.0,
                }
            )
        self.assertEqual(
            self.env["account.move"].search(
                [("subscription_billed_id", "=", self.subscription.id)]
            ),
            invoice,
            "a direct edit generates no document",
        )
        amendment = self._apply({self.product_addon: 0}, date(2024, 7, 20))
        # not 2 × 10.00 × 17/31 = 10.97: July never billed the add-on
        self._assert_nothing_credited(amendment)


class TestDraftPeriodInvoices(AccountantCase):
    """Case 3: an amendment never edits an invoice; what it issues against a
    draft invoice waits in draft, and is matched once the invoice is posted."""

    def setUp(self):
        super().setUp()
        self.company.amendment_auto_post = True

    def test_invoice_reset_to_draft_after_a_credit_note(self):
        invoice = self._invoice_period(self.subscription, JULY)
        first = self._apply({self.product_users: 6}, date(2024, 7, 10)).move_ids
        # 4 × 25.00 × 27/31 = 87.10, posted automatically and matched
        self.assertEqual(first.amount_untaxed, 87.10)
        self._assert_matched_only_with_its_invoice(first)
        # the accountant fixes a reference on the July invoice
        invoice.button_draft()
        invoice.ref = "PO 4711"
        second = self._apply({self.product_users: 4}, date(2024, 7, 20)).move_ids

        self.assertEqual(
            self._lines(invoice),
            {self.product_users: 10, self.product_numbers: 3},
            "the amendment edited the July invoice",
        )
        self.assertEqual(invoice.amount_untaxed, 268.0)
        self.assertEqual(second.move_type, "out_refund")
        self.assertEqual(second.reversed_entry_id, invoice)
        self.assertEqual(second.state, "draft", "auto-posted against a draft")
        # 2 × 25.00 × 17/31 = 27.42
        self.assertEqual(second.amount_untaxed, 27.42)

        invoice.action_post()
        self._assert_matched_only_with_its_invoice(first)
        second.filtered(lambda move: move.state == "draft").action_post()
        self._assert_matched_only_with_its_invoice(second)
        # 321.60 − 104.52 − (27.42 + VAT 5.48) = 184.18
        self.assertAlmostEqual(invoice.amount_residual, 184.18)
        # 10 users for 4 days, 6 for 10, 4 for 17, and the phone numbers:
        # 25.00 × (10 × 4 + 6 × 10 + 4 × 17) / 31 + 3 × 6.00 = 153.4839
        self._assert_consumption(
            invoice | first | second, 25.0 * (10 * 4 + 6 * 10 + 4 * 17) / 31 + 18.0
        )

    def test_reduction_on_a_draft_period_invoice(self):
        invoice = self._invoice_period(self.subscription, JULY, post=False)
        amendment = self._apply({self.product_users: 6}, date(2024, 7, 10))
        self.assertEqual(
            self._lines(invoice), {self.product_users: 10, self.product_numbers: 3}
        )
        credit_note = amendment.move_ids
        self.assertEqual(len(credit_note), 1)
        self.assertRecordValues(
            credit_note,
            [
                {
                    "move_type": "out_refund",
                    "state": "draft",
                    "reversed_entry_id": invoice.id,
                    "subscription_period_start": JULY,
                    "subscription_period_next_start": AUGUST,
                    # as on a posted invoice: 4 × 25.00 × 27/31 = 87.10
                    "amount_untaxed": 87.10,
                }
            ],
        )
        # the accountant posts both together
        self._post_entries(invoice | credit_note)
        self.assertEqual(invoice.state, "posted")
        self._assert_matched_only_with_its_invoice(credit_note)
        # 321.60 − 104.52 = 217.08, as the posted path leaves it
        self.assertAlmostEqual(invoice.amount_residual, 217.08)
        # 25.00 × (10 × 4 + 6 × 27) / 31 + 3 × 6.00 = 180.9032
        self._assert_consumption(
            invoice | credit_note, 25.0 * (10 * 4 + 6 * 27) / 31 + 18.0
        )

    def test_upgrade_on_a_draft_period_invoice(self):
        invoice = self._invoice_period(self.subscription, JULY, post=False)
        amendment = self._apply(
            {self.product_numbers: 5},
            date(2024, 7, 10),
            add=[(self.product_addon, 1, 10.0)],
        )
        self.assertEqual(
            self._lines(invoice), {self.product_users: 10, self.product_numbers: 3}
        )
        self.assertEqual(invoice.amount_untaxed, 268.0)
        upgrade = amendment.move_ids
        self.assertEqual(len(upgrade), 1)
        self.assertRecordValues(
            upgrade,
            [
                {
                    "move_type": "out_invoice",
                    "state": "draft",
                    "subscription_period_start": JULY,
                    "subscription_period_next_start": AUGUST,
                    # 2 × 6.00 × 27/31 = 10.45, 1 × 10.00 × 27/31 = 8.71
                    "amount_untaxed": 19.16,
                }
            ],
        )
        self._post_entries(invoice | upgrade)
        self.assertEqual((invoice | upgrade).mapped("state"), ["posted", "posted"])


class TestReverseAndReplace(AccountantCase):
    """Case 4: *Reverse* → *Reverse and create invoice* (``modify_moves``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._invoice_period(cls.subscription, JULY)

    def _assert_bills_july(self, replacement):
        self.assertRecordValues(
            replacement,
            [
                {
                    "move_type": "out_invoice",
                    "subscription_billed_id": self.subscription.id,
                    "subscription_period_start": JULY,
                    "subscription_period_next_start": AUGUST,
                }
            ],
        )
        self.assertEqual(
            {
                line.product_id: line.subscription_line_id
                for line in replacement.invoice_line_ids
            },
            {
                self.product_users: self.users_line,
                self.product_numbers: self.numbers_line,
            },
        )

    def test_replacement_carries_the_billed_period(self):
        replacement = self._reverse_and_replace(self.invoice, date(2024, 7, 8))
        self._assert_bills_july(replacement)
        with freeze_time("2024-07-08"):
            replacement.action_post()
        credit_note = self._apply({self.product_users: 6}, date(2024, 7, 10)).move_ids
        # 4 × 25.00 × 27/31 = 87.10, on the invoice that bills July now
        self.assertEqual(credit_note.reversed_entry_id, replacement)
        self.assertEqual(credit_note.amount_untaxed, 87.10)
        credit_note.action_post()
        self._assert_matched_only_with_its_invoice(credit_note)
        # 321.60 − 104.52 = 217.08
        self.assertAlmostEqual(replacement.amount_residual, 217.08)

    def test_open_credit_notes_are_matched_with_the_replacement(self):
        first = self._apply({self.product_users: 6}, date(2024, 7, 10)).move_ids
        first.action_post()
        self._assert_matched_only_with_its_invoice(first)
        # reversing the invoice unmatches the credit note
        replacement = self._reverse_and_replace(self.invoice, date(2024, 7, 15))
        with freeze_time("2024-07-15"):
            replacement.action_post()
        self._assert_matched_only_with_its_invoice(first, invoice=replacement)
        self._assert_bills_july(replacement)
        # 321.60 − 104.52 = 217.08
        self.assertAlmostEqual(replacement.amount_residual, 217.08)

        second = self._apply({self.product_users: 4}, date(2024, 7, 20)).move_ids
        # 2 × 25.00 × 17/31 = 27.42
        self.assertEqual(second.reversed_entry_id, replacement)
        self.assertEqual(second.amount_untaxed, 27.42)
        second.action_post()
        self._assert_matched_only_with_its_invoice(second)
        # the invoice, its reversal, the replacement and both credit notes:
        # 25.00 × (10 × 4 + 6 × 10 + 4 × 17) / 31 + 3 × 6.00 = 153.4839
        reversal = self.invoice.reversal_move_ids - first
        self.assertEqual(reversal.amount_untaxed, 268.0)
        self._assert_consumption(
            self.invoice | reversal | replacement | first | second,
            25.0 * (10 * 4 + 6 * 10 + 4 * 17) / 31 + 18.0,
        )

    def test_a_draft_credit_note_posted_after_the_replacement(self):
        credit_note = self._apply({self.product_users: 6}, date(2024, 7, 10)).move_ids
        self.assertEqual(credit_note.state, "draft")
        replacement = self._reverse_and_replace(self.invoice, date(2024, 7, 15))
        with freeze_time("2024-07-15"):
            replacement.action_post()
        # the invoice it reverses is matched with its reversal: the replacement
        # takes its place
        credit_note.action_post()
        self._assert_matched_only_with_its_invoice(credit_note, invoice=replacement)
        self.assertAlmostEqual(replacement.amount_residual, 217.08)

    def test_replacement_of_an_upgrade_invoice(self):
        """It bills what the upgrade invoice billed, from the same day; a
        draft replacement is the accountant's to discard."""
        upgrade = self._apply({self.product_users: 12}, date(2024, 7, 10)).move_ids
        upgrade.action_post()
        replacement = self._reverse_and_replace(upgrade, date(2024, 7, 12))
        self.assertEqual(replacement.subscription_replaced_id, upgrade)
        self.assertFalse(replacement.amendment_id)
        # not a generated document: its draft may be deleted
        with closing(self.env.cr.savepoint()):
            replacement.unlink()
            self.assertFalse(replacement.exists())
        self.env.invalidate_all()
        self.assertTrue(replacement.exists())
        with freeze_time("2024-07-12"):
            replacement.action_post()
        # an administrator's request dated 9 July, effective that day, is
        # refused: the upgrade was applied from 10 July (Ledger II, effective
        # dates in order)
        with freeze_time("2024-07-20"):
            backdated = self._amend(
                self.subscription,
                {self.product_users: 10},
                date(2024, 7, 9),
                request_date=date(2024, 7, 9),
            )
            with self.assertRaisesRegex(ValidationError, "amended by .* effective"):
                backdated.action_apply()
            # from 10 July: the replacement billed the upgrade's units from then
            amendment = self._amend(
                self.subscription,
                {self.product_users: 10},
                date(2024, 7, 10),
                request_date=date(2024, 7, 9),
            )
            amendment.action_apply()
        credit_note = amendment.move_ids
        self.assertEqual(credit_note.reversed_entry_id, replacement)
        # 2 × 25.00 × 27/31 = 43.55: what the upgrade billed, all of it
        self.assertEqual(credit_note.amount_untaxed, upgrade.amount_untaxed)
        self.assertEqual(credit_note.amount_untaxed, 43.55)


class TestPerUnitTaxes(AccountantCase):
    """Case 5: quantity = units changed, so that a per-unit tax follows them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fixed_tax = cls.env["account.tax"].create(
            {
                "name": "Telecom levy 1.00 per user",
                "amount_type": "fixed",
                "amount": 1.0,
                "type_tax_use": "sale",
            }
        )
        cls.product_seats = cls._create_product("Seats", 25.0)
        cls.product_seats.taxes_id = cls.fixed_tax
        cls.seats = cls._start(
            cls._create_subscription(lines=[(cls.product_seats, 10)])
        )
        # 10 × 25.00 = 250.00 + 10 × 1.00
        cls.invoice = cls._invoice_period(cls.seats, JULY)
        assert cls.invoice.amount_tax == 10.0

    def _assert_document(self, move, quantity, price_unit, rounding=0.0):
        """One product line of ``quantity`` units at ``price_unit`` with the
        fixed tax, and at most one rounding line of ``rounding`` without it."""
        lines = move.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        )
        taxed = lines.filtered(lambda line: self.fixed_tax in line.tax_ids)
        self.assertRecordValues(
            taxed,
            [
                {
                    "product_id": self.product_seats.id,
                    "quantity": quantity,
                    "price_unit": price_unit,
                    "discount": 0.0,
                }
            ],
        )
        rest = lines - taxed
        if rounding:
            self.assertRecordValues(rest, [{"quantity": 1.0, "price_unit": rounding}])
        else:
            self.assertFalse(rest)

    def test_reduction_over_a_whole_period(self):
        amendment = self._apply({self.product_seats: 6}, JULY, subscription=self.seats)
        credit_note = amendment.move_ids
        # 4 × 25.00 × 31/31 = 100.00, tax 4 × 1.00
        self.assertEqual(credit_note.amount_untaxed, 100.0)
        self.assertEqual(credit_note.amount_tax, 4.0)
        self._assert_document(credit_note, 4, 25.0)

    def test_prorated_reduction(self):
        amendment = self._apply(
            {self.product_seats: 6}, date(2024, 7, 10), subscription=self.seats
        )
        credit_note = amendment.move_ids
        # 4 × 25.00 × 27/31 = 87.10; unit 25.00 × 27/31 = 21.774… → 21.77, and
        # 4 × 21.77 = 87.08: a rounding line of 0.02; tax 4 × 1.00
        self.assertEqual(credit_note.amount_untaxed, 87.10)
        self.assertEqual(credit_note.amount_tax, 4.0)
        self._assert_document(credit_note, 4, 21.77, rounding=0.02)

    def test_upgrade_over_a_whole_period(self):
        amendment = self._apply({self.product_seats: 12}, JULY, subscription=self.seats)
        upgrade = amendment.move_ids
        # 2 × 25.00 = 50.00, tax 2 × 1.00
        self.assertEqual(upgrade.amount_untaxed, 50.0)
        self.assertEqual(upgrade.amount_tax, 2.0)
        self._assert_document(upgrade, 2, 25.0)

    def test_prorated_upgrade(self):
        amendment = self._apply(
            {self.product_seats: 12}, date(2024, 7, 10), subscription=self.seats
        )
        upgrade = amendment.move_ids
        # 2 × 25.00 × 27/31 = 43.548… → 43.55; 2 × 21.77 = 43.54: rounding 0.01
        self.assertEqual(upgrade.amount_untaxed, 43.55)
        self.assertEqual(upgrade.amount_tax, 2.0)
        self._assert_document(upgrade, 2, 21.77, rounding=0.01)


class TestSecondCompany(AccountantCase):
    """Case 6: a contract of company B, amended from B or from A's session."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create(
            {
                "name": "Company B",
                "country_id": cls.env.ref("base.us").id,
                "currency_id": cls.currency.id,
            }
        )
        cls.env["account.chart.template"].try_loading(
            "generic_coa", company=cls.company_b, install_demo=False
        )
        cls.tax_b = cls.env["account.tax"].create(
            {
                "name": "VAT 21 % (B)",
                "amount": 21.0,
                "type_tax_use": "sale",
                "company_id": cls.company_b.id,
            }
        )
        # shared products, taxed in both companies
        for product in (cls.product_users, cls.product_addon):
            product.taxes_id = cls.tax | cls.tax_b
        env_b = cls.env(
            context=dict(
                cls.env.context, allowed_company_ids=[cls.company_b.id, cls.company.id]
            )
        )
        # created in B's session, as a user of B does: its lines get B's taxes
        cls.subscription_b = cls._start(
            env_b["sale.subscription"].create(
                {
                    "company_id": cls.company_b.id,
                    "partner_id": cls.partner.id,
                    "pricelist_id": cls.pricelist.id,
                    "template_id": cls.template.id,
                    "date_start": date(2024, 1, 6),
                    "recurring_next_date": date(2024, 1, 6),
                    "sale_subscription_line_ids": [
                        Command.create(
                            {
                                "product_id": cls.product_users.id,
                                "product_uom_qty": 10,
                                "price_unit": 25.0,
                            }
                        )
                    ],
                }
            )
        )
        cls.invoice_b = cls._invoice_period(cls.subscription_b, JULY)
        assert cls.invoice_b.company_id == cls.company_b
        assert cls.invoice_b.invoice_line_ids.tax_ids == cls.tax_b

    def _apply_in(self, company_ids, today="2024-07-10"):
        """Users 10 → 6 and the add-on (1 × 10.00) from 10 July, submitted on
        ``today`` in a session whose companies are ``company_ids`` (the first
        one active)."""
        env = self.env(context=dict(self.env.context, allowed_company_ids=company_ids))
        users = self.subscription_b.sale_subscription_line_ids
        with freeze_time(today):
            amendment = env["sale.subscription.amendment"].create(
                {
                    "subscription_id": self.subscription_b.id,
                    "effective_date": date(2024, 7, 10),
                    "line_ids": [
                        Command.create(
                            {"subscription_line_id": users.id, "new_quantity": 6}
                        ),
                        Command.create(
                            {
                                "product_id": self.product_addon.id,
                                "new_quantity": 1,
                                "price_unit": 10.0,
                            }
                        ),
                    ],
                }
            )
            amendment.action_apply()
        return amendment

    def _assert_company_b(self, amendment):
        addon_line = self.subscription_b.sale_subscription_line_ids.filtered(
            lambda line: line.product_id == self.product_addon
        )
        self.assertEqual(addon_line.tax_ids, self.tax_b)
        moves = amendment.move_ids
        self.assertEqual(len(moves), 2)
        self.assertEqual(moves.company_id, self.company_b)
        self.assertEqual(moves.journal_id.company_id, self.company_b)
        self.assertEqual(moves.invoice_line_ids.tax_ids, self.tax_b)
        upgrade = self._of_type(moves, "out_invoice")
        # 1 × 10.00 × 27/31 = 8.71, VAT 21 % = 1.83
        self.assertEqual((upgrade.amount_untaxed, upgrade.amount_tax), (8.71, 1.83))
        credit_note = self._of_type(moves, "out_refund")
        # 4 × 25.00 × 27/31 = 87.10, VAT 21 % = 18.29
        self.assertEqual(
            (credit_note.amount_untaxed, credit_note.amount_tax), (87.10, 18.29)
        )
        # the next recurring invoice bills the add-on with B's tax
        august = self._invoice_period(
            self.subscription_b.with_company(self.company_b), AUGUST, post=False
        )
        self.assertEqual(august.company_id, self.company_b)
        self.assertEqual(
            {line.product_id: line.tax_ids for line in august.invoice_line_ids},
            {self.product_users: self.tax_b, self.product_addon: self.tax_b},
        )

    def test_amended_in_company_b(self):
        self._assert_company_b(self._apply_in([self.company_b.id, self.company.id]))

    def test_amended_from_the_main_company(self):
        self._assert_company_b(self._apply_in([self.company.id, self.company_b.id]))

    def test_applied_by_the_daily_cron(self):
        """Submitted in B on 1 July, effective on 10 July: the cron (the main
        company's) applies it."""
        amendment = self._apply_in(
            [self.company_b.id, self.company.id], today="2024-07-01"
        )
        self.assertEqual(amendment.state, "scheduled")
        with freeze_time("2024-07-10"):
            self.env["sale.subscription"].cron_subscription_management()
        self.assertEqual(amendment.state, "done")
        self._assert_company_b(amendment)


class TestCurrencyChange(AccountantCase):
    """Case 7: the pricelist moves from USD to EUR after July was invoiced in
    USD; an upgrade of July is invoiced in USD, at the EUR prices converted
    at the upgrade's date."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        assert cls.currency == cls.env.ref("base.USD")
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        cls.eur.rate_ids.unlink()
        # EUR per USD: 0.8 from 1 July, 0.5 from 10 July (1 EUR = 2.00 USD)
        cls.env["res.currency.rate"].create(
            [
                {"currency_id": cls.eur.id, "name": date(2024, 7, 1), "rate": 0.8},
                {"currency_id": cls.eur.id, "name": date(2024, 7, 10), "rate": 0.5},
            ]
        )
        cls.pricelist_eur = cls.env["product.pricelist"].create(
            {"name": "Subscriptions EUR", "currency_id": cls.eur.id}
        )
        cls.invoice = cls._invoice_period(cls.subscription, JULY)
        assert cls.invoice.currency_id == cls.currency

    def test_upgrade_after_a_currency_change(self):
        with freeze_time("2024-07-09"):
            # the customer moved to EUR: an administrator's change, with a reason
            self.subscription.write_with_override(
                {
                    "pricelist_id": self.pricelist_eur.id,
                    "sale_subscription_line_ids": [
                        Command.update(self.users_line.id, {"price_unit": 12.50})
                    ],
                },
                "the customer now pays in EUR",
            )
        self.assertEqual(self.subscription.currency_id, self.eur)
        amendment = self._apply(
            {self.product_users: 12},
            date(2024, 7, 10),
            add=[(self.product_addon, 1, 8.0)],  # EUR
        )
        upgrade = amendment.move_ids
        self.assertEqual(upgrade.currency_id, self.currency, "July was billed in USD")
        # at 10 July's rate 1 EUR = 2.00 USD: users 12.50 EUR = 25.00 USD,
        # 2 × 25.00 × 27/31 = 43.548… → 43.55; the add-on 8.00 EUR = 16.00 USD,
        # 16.00 × 27/31 = 13.935… → 13.94; 57.49 USD (not 28.74: EUR amounts
        # taken for USD; not 34.22: converted at 1 July's rate)
        self.assertEqual(upgrade.amount_untaxed, 57.49)


class TestHeaders(AccountantCase):
    """Case 8: headers as core's reversal makes them; each credit on the
    document that billed it, never above what that document billed."""

    def test_no_payment_reference(self):
        invoice = self._invoice_period(self.subscription, JULY)
        self.assertTrue(invoice.payment_reference)
        credit_note = self._apply({self.product_users: 6}, date(2024, 7, 10)).move_ids
        self.assertFalse(credit_note.payment_reference)

    def test_cash_rounding_is_carried(self):
        rounding = self.env["account.cash.rounding"].create(
            {
                "name": "0.05",
                "rounding": 0.05,
                "strategy": "biggest_tax",
                "rounding_method": "HALF-UP",
            }
        )
        invoice = self._invoice_period(self.subscription, JULY, post=False)
        invoice.invoice_cash_rounding_id = rounding
        invoice.action_post()
        credit_note = self._apply({self.product_users: 6}, date(2024, 7, 10)).move_ids
        self.assertEqual(credit_note.invoice_cash_rounding_id, rounding)
        # 87.10 + VAT 17.42 = 104.52, rounded to 0.05: 104.50
        self.assertAlmostEqual(credit_note.amount_total, 104.50)

    def test_credit_of_an_upgrade_points_at_the_upgrade_invoice(self):
        invoice = self._invoice_period(self.subscription, JULY)
        upgrade = self._apply({self.product_users: 12}, date(2024, 7, 10)).move_ids
        # 2 × 25.00 × 27/31 = 43.55 + VAT 8.71 = 52.26
        self.assertEqual(upgrade.amount_total, 52.26)
        upgrade.action_post()
        credit_note = self._apply({self.product_users: 10}, date(2024, 7, 20)).move_ids
        # the two users billed by the upgrade go: 2 × 25.00 × 17/31 = 27.42
        self.assertEqual(credit_note.reversed_entry_id, upgrade)
        self.assertEqual(credit_note.amount_untaxed, 27.42)
        credit_note.action_post()
        self._assert_matched_only_with_its_invoice(credit_note)
        # 52.26 − (27.42 + VAT 5.48) = 19.36; the July invoice untouched
        self.assertAlmostEqual(upgrade.amount_residual, 19.36)
        self.assertAlmostEqual(invoice.amount_residual, invoice.amount_total)

    def test_no_credit_note_exceeds_its_invoice(self):
        subscription = self._start(
            self._create_subscription(
                lines=[(self.product_users, 1), (self.product_numbers, 3)]
            )
        )
        # 1 × 25.00 + 3 × 6.00 = 43.00
        invoice = self._invoice_period(subscription, JULY)
        # users 1 → 10 from 7 July: 9 × 25.00 × 30/31 = 217.74
        upgrade = self._apply(
            {self.product_users: 10}, date(2024, 7, 7), subscription=subscription
        ).move_ids
        self.assertEqual(upgrade.amount_untaxed, 217.74)
        upgrade.action_post()
        # users 10 → 0 from 8 July, 29 days: the 9 users of the upgrade,
        # 9 × 25.00 × 29/31 = 210.48, and the 1 user of the July invoice,
        # 1 × 25.00 × 29/31 = 23.39
        credit_notes = self._apply(
            {self.product_users: 0}, date(2024, 7, 8), subscription=subscription
        ).move_ids
        self.assertEqual(
            {move.reversed_entry_id: move.amount_untaxed for move in credit_notes},
            {upgrade: 210.48, invoice: 23.39},
        )
        for credit_note in credit_notes:
            self.assertLessEqual(
                credit_note.amount_untaxed,
                credit_note.reversed_entry_id.amount_untaxed,
            )
        self._post_entries(credit_notes)
        for credit_note in credit_notes:
            self._assert_matched_only_with_its_invoice(credit_note)


class TestGeneratedDrafts(AccountantCase):
    """Case 9: a generated draft is cancelled, never deleted."""

    def test_generated_drafts_are_cancelled_not_deleted(self):
        self._invoice_period(self.subscription, JULY)
        amendment = self._apply(
            {self.product_users: 6, self.product_numbers: 5}, date(2024, 7, 10)
        )
        self.assertEqual(
            sorted(amendment.move_ids.mapped("move_type")),
            ["out_invoice", "out_refund"],
        )
        accountant = new_test_user(
            self.env,
            login="accountant",
            groups="base.group_user,account.group_account_manager",
        )
        for move in amendment.move_ids.with_user(accountant):
            with self.subTest(move_type=move.move_type):
                with self.assertRaises(UserError):
                    move.unlink()
                move.button_cancel()
                self.assertEqual(move.state, "cancel")
        self.assertEqual(len(amendment.move_ids), 2)
