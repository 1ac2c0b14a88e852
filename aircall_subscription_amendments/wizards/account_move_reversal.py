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
        """Reverse and create a new invoice: the new one bills the same period.

        Its lines keep their subscription lines (a copied field); the billed
        period and the invoice it replaces are not copied by Odoo, so they are
        given here.
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
        return values
