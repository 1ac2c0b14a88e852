# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Ledger II: what the seeded walks (test_ledger_walks.py) found, each played
as the accountant's actions that lead to it.

Customer X's contract: 10 users at 25.00 and 3 phone numbers at 6.00, July
(6 July – 5 August 2024, 31 days) billed and posted.
"""

from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError

from .test_ledger_accountant import JULY
from .test_ledger_documents import EFFECTIVE, LedgerCase


class TestNeverDatedBeforeTheInvoiceItCorrects(LedgerCase):
    """A draft amendment document follows the invoice it corrects when that
    invoice is posted later than the draft's date (re-dated by the accountant,
    or a replacement Odoo dates on the day it is posted), and so do the drafts
    that correct it."""

    def _redate(self, invoice, day):
        invoice.button_draft()
        invoice.invoice_date = day

    def test_a_credit_note_of_a_re_dated_invoice(self):
        self.invoice.button_draft()
        amendment = self._apply({self.product_users: 6}, EFFECTIVE)
        credit_note = amendment.move_ids
        self.assertEqual(credit_note.invoice_date, EFFECTIVE)
        self.invoice.invoice_date = date(2024, 7, 15)
        with freeze_time("2024-07-16"):
            self._post_entries(self.invoice | credit_note)
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(credit_note.invoice_date, date(2024, 7, 15))
        self._assert_matched_only_with_its_invoice(credit_note)

    def test_an_upgrade_and_its_credit_note_follow(self):
        self.invoice.button_draft()
        upgrade = self._apply({}, EFFECTIVE, add=[(self.product_addon, 2, 10.0)])
        self.assertEqual(upgrade.move_ids.move_type, "out_invoice")
        reduction = self._apply({self.product_addon: 1}, date(2024, 7, 12))
        credit_note = reduction.move_ids
        self.assertEqual(credit_note.reversed_entry_id, upgrade.move_ids)
        self.invoice.invoice_date = date(2024, 7, 20)
        with freeze_time("2024-07-20"):
            self.invoice.action_post()
        self.assertEqual(upgrade.move_ids.invoice_date, date(2024, 7, 20))
        self.assertEqual(credit_note.invoice_date, date(2024, 7, 20))
        # the billed period, share and label keep the effective date
        self.assertIn("07/12/2024", credit_note.invoice_line_ids[0].name)

    def test_an_upgrade_posted_before_its_re_dated_invoice(self):
        # the accountant confirms the upgrade invoice alone (found by a walk)
        self.invoice.button_draft()
        upgrade = self._apply({}, EFFECTIVE, add=[(self.product_addon, 2, 10.0)])
        self.invoice.invoice_date = date(2024, 7, 20)
        with freeze_time("2024-07-21"):
            upgrade.move_ids.action_post()
        self.assertEqual(upgrade.move_ids.state, "posted")
        self.assertEqual(upgrade.move_ids.invoice_date, date(2024, 7, 20))

    def test_a_credit_note_of_a_replacement_posted_later(self):
        replacement = self._reverse_and_replace(self.invoice, date(2024, 7, 8))
        self.assertFalse(replacement.invoice_date)
        credit_note = self._apply({self.product_users: 6}, EFFECTIVE).move_ids
        self.assertEqual(credit_note.reversed_entry_id, replacement)
        with freeze_time("2024-07-18"):
            replacement.action_post()
        self.assertEqual(replacement.invoice_date, date(2024, 7, 18))
        self.assertEqual(credit_note.invoice_date, date(2024, 7, 18))

    def test_a_posted_correction_is_left_alone(self):
        amendment = self._apply({self.product_users: 6}, EFFECTIVE)
        amendment.move_ids.action_post()
        goodwill = self._credit_note_button(
            self.invoice, "2024-07-11", self._goodwill(5.0), post=False
        )
        with freeze_time("2024-07-12"):
            goodwill.action_post()
        self.assertEqual(amendment.move_ids.invoice_date, EFFECTIVE)
        self.assertEqual(goodwill.invoice_date, date(2024, 7, 11))

    def test_posting_looks_for_drafts_of_subscription_invoices_only(self):
        """Posting an invoice that bills no contract costs no search for
        amendment drafts."""
        move_model = type(self.env["account.move"])
        searched = []
        search = move_model.search

        def spy(records, domain, *args, **kwargs):
            searched.append(domain)
            return search(records, domain, *args, **kwargs)

        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.partner.id,
                "invoice_date": JULY,
                "invoice_line_ids": [
                    Command.create(
                        {"product_id": self.product_users.id, "price_unit": 25.0}
                    )
                ],
            }
        )
        with patch.object(move_model, "search", spy):
            invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertFalse(
            [domain for domain in searched if ("amendment_id", "!=", False) in domain]
        )


class TestAReplacedInvoiceIsOneDocument(LedgerCase):
    """*Reverse and create* of an invoice: the invoice and its replacement
    are one document, credit notes of the first count against the second."""

    def test_goodwill_before_the_replacement_caps_a_reduction(self):
        # 24.00 off each user: 10.00 of users' 250.00 left
        self._credit_note_button(self.invoice, "2024-07-08", self._goodwill(24.0))
        replacement = self._reverse_and_replace(self.invoice, date(2024, 7, 9))
        with freeze_time("2024-07-09"):
            replacement.action_post()
        amendment = self._apply({self.product_users: 0}, EFFECTIVE)
        # 10 × 25.00 × 27/31 = 217.74, capped at the 10.00 left
        self.assertEqual(self._credited(amendment), 10.0)
        self.assertEqual(amendment.move_ids.reversed_entry_id, replacement)

    def test_a_reduction_before_the_replacement_is_not_credited_again(self):
        first = self._apply({self.product_users: 6}, EFFECTIVE)
        first.move_ids.action_post()
        replacement = self._reverse_and_replace(self.invoice, date(2024, 7, 12))
        with freeze_time("2024-07-12"):
            replacement.action_post()
        second = self._apply({self.product_users: 0}, date(2024, 7, 15))
        # the 6 users left, from 15 July: 6 × 25.00 × 22/31 = 106.45
        self.assertEqual(self._credited(second), 106.45)
        self.assertEqual(second.move_ids.invoice_line_ids[0].quantity, 6)

    def test_the_rounding_line_of_a_whole_reversal_removes_no_unit(self):
        # 3 users from 10 July: 3 × 25.00 × 27/31 = 65.32, at 21.77 a unit
        # and a rounding line of 0.01
        upgrade = self._apply({self.product_users: 13}, EFFECTIVE).move_ids
        upgrade.action_post()
        self.assertTrue(upgrade.invoice_line_ids.filtered("subscription_rounding"))
        replacement = self._reverse_and_replace(upgrade, date(2024, 7, 12))
        with freeze_time("2024-07-12"):
            replacement.action_post()
        amendment = self._apply({self.product_users: 10}, date(2024, 7, 15))
        # the 3 units, all on the upgrade (its replacement): 3 × 25.00 × 22/31
        credit_note = amendment.move_ids
        self.assertEqual(credit_note.reversed_entry_id, replacement)
        self.assertEqual(self._credited(amendment), 53.23)
        self.assertEqual(
            sum(
                credit_note.invoice_line_ids.filtered(
                    lambda line: not line.subscription_rounding
                ).mapped("quantity")
            ),
            3,
        )


class TestUnitsRemovedWhenNothingIsLeftToCredit(LedgerCase):
    """Goodwill took all an upgrade invoice billed; a reduction of its units
    credits nothing more, but the units go: the next reduction takes its
    units from the period's invoice."""

    def test_the_next_reduction_credits_the_invoice(self):
        upgrade = self._apply({self.product_users: 12}, EFFECTIVE).move_ids
        upgrade.action_post()
        # 2 × 25.00 × 27/31 = 43.55, all of it given back as a goodwill gesture
        goodwill = self._credit_note_button(
            upgrade,
            "2024-07-11",
            lambda note: note.write(
                {
                    "invoice_line_ids": [
                        Command.clear(),
                        Command.create(
                            {"name": "Goodwill", "quantity": 1, "price_unit": 43.55}
                        ),
                    ]
                }
            ),
        )
        self.assertEqual(goodwill.amount_untaxed, 43.55)
        first = self._apply({self.product_users: 10}, date(2024, 7, 15))
        # nothing left on the upgrade invoice: 0.00, the 2 units go
        self.assertEqual(self._credited(first), 0.0)
        self.assertEqual(first.move_ids.reversed_entry_id, upgrade)
        self.assertEqual(first.move_ids.invoice_line_ids.quantity, 2)
        second = self._apply({self.product_users: 8}, date(2024, 7, 20))
        # from July's invoice: 2 × 25.00 × 17/31 = 27.42
        self.assertEqual(second.move_ids.reversed_entry_id, self.invoice)
        self.assertEqual(self._credited(second), 27.42)


class TestADraftWhoseLineLeftTheContract(LedgerCase):
    def test_it_is_refused_at_apply(self):
        with freeze_time("2024-07-08"):
            draft = self._amend(
                self.subscription,
                {self.product_numbers: 1},
                date(2024, 7, 8),
                request_date=date(2024, 7, 8),
            )
        self._apply({self.product_numbers: 0}, EFFECTIVE)
        self.assertNotIn(
            self.product_numbers,
            self.subscription.sale_subscription_line_ids.product_id,
        )
        lines = self.subscription.sale_subscription_line_ids
        with (
            freeze_time("2024-07-12"),
            self.assertRaisesRegex(UserError, "Phone numbers .* no longer"),
        ):
            draft.action_apply()
        self.assertEqual(draft.state, "draft")
        self.assertEqual(self.subscription.sale_subscription_line_ids, lines)
