# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models
from odoo.exceptions import UserError

from ..tools import DERIVED_WRITE, internal


class AccountMoveReversal(models.TransientModel):
    _inherit = "account.move.reversal"

    def modify_moves(self):
        self._ensure_no_repriced_invoice_replaced()
        # the new invoice gets the billed period: the addon's own bookkeeping,
        # which no client writes (``_modify_default_reverse_values``)
        return super(AccountMoveReversal, internal(self, DERIVED_WRITE)).modify_moves()

    def _modify_default_reverse_values(self, origin_move):
        """Reverse and create a new document: the new one bills (or credits)
        the same period.

        Its lines keep their subscription lines (a copied field); the billed
        period and the document it replaces are not copied by Odoo, so they
        are given here; so is, for a credit note, the invoice it corrects: the
        new one corrects it in its place.
        """
        values = super()._modify_default_reverse_values(origin_move)
        if origin_move.subscription_billed_id:
            values.update(
                subscription_billed_id=origin_move.subscription_billed_id.id,
                subscription_period_start=origin_move.subscription_period_start,
                subscription_period_next_start=(
                    origin_move.subscription_period_next_start
                ),
                subscription_replaced_id=origin_move.id,
            )
            if origin_move.move_type == "out_refund" and origin_move.reversed_entry_id:
                values["reversed_entry_id"] = origin_move.reversed_entry_id.id
        return values

    def _ensure_no_repriced_invoice_replaced(self):
        """Reverse and create of an invoice whose units an amendment
        re-priced (or of the invoice of a price rise) is refused: the ledger
        would read its replacement at the old price. The accountant credits
        it (Credit Note) and invoices anew instead."""
        invoices = self.move_ids.filtered(
            lambda move: move.move_type == "out_invoice" and move.subscription_billed_id
        )
        if not invoices:
            return
        chain = invoices.browse(
            [move._replacement_chain_root().id for move in invoices]
        )._with_replacements()
        repriced = (
            self.env["account.move.line"]
            .sudo()
            .search(
                [
                    ("subscription_price_difference", "=", True),
                    ("parent_state", "!=", "cancel"),
                    "|",
                    ("move_id", "in", chain.ids),
                    ("subscription_repriced_line_id.move_id", "in", chain.ids),
                ],
                limit=1,
            )
        )
        if repriced:
            raise UserError(
                self.env._(
                    "The prices of the units billed by %(move)s were changed by "
                    "an amendment: Reverse and create would bill them again at "
                    "the old price. Issue a credit note (Credit Note) and a new "
                    "invoice instead.",
                    move=(repriced.subscription_repriced_line_id.move_id & chain)[
                        :1
                    ].display_name
                    or repriced.move_id.display_name,
                )
            )
