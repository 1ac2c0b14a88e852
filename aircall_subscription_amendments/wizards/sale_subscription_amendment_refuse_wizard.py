# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class SaleSubscriptionAmendmentRefuseWizard(models.TransientModel):
    """Refuse a customer's change request, with the reason they will read."""

    _name = "sale.subscription.amendment.refuse.wizard"
    _description = "Refuse a change request"

    amendment_id = fields.Many2one(
        comodel_name="sale.subscription.amendment",
        required=True,
        readonly=True,
        ondelete="cascade",
    )
    reason = fields.Text(
        required=True,
        help="Sent to the customer and shown in their portal.",
    )

    def action_refuse(self):
        self.ensure_one()
        self.amendment_id.action_refuse(self.reason)
        return {"type": "ir.actions.act_window_close"}
