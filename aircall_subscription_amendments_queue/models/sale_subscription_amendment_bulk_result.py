# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What a bulk amendment's job did to one contract."""

from odoo import fields, models

from .sale_subscription_amendment_bulk import RESULT_STATES


class SaleSubscriptionAmendmentBulkResult(models.Model):
    _name = "sale.subscription.amendment.bulk.result"
    _description = "Bulk amendment result"
    _order = "bulk_id, id"
    _sql_constraints = [
        (
            "one_result_per_contract",
            "UNIQUE(bulk_id, subscription_id)",
            "A contract has one result in a bulk amendment.",
        )
    ]

    bulk_id = fields.Many2one(
        comodel_name="sale.subscription.amendment.bulk",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(related="bulk_id.company_id", store=True)
    subscription_id = fields.Many2one(
        comodel_name="sale.subscription", required=True, readonly=True
    )
    partner_id = fields.Many2one(related="subscription_id.partner_id")
    state = fields.Selection(selection=RESULT_STATES, required=True, readonly=True)
    message = fields.Text(readonly=True, help="Why it was refused, or failed.")
    amendment_id = fields.Many2one(
        comodel_name="sale.subscription.amendment", readonly=True
    )
