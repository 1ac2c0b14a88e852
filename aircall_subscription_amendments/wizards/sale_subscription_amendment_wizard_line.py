# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command, api, fields, models
from odoo.tools import float_compare, float_is_zero


class SaleSubscriptionAmendmentWizardLine(models.TransientModel):
    _name = "sale.subscription.amendment.wizard.line"
    _description = "Amend a subscription: one line"
    _check_company_auto = True

    wizard_id = fields.Many2one(
        comodel_name="sale.subscription.amendment.wizard",
        required=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(related="wizard_id.company_id")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    subscription_line_id = fields.Many2one(
        comodel_name="sale.subscription.line",
        ondelete="cascade",
        help="The subscription line changed; empty for a new add-on.",
    )
    product_id = fields.Many2one(
        comodel_name="product.product",
        required=True,
        check_company=True,
        domain="[('sale_ok', '=', True)]",
    )
    old_quantity = fields.Float(
        string="Current quantity", digits="Product Unit of Measure", readonly=True
    )
    new_quantity = fields.Float(
        digits="Product Unit of Measure",
        help="0 removes the line.",
    )
    quantity_delta = fields.Float(
        string="Change",
        digits="Product Unit of Measure",
        compute="_compute_quantity_delta",
    )
    price_unit = fields.Float(
        string="Unit price",
        digits="Product Price",
        compute="_compute_price_unit",
        store=True,
        readonly=False,
        precompute=True,
        help="A new add-on's unit price; the subscription line's for the others.",
    )
    discount = fields.Float(string="Discount (%)", digits="Discount", readonly=True)

    @api.depends("old_quantity", "new_quantity")
    def _compute_quantity_delta(self):
        for line in self:
            line.quantity_delta = line.new_quantity - line.old_quantity

    @api.depends("product_id")
    def _compute_price_unit(self):
        """A new add-on starts at the subscription pricelist's price."""
        for line in self:
            if line.subscription_line_id or not line.product_id:
                continue
            pricelist = line.wizard_id.subscription_id.pricelist_id
            line.price_unit = (
                pricelist._get_product_price(line.product_id, line.new_quantity or 1.0)
                if pricelist
                else line.product_id.lst_price
            )

    def _amendment_line_command(self):
        """The amendment line this line asks for, or None if it changes nothing."""
        self.ensure_one()
        if self.subscription_line_id:
            if not float_compare(
                self.new_quantity, self.old_quantity, precision_digits=6
            ):
                return None
            return Command.create(
                {
                    "subscription_line_id": self.subscription_line_id.id,
                    "old_quantity": self.old_quantity,
                    "new_quantity": self.new_quantity,
                }
            )
        if not self.product_id or float_is_zero(self.new_quantity, precision_digits=6):
            return None
        return Command.create(
            {
                "product_id": self.product_id.id,
                "new_quantity": self.new_quantity,
                "price_unit": self.price_unit,
            }
        )
