# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Ledger II: what a red team found after the walks, each played as the
accountant's actions that lead to it.

Customer X's contract: 10 users at 25.00 and 3 phone numbers at 6.00, July
(6 July – 5 August 2024, 31 days) billed and posted.
"""

import re
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError

from .test_ledger_documents import EFFECTIVE, LedgerCase


class TestRedTeamDates(LedgerCase):
    """No amendment document dated before the invoice it corrects, when that
    invoice is re-dated after the correction was posted."""

    def _redate_and_post(self, day):
        self.invoice.invoice_date = day
        with freeze_time(day):
            self.invoice.action_post()

    def test_invoice_not_posted_after_its_posted_upgrade(self):
        self.invoice.button_draft()
        upgrade = self._apply({}, EFFECTIVE, add=[(self.product_addon, 2, 10.0)])
        with freeze_time("2024-07-11"):
            upgrade.move_ids.action_post()
        self.assertEqual(upgrade.move_ids.invoice_date, EFFECTIVE)
        with self.assertRaisesRegex(UserError, upgrade.move_ids.name):
            self._redate_and_post(date(2024, 7, 20))
        # the accountant resets the upgrade to draft: it follows the invoice
        upgrade.move_ids.button_draft()
        self._redate_and_post(date(2024, 7, 20))
        self.assertEqual(upgrade.move_ids.invoice_date, date(2024, 7, 20))
        # or keeps the invoice on or before the upgrade's date
        self.assertEqual(self.invoice.state, "posted")

    def test_invoice_not_posted_after_its_posted_credit_note(self):
        note = self._apply({self.product_users: 6}, EFFECTIVE).move_ids
        note.action_post()
        self.invoice.button_draft()
        with self.assertRaisesRegex(UserError, note.name):
            self._redate_and_post(date(2024, 7, 20))
        # on the credit note's day it goes
        self._redate_and_post(EFFECTIVE)
        self.assertEqual(self.invoice.state, "posted")
        self._assert_matched_only_with_its_invoice(note)

    def test_credit_note_posted_while_its_invoice_is_a_draft(self):
        self.invoice.button_draft()
        note = self._apply({self.product_users: 6}, EFFECTIVE).move_ids
        with freeze_time("2024-07-11"):
            note.action_post()
        with self.assertRaisesRegex(UserError, note.name):
            self._redate_and_post(date(2024, 7, 20))
        note.button_draft()
        self._redate_and_post(date(2024, 7, 20))
        self.assertEqual(note.invoice_date, date(2024, 7, 20))

    def test_a_replacement_is_not_refused_for_the_period_upgrade(self):
        upgrade = self._apply({}, EFFECTIVE, add=[(self.product_addon, 2, 10.0)])
        upgrade.move_ids.action_post()
        replacement = self._reverse_and_replace(self.invoice, date(2024, 7, 20))
        with freeze_time("2024-07-20"):
            replacement.action_post()
        self.assertEqual(replacement.state, "posted")


class TestRedTeamSequence(LedgerCase):
    """A draft that keeps the number it was posted with is not moved into
    another year: the invoice it corrects still posts."""

    def _december(self):
        december = self._invoice_period(
            self.subscription, date(2024, 12, 6), post=False
        )
        upgrade = self._apply(
            {}, date(2024, 12, 20), add=[(self.product_addon, 2, 10.0)]
        ).move_ids
        with freeze_time("2024-12-20"):
            upgrade.action_post()
        self.assertIn("2024", upgrade.name)
        upgrade.button_draft()
        december.invoice_date = date(2025, 1, 3)
        return december, upgrade

    def test_invoice_posted_alone(self):
        december, upgrade = self._december()
        with freeze_time("2025-01-03"):
            december.action_post()
        self.assertEqual(december.state, "posted")
        self.assertIn("2025", december.name)
        self.assertEqual(upgrade.invoice_date, date(2024, 12, 20))

    def test_invoice_and_upgrade_posted_together(self):
        december, upgrade = self._december()
        with freeze_time("2025-01-03"):
            self._post_entries(december | upgrade)
        self.assertEqual((december.state, upgrade.state), ("posted", "posted"))
        self.assertIn("2024", upgrade.name)

    def test_a_draft_without_number_still_follows(self):
        december = self._invoice_period(
            self.subscription, date(2024, 12, 6), post=False
        )
        upgrade = self._apply(
            {}, date(2024, 12, 20), add=[(self.product_addon, 2, 10.0)]
        ).move_ids
        december.invoice_date = date(2025, 1, 3)
        with freeze_time("2025-01-03"):
            self._post_entries(december | upgrade)
        self.assertEqual(upgrade.invoice_date, date(2025, 1, 3))
        self.assertIn("2025", upgrade.name)


class TestRedTeamReplacements(LedgerCase):
    def test_replacement_in_another_currency(self):
        other = self.env.ref("base.EUR")
        if other == self.currency:
            other = self.env.ref("base.USD")
        other.active = True
        self.env["res.currency.rate"].create(
            {"currency_id": other.id, "name": "2024-01-01", "rate": 2.0}
        )
        # goodwill: 24.00 off each user: 10.00 of the users' 250.00 left
        self._credit_note_button(self.invoice, "2024-07-08", self._goodwill(24.0))
        replacement = self._reverse_and_replace(self.invoice, date(2024, 7, 9))
        # re-billed in `other`, the same value
        replacement.currency_id = other
        for line in replacement.invoice_line_ids:
            line.price_unit = line.price_unit * 2
        with freeze_time("2024-07-09"):
            replacement.action_post()
        amendment = self._apply({self.product_users: 0}, EFFECTIVE)
        self.assertEqual(amendment.move_ids.currency_id, other)
        # 10.00 left in the company's currency: 20.00 in `other`
        self.assertEqual(self._credited(amendment), 20.0)
        self.assertFalse(self.env["sale.subscription.ledger"]._over_credits())

    def test_over_credit_with_a_cancelled_replacement(self):
        goodwill = self._credit_note_button(
            self.invoice, "2024-07-08", self._goodwill(24.0)
        )
        replacement = self._reverse_and_replace(self.invoice, date(2024, 7, 9))
        replacement.button_cancel()
        # 268.00 billed; 240.00 (goodwill) and 268.00 (the reversal) credited
        self.assertIn(goodwill, self.env["sale.subscription.ledger"]._over_credits())

    def test_draft_replacement_of_an_upgrade_is_not_deleted(self):
        upgrade = self._apply({self.product_users: 13}, EFFECTIVE).move_ids
        upgrade.action_post()
        replacement = self._reverse_and_replace(upgrade, date(2024, 7, 12))
        note = self._apply({self.product_users: 10}, date(2024, 7, 15)).move_ids
        self.assertEqual(note.reversed_entry_id, replacement)
        with self.assertRaisesRegex(UserError, re.escape(note.display_name)):
            replacement.unlink()
        self.assertTrue(replacement.exists())


class TestRedTeamLostCredit(LedgerCase):
    def test_cancelled_then_reopened_invoice_lists_its_credit_note(self):
        note = self._apply({self.product_users: 6}, EFFECTIVE).move_ids
        self.invoice.button_draft()
        self.invoice.button_cancel()
        self.assertEqual(note.state, "cancel")
        ledger = self.env["sale.subscription.ledger"]
        # the invoice is cancelled: nothing is lost yet
        self.assertNotIn(note, ledger._orphaned_corrections())
        # the accountant changes their mind: the invoice stands
        self.invoice.button_draft()
        with freeze_time("2024-07-12"):
            self.invoice.action_post()
        self.assertIn(note, ledger._orphaned_corrections())
        action = self.env["res.config.settings"].action_amendment_check_invoices()
        self.assertIn(note.id, action["domain"][0][2])
        self.assertIn("never given", action["help"])


class TestRedTeamLineRecreated(LedgerCase):
    def test_refusal_names_the_line_not_the_product(self):
        with freeze_time("2024-07-08"):
            draft = self._amend(
                self.subscription,
                {self.product_numbers: 2},
                date(2024, 7, 8),
                request_date=date(2024, 7, 8),
            )
        self._apply({self.product_numbers: 0}, EFFECTIVE)
        self._apply({}, date(2024, 7, 11), add=[(self.product_numbers, 3, 6.0)])
        with (
            freeze_time("2024-07-12"),
            self.assertRaisesRegex(UserError, "line this amendment was prepared for"),
        ):
            draft.action_apply()
        self.assertNotEqual(draft.state, "done")


class TestRedTeamZeroCreditNote(LedgerCase):
    def _all_given_back(self):
        """Users 10 → 12 from 10 July, the upgrade invoice posted and given
        back whole by a goodwill credit note."""
        upgrade = self._apply({self.product_users: 12}, EFFECTIVE).move_ids
        if upgrade.state == "draft":
            upgrade.action_post()
        self._credit_note_button(
            upgrade,
            "2024-07-11",
            lambda note: note.write(
                {
                    "invoice_line_ids": [
                        Command.clear(),
                        Command.create(
                            {
                                "name": "Goodwill",
                                "quantity": 1,
                                "price_unit": upgrade.amount_untaxed,
                            }
                        ),
                    ]
                }
            ),
        )
        return upgrade

    def test_a_cancelled_zero_credit_note_still_removed_its_units(self):
        upgrade = self._all_given_back()
        zero = self._apply({self.product_users: 10}, date(2024, 7, 15)).move_ids
        self.assertEqual(zero.reversed_entry_id, upgrade)
        self.assertEqual(zero.amount_total, 0.0)
        # a credit note of 0.00: the accountant cancels it rather than post it
        zero.button_cancel()
        second = self._apply({self.product_users: 8}, date(2024, 7, 20))
        # 2 × 25.00 × 17/31 = 27.42, from July's invoice
        self.assertEqual(second.move_ids.reversed_entry_id, self.invoice)
        self.assertEqual(self._credited(second), 27.42)
        # nothing was lost: not listed
        self.assertNotIn(
            zero, self.env["sale.subscription.ledger"]._orphaned_corrections()
        )
