# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command, fields, models
from odoo.tools import float_compare, float_is_zero


class SaleSubscriptionAmendmentWizardLine(models.TransientModel):
    _name = "sale.subscription.amendment.wizard.line"
    _inherit = "sale.subscription.amendment.line.mixin"
    _description = "Amend a subscription: one line"
    _check_company_auto = True

    wizard_id = fields.Many2one(
        comodel_name="sale.subscription.amendment.wizard",
        required=True,
        ondelete="cascade",
        index=True,
    )
    subscription_id = fields.Many2one(related="wizard_id.subscription_id")
    company_id = fields.Many2one(related="wizard_id.company_id")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    subscription_line_id = fields.Many2one(ondelete="cascade")
    old_quantity = fields.Float(string="Current quantity")
    new_quantity = fields.Float(help="0 removes the line.")
    price_unit = fields.Float(
        help="A new add-on's unit price; the subscription line's for the others."
    )

    def _amendment_line_command(self):
        """The amendment line this line asks for, or None if it changes nothing."""
        self.ensure_one()
        if self.subscription_line_id:
            if (
                not float_compare(
                    self.new_quantity, self.old_quantity, precision_digits=6
                )
                and not self._reprices()
            ):
                return None
            values = {
                "subscription_line_id": self.subscription_line_id.id,
                "old_quantity": self.old_quantity,
                "new_quantity": self.new_quantity,
            }
            if self._reprices():
                values.update(
                    new_price_unit=self.new_price_unit, new_discount=self.new_discount
                )
            return Command.create(values)
        if not self.product_id or float_is_zero(self.new_quantity, precision_digits=6):
            return None
        return Command.create(
            {
                "product_id": self.product_id.id,
                "new_quantity": self.new_quantity,
                "price_unit": self.price_unit,
            }
        )
