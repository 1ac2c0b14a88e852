# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


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
