# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

from .. import rules


class SaleSubscriptionLine(models.Model):
    _inherit = "sale.subscription.line"

    amendment_line_id = fields.Many2one(
        comodel_name="sale.subscription.amendment.line",
        string="Added by amendment line",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )

    def _prepare_account_move_line(self):
        values = super()._prepare_account_move_line()
        values["subscription_line_id"] = self.id
        return values

    def _rule_line(self, quantity=None):
        """This line as the rules see it (optionally with another quantity)."""
        self.ensure_one()
        return rules.Line(
            key=self.id,
            product=self.product_id.id,
            quantity=rules.to_decimal(
                self.product_uom_qty if quantity is None else quantity
            ),
            price_unit=rules.to_decimal(self.price_unit),
            discount=rules.to_decimal(self.discount),
            name=self.product_id.display_name,
        )
