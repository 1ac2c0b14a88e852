# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models

from ..tools import DERIVED_WRITE, internal


class AccountMoveReversal(models.TransientModel):
    _inherit = "account.move.reversal"

    def modify_moves(self):
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
