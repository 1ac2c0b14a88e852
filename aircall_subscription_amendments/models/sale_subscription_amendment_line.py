# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import math

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class SaleSubscriptionAmendmentLine(models.Model):
    _name = "sale.subscription.amendment.line"
    _description = "Subscription amendment line"
    _order = "amendment_id, id"
    _check_company_auto = True

    amendment_id = fields.Many2one(
        comodel_name="sale.subscription.amendment",
        required=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(related="amendment_id.company_id", store=True)
    currency_id = fields.Many2one(related="amendment_id.currency_id")
    subscription_line_id = fields.Many2one(
        comodel_name="sale.subscription.line",
        string="Subscription line",
        index="btree_not_null",
        ondelete="set null",
        help="The subscription line changed; empty for a new add-on.",
    )
    product_id = fields.Many2one(
        comodel_name="product.product",
        required=True,
        check_company=True,
        domain="[('sale_ok', '=', True)]",
    )
    old_quantity = fields.Float(
        digits="Product Unit of Measure",
        readonly=True,
        help="The quantity when the amendment was created.",
    )
    new_quantity = fields.Float(
        digits="Product Unit of Measure",
        help="The quantity after the change; 0 removes the line.",
    )
    quantity_delta = fields.Float(
        string="Change",
        digits="Product Unit of Measure",
        compute="_compute_quantity_delta",
        store=True,
    )
    price_unit = fields.Float(
        string="Unit price",
        digits="Product Price",
        help="The subscription line's unit price; a new add-on needs its own.",
    )
    discount = fields.Float(string="Discount (%)", digits="Discount", readonly=True)

    @api.depends("old_quantity", "new_quantity")
    def _compute_quantity_delta(self):
        for line in self:
            line.quantity_delta = line.new_quantity - line.old_quantity

    def write(self, vals):
        self._check_numbers(vals)
        if set(vals) - {"subscription_line_id"}:
            self.amendment_id._check_lines_editable()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_applied(self):
        self.amendment_id._check_lines_editable()

    @api.model
    def _check_numbers(self, vals):
        """Quantities and prices are finite numbers (RPC clients may send text)."""
        for name in ("new_quantity", "price_unit"):
            value = vals.get(name)
            if value is None or value is False:
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise ValidationError(
                    self.env._(
                        "%(field)s must be a number, not %(value)s.",
                        field=self._fields[name].get_description(self.env)["string"],
                        value=repr(value),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_numbers(vals)
        self.env["sale.subscription.amendment"].browse(
            {vals.get("amendment_id") for vals in vals_list} - {False, None}
        )._check_lines_editable()
        lines = self.env["sale.subscription.line"].browse(
            [
                vals["subscription_line_id"]
                for vals in vals_list
                if vals.get("subscription_line_id")
            ]
        )
        lines.fetch(["product_id", "product_uom_qty", "price_unit", "discount"])
        for vals in vals_list:
            if vals.get("subscription_line_id"):
                vals.update(
                    self._snapshot_values(lines.browse(vals["subscription_line_id"]))
                )
            else:
                vals["old_quantity"] = 0.0
        return super().create(vals_list)

    def _rule_key(self):
        """The rules' key of this line: the subscription line's id, or a key of
        its own for a new add-on."""
        self.ensure_one()
        return self.subscription_line_id.id or ("new", self.id)

    @api.model
    def _snapshot_values(self, subscription_line):
        """What an amendment line copies from the subscription line it changes.

        Price changes are not amendments: the price is the line's own.
        """
        return {
            "product_id": subscription_line.product_id.id,
            "old_quantity": subscription_line.product_uom_qty,
            "price_unit": subscription_line.price_unit,
            "discount": subscription_line.discount,
        }
