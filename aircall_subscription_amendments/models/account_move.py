# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import Counter

from odoo import api, fields, models

#: context key: reconcile the credit notes being posted with their invoices in
#: one reconciliation plan (set by the amendment path when it posts a batch)
BATCH_RECONCILE = "aircall_batch_reversal_reconcile"


class AccountMove(models.Model):
    _inherit = "account.move"

    subscription_billed_id = fields.Many2one(
        comodel_name="sale.subscription",
        string="Billed subscription",
        index="btree_not_null",
        copy=False,
        readonly=True,
        help="The subscription whose period this invoice bills (or corrects).",
    )
    subscription_period_start = fields.Date(
        string="Billed from", copy=False, readonly=True
    )
    subscription_period_next_start = fields.Date(
        string="Billed until (excluded)",
        copy=False,
        readonly=True,
        help="The billed period is [Billed from, this date): the first day that is "
        "no longer billed.",
    )
    subscription_period_end = fields.Date(
        string="Billed until",
        compute="_compute_subscription_period_end",
        help="The last billed day.",
    )
    amendment_id = fields.Many2one(
        comodel_name="sale.subscription.amendment",
        index="btree_not_null",
        copy=False,
        readonly=True,
        ondelete="restrict",
        help="The amendment that generated this credit note or invoice.",
    )

    @api.depends("subscription_period_next_start")
    def _compute_subscription_period_end(self):
        for move in self:
            move.subscription_period_end = (
                move.subscription_period_next_start
                and fields.Date.subtract(move.subscription_period_next_start, days=1)
            )

    def _reconcile_reversed_moves(self, reverse_moves, move_reverse_cancel):
        """Under ``BATCH_RECONCILE``, one reconciliation plan for the batch.

        Core reconciles each credit note with the invoice it reverses in a
        ``reconcile()`` call of its own, the largest part of posting many credit
        notes. A credit note alone on its invoice in the batch, whose open
        reconcilable lines and the invoice's are all on one receivable account
        and currency (what an invoice and its credit note have), joins a single
        ``_reconcile_plan`` (independent pairs, the same matching); any other
        pair is left to core.
        """
        if not self.env.context.get(BATCH_RECONCILE) or len(reverse_moves) < 2:
            return super()._reconcile_reversed_moves(reverse_moves, move_reverse_cancel)
        reversed_count = Counter(reverse_moves.reversed_entry_id.ids)
        plan, other_ids, other_reverse_ids = [], [], []
        for reverse_move in reverse_moves:
            move = reverse_move.reversed_entry_id
            lines = move.line_ids | reverse_move.line_ids
            to_match = lines.filtered(
                lambda line: line.account_id.reconcile and not line.reconciled
            )
            if (
                reversed_count[move.id] == 1
                and len(to_match.account_id) == 1
                and len(to_match.currency_id) == 1
                and to_match.account_id.account_type == "asset_receivable"
                and not lines.filtered(
                    lambda line: (
                        line.account_type in ("asset_cash", "liability_credit_card")
                    )
                )
            ):
                plan.append(to_match)
            else:
                other_ids.append(move.id)
                other_reverse_ids.append(reverse_move.id)
        if other_ids:
            super(AccountMove, self.browse(other_ids))._reconcile_reversed_moves(
                self.browse(other_reverse_ids), move_reverse_cancel
            )
        if plan:
            self.env["account.move.line"].with_context(
                move_reverse_cancel=move_reverse_cancel
            )._reconcile_plan(plan)
        return reverse_moves
