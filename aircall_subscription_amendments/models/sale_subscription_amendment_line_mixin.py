# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A changed line, as the amendment and its wizard both hold it."""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from ..rules import MAX_QUANTITY
from ..tools import check_ids, check_numbers


class SaleSubscriptionAmendmentLineMixin(models.AbstractModel):
    _name = "sale.subscription.amendment.line.mixin"
    _description = "A changed subscription line"

    #: each model says which subscription its lines change
    subscription_id = fields.Many2one(comodel_name="sale.subscription")
    subscription_line_id = fields.Many2one(
        comodel_name="sale.subscription.line",
        help="The subscription line changed; empty for a new add-on.",
    )
    product_id = fields.Many2one(
        comodel_name="product.product",
        required=True,
        check_company=True,
        domain="[('sale_ok', '=', True)]",
    )
    old_quantity = fields.Float(digits="Product Unit of Measure", readonly=True)
    new_quantity = fields.Float(digits="Product Unit of Measure")
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
    )
    discount = fields.Float(string="Discount (%)", digits="Discount", readonly=True)
    new_price_unit = fields.Float(
        string="New unit price",
        digits="Product Price",
        help="The unit price from the effective date; empty keeps the line's.",
    )
    new_discount = fields.Float(
        string="New discount (%)",
        digits="Discount",
        help="The discount from the effective date; empty keeps the line's.",
    )

    @api.depends("old_quantity", "new_quantity")
    def _compute_quantity_delta(self):
        for line in self:
            line.quantity_delta = line.new_quantity - line.old_quantity

    @api.depends("product_id", "subscription_line_id")
    def _compute_price_unit(self):
        """The changed line's own price; a new add-on's from the subscription's
        pricelist (given one, an RPC client or the wizard may set another)."""
        for line in self:
            if line.subscription_line_id:
                line.price_unit = line.subscription_line_id.price_unit
            elif line.product_id:
                pricelist = line.subscription_id.pricelist_id
                line.price_unit = (
                    pricelist._get_product_price(
                        line.product_id, line.new_quantity or 1.0
                    )
                    if pricelist
                    else line.product_id.lst_price
                )

    @api.model
    def _ensure_valid_input(self, vals):
        """The values as a client sent them, before the ORM converts them (RPC
        clients may send text, NaN, 1e12 or unknown ids): ids of existing
        records; quantities and prices finite numbers, zero or more, and a
        quantity at most ``rules.MAX_QUANTITY``."""
        check_ids(self, vals)
        check_numbers(self, vals, ("new_quantity",), maximum=int(MAX_QUANTITY))
        check_numbers(self, vals, ("price_unit", "new_price_unit"))
        check_numbers(self, vals, ("new_discount",), maximum=100)

    @api.model
    def _fill_new_price(self, vals, price_unit, discount):
        """A changed line's new price and discount: as given, else (empty,
        False or absent) the line's own: ``vals`` completed. A new price of
        0 sent for a priced line is refused: a Float cannot tell it from an
        empty one, and a free line is a discount of 100 %."""
        sent = vals.get("new_price_unit")
        if sent is not None and sent is not False and not sent and price_unit:
            raise UserError(
                self.env._(
                    "A new unit price of 0 is not taken (an empty one keeps the "
                    "line's price): to make the line free, give it a new "
                    "discount of 100 %."
                )
            )
        if not sent:
            vals["new_price_unit"] = price_unit
        if vals.get("new_discount") is None or vals.get("new_discount") is False:
            vals["new_discount"] = discount
        return vals

    def _reprices(self):
        """The line asks for another net unit price than its snapshot's."""
        self.ensure_one()
        if not self.subscription_line_id:
            return False
        digits = self.env["decimal.precision"]
        return bool(
            float_compare(
                self.new_price_unit,
                self.price_unit,
                precision_digits=digits.precision_get("Product Price"),
            )
            or float_compare(
                self.new_discount,
                self.discount,
                precision_digits=digits.precision_get("Discount"),
            )
        )

    def _new_terms(self):
        """(unit price, discount) from the effective date."""
        self.ensure_one()
        if self._reprices():
            return self.new_price_unit, self.new_discount
        return self.price_unit, self.discount

    @api.model
    def _snapshot_values(self, subscription_line):
        """What a changed line copies from the subscription line it changes.

        Its price and discount as they are (a new price is ``new_price_unit``).
        """
        return {
            "product_id": subscription_line.product_id.id,
            "old_quantity": subscription_line.product_uom_qty,
            "price_unit": subscription_line.price_unit,
            "discount": subscription_line.discount,
        }
