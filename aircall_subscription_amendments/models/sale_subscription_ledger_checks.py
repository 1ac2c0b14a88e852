# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What an administrator or an accountant is shown of the ledger: invoices
billed before the addon, stamped with their period when it can be told
(adoption, ``_adopt``); earlier versions' matching repaired; the credit notes
that together exceed what a document billed (``_over_credits``); the posted
amendment documents of a cancelled invoice (``_orphaned_corrections``)."""

import logging
from collections import defaultdict
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from odoo import api, models

from ..tools import DERIVED_WRITE, internal

_logger = logging.getLogger(__name__)


class SaleSubscriptionLedger(models.AbstractModel):
    # one model, split by job on purpose (README, Architecture)
    _inherit = "sale.subscription.ledger"  # pylint: disable=consider-merging-classes-inherited

    # -- adoption: invoices billed before the addon ------------------------------

    @api.model
    def _adopt_invoices(self, subscriptions=None):
        """Stamp the billed period of the subscriptions' invoices that have none.

        subscription_oca's invoices (``account.move.subscription_id``, or those
        of the sale orders of its sale-and-invoice mode) made before this addon
        was installed say nothing of the period they bill. One is stamped when
        its period is unambiguous: its invoice date falls on a recurrence
        boundary counted back from the next invoice date, and no other invoice
        of the subscription falls on it. Its lines are linked to the
        subscription lines they bill. Returns the invoices left unstamped, for
        an administrator to look at.
        """
        if subscriptions is None:
            subscriptions = (
                self.env["sale.subscription"]
                .sudo()
                .with_context(active_test=False)
                .search([])
            )
        subscriptions = subscriptions.sudo()
        unknown = self.env["account.move"].sudo()
        for subscription in subscriptions:
            invoices = subscription._billing_moves().filtered(
                lambda move: (
                    move.move_type == "out_invoice"
                    and move.state != "cancel"
                    and not move.subscription_billed_id
                    and not move.amendment_id
                )
            )
            if not invoices:
                continue
            periods = self._recurrence_periods(subscription, invoices)
            on_boundary = invoices.grouped(
                lambda move, periods=periods: periods.get(
                    move.invoice_date or move.date
                )
            )
            for period, moves in on_boundary.items():
                if period is None or len(moves) > 1:
                    unknown |= moves
                    continue
                self._stamp(subscription, moves, *period)
        return unknown

    @api.model
    def _recurrence_periods(self, subscription, invoices):
        """{boundary: (boundary, next boundary)}, counted back from the next
        invoice date down to the oldest of ``invoices``."""
        next_date = subscription.recurring_next_date
        template = subscription.template_id
        if not next_date or not template.recurring_interval:
            return {}
        step = relativedelta(
            **{template.recurring_rule_type: int(template.recurring_interval)}
        )
        oldest = min(invoices.mapped(lambda move: move.invoice_date or move.date))
        periods, boundary = {}, next_date
        while boundary > oldest:
            previous = boundary - step
            periods[previous] = (previous, boundary)
            boundary = previous
        return periods

    @api.model
    def _repair_boundaries(self):
        """subscription_oca's unlimited subscriptions whose boundary flag was
        left empty (a form that sent an empty end date): its cron would compare
        that empty end date with today."""
        broken = (
            self.env["sale.subscription"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("template_id.recurring_rule_boundary", "=", "unlimited"),
                    ("recurring_rule_boundary", "=", False),
                    ("date", "=", False),
                ]
            )
        )
        # subscription_oca's computed flag: a derived value, written as bookkeeping
        internal(broken, DERIVED_WRITE).write({"recurring_rule_boundary": True})
        return broken

    # -- repair of what earlier versions generated -------------------------------

    @api.model
    def _repair_matching(self):
        """Match every posted amendment credit note with its own invoice.

        Earlier versions posted batches of credit notes through core's
        pairing by position, which could match one with another customer's
        invoice. Those matches are undone and made right; payments and other
        matches (a credit the accountant applied to another invoice of the
        same customer, say) are left alone. Posted documents are not
        rewritten. Returns the credit notes that were matched wrongly.
        """
        refunds = self._amendment_credit_notes(["posted"])
        wrong = refunds.browse()
        partials = self.env["account.partial.reconcile"].sudo()
        by_invoice = refunds._by_matching_invoice()
        for invoice, reversals in by_invoice.items():
            for reversal in reversals:
                bad = reversal.line_ids.matched_debit_ids.filtered(
                    lambda partial, invoice=invoice, reversal=reversal: (
                        partial.debit_move_id.move_id.is_invoice()
                        and partial.debit_move_id.move_id != invoice
                        and partial.debit_move_id.move_id.commercial_partner_id
                        != reversal.commercial_partner_id
                    )
                )
                if bad:
                    partials |= bad
                    wrong |= reversal
        if partials:
            unmatched = partials.debit_move_id.move_id
            partials.unlink()
            # the invoices they were wrongly matched with have credit notes of
            # their own, left open by the shift
            again = wrong
            for invoice, reversals in by_invoice.items():
                if invoice in unmatched:
                    again |= reversals
            open_refunds = again.filtered(
                lambda refund: refund.payment_state in ("not_paid", "partial")
            )
            self.env["account.move"]._reconcile_reversed_moves(open_refunds, False)
        return wrong

    @api.model
    def _orphaned_corrections(self):
        """The posted amendment documents of a cancelled period invoice (or of
        none any more): its credit notes, and the upgrade invoices of a period
        whose invoices are all cancelled."""
        moves = self.env["account.move"].sudo()
        posted = moves.search([("amendment_id", "!=", False), ("state", "=", "posted")])
        orphans = posted.filtered(
            lambda move: (
                move.move_type == "out_refund"
                and (
                    not move.reversed_entry_id
                    or move.reversed_entry_id.state == "cancel"
                )
            )
        )
        upgrades = posted.filtered(
            lambda move: move.move_type == "out_invoice" and not move.reversed_entry_id
        )
        if not upgrades:
            return orphans
        invoices = moves.search(
            [
                ("subscription_billed_id", "in", upgrades.subscription_billed_id.ids),
                ("amendment_id", "=", False),
                ("move_type", "=", "out_invoice"),
            ]
        )
        billed = {
            (invoice.subscription_billed_id, invoice.subscription_period_start)
            for invoice in invoices
            if invoice.state != "cancel"
        }
        return orphans | upgrades.filtered(
            lambda move: (
                (move.subscription_billed_id, move.subscription_period_start)
                not in billed
            )
        )

    @api.model
    def _amendment_credit_notes(self, states):
        return (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("amendment_id", "!=", False),
                    ("move_type", "=", "out_refund"),
                    ("state", "in", states),
                ]
            )
        )

    @api.model
    def _over_credits(self):
        """The credit notes of subscription documents credited beyond what they
        billed, for an accountant to look at (never rewritten here, and
        posting is never refused for it): every credit note that counts
        against such a document, the amendments' and the accountants' alike
        (a goodwill note and an amendment's may together exceed it). An
        invoice and the ones that replaced it (reverse and create) are one
        document: the replacement bills again what the reversal took."""
        moves = self.env["account.move"].sudo()
        credits = moves.search(
            [
                ("reversed_entry_id.subscription_billed_id", "!=", False),
                ("move_type", "=", "out_refund"),
                ("state", "!=", "cancel"),
            ]
        )
        reversals = moves.search(
            [
                ("reversed_entry_id", "in", credits.ids),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
            ]
        )
        credits_by_document = (credits | reversals).grouped("reversed_entry_id")
        roots = moves
        for document in credits.reversed_entry_id:
            roots |= document._replacement_chain_root()
        over = moves
        for root in roots:
            documents = root._with_replacements()
            remaining = defaultdict(Decimal)
            for line in self._invoiced_lines(documents, credits_by_document):
                remaining[line.key] += line.remaining_amount
            if any(amount < 0 for amount in remaining.values()):
                over |= credits.filtered(
                    lambda credit, documents=documents: (
                        credit.reversed_entry_id in documents
                        and credit._counts_in_ledger()
                    )
                )
        return over

    @api.model
    def _adopt(self):
        """What the install and the upgrade to this version run: repair
        subscription_oca's empty boundaries, stamp the billed periods of
        existing invoices, match earlier amendment credit notes right. Returns
        (invoices left unstamped, over-credited credit notes)."""
        self._repair_boundaries()
        unknown = self._adopt_invoices()
        wrong = self._repair_matching()
        over = self._over_credits()
        _logger.info(
            "Subscription amendments: %s invoice(s) left without a billed period "
            "%s, %s credit note(s) matched again %s, %s over-credit(s) %s",
            len(unknown),
            unknown.ids,
            len(wrong),
            wrong.ids,
            len(over),
            over.ids,
        )
        return unknown, over
