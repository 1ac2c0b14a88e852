# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What a subscription's documents say as e-invoices (Factur-X CII, UBL).

The builders of ``account_edi_ubl_cii`` ask these methods; they decide, the
builders only place the values: the billed period (BG-14) and each line's
period (BG-26), the invoice a credit note corrects (BT-25/BT-26), the buyer's
references an amendment's document carries (BT-10/BT-13: those of the invoice
it corrects, never the sentence of its ``ref``), and the amendment's note
(BT-22).
"""

from odoo import models
from odoo.tools.misc import format_date

from .. import rules


class AccountMove(models.Model):
    # one job per file (README, Architecture): account_move.py builds the documents
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    def _einvoice_billing_period(self):
        """(first day, last day) of the period this document bills or
        corrects, or None."""
        self.ensure_one()
        if not (self.subscription_period_start and self.subscription_period_end):
            return None
        return self.subscription_period_start, self.subscription_period_end

    def _einvoice_corrected_invoice(self):
        """The invoice an amendment's document refers to: the one a credit note
        corrects; for an upgrade invoice, its period's invoice (as the ledger
        takes it: the newest one that no amendment issued). Empty for other
        documents."""
        self.ensure_one()
        if not self.amendment_id:
            return self.browse()
        if self.move_type == "out_refund":
            return self.reversed_entry_id
        candidates = self.sudo().search(
            [
                ("subscription_billed_id", "=", self.subscription_billed_id.id),
                ("subscription_period_start", "=", self.subscription_period_start),
                (
                    "subscription_period_next_start",
                    "=",
                    self.subscription_period_next_start,
                ),
                ("move_type", "=", "out_invoice"),
                ("state", "!=", "cancel"),
                ("id", "!=", self.id),
            ],
            order="id desc",
        )
        invoice = candidates.filtered(lambda move: not move._issuing_amendment())[:1]
        return invoice.with_env(self.env)

    def _einvoice_reference_invoice(self):
        """The invoice whose buyer references (BT-10, BT-13) this document
        carries: itself, or, for an amendment's document, those of the invoice
        it corrects, through amendments of amendments."""
        self.ensure_one()
        move, seen = self, set()
        while move.amendment_id and move.id not in seen:
            seen.add(move.id)
            corrected = move._einvoice_corrected_invoice()
            if not corrected:
                break
            move = corrected
        return move

    def _einvoice_preceding_invoice(self):
        """(number, issue date) of the invoice an amendment's credit note
        corrects (BT-25, BT-26), or None."""
        self.ensure_one()
        invoice = self.reversed_entry_id
        if not (self.amendment_id and self.move_type == "out_refund" and invoice):
            return None
        return invoice.name, invoice.invoice_date or invoice.date

    def _einvoice_amendment_note(self):
        """The note (BT-22) of an amendment's document: the amendment, its
        effective date and the share of the billed period, in the language of
        the context (the partner's, as the builders export). None for other
        documents."""
        self.ensure_one()
        period = self._einvoice_billing_period()
        lines = self.invoice_line_ids.filtered(
            lambda line: (
                line.subscription_period_start and not line.subscription_rounding
            )
        )
        if not (self.amendment_id and period and lines):
            return None
        since = min(lines.mapped("subscription_period_start"))
        share = rules.share(
            self.subscription_period_start,
            self.subscription_period_next_start,
            since,
            self.company_id.amendment_proration_convention,
        )
        env = self.env
        return env._(
            "Amendment %(amendment)s: from %(since)s, %(percent)s %% of the billed "
            "period %(start)s – %(end)s.",
            amendment=self.amendment_id.name,
            since=format_date(env, since),
            percent=rules.round_amount(share * 100, 0),
            start=format_date(env, period[0]),
            end=format_date(env, period[1]),
        )
