# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""One operation of a bulk amendment: what it does to each contract."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.aircall_subscription_amendments.rules import MAX_QUANTITY
from odoo.addons.aircall_subscription_amendments.tools import check_numbers

ACTIONS = [
    ("set_quantity", "Set the quantity of a product"),
    ("set_price", "Set the price of a product"),
    ("remove", "Remove a product"),
    ("add", "Add a product at a price"),
    ("cancel_renewal", "Do not renew"),
]


class SaleSubscriptionAmendmentBulkOperation(models.Model):
    _name = "sale.subscription.amendment.bulk.operation"
    _description = "Bulk amendment operation"
    _order = "bulk_id, sequence, id"
    _check_company_auto = True

    bulk_id = fields.Many2one(
        comodel_name="sale.subscription.amendment.bulk",
        required=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(related="bulk_id.company_id")
    sequence = fields.Integer(default=10)
    action = fields.Selection(selection=ACTIONS, required=True)
    product_id = fields.Many2one(
        comodel_name="product.product",
        check_company=True,
        domain="[('sale_ok', '=', True)]",
    )
    quantity = fields.Float(digits="Product Unit of Measure")
    price_unit = fields.Float(string="Unit price", digits="Product Price")
    discount = fields.Float(
        string="Discount (%)",
        digits="Discount",
        help="Set the price of a product: the discount from the effective date.",
    )

    @api.constrains("action", "product_id", "quantity", "price_unit")
    def _check_operation(self):
        for operation in self:
            if operation.action != "cancel_renewal" and not operation.product_id:
                raise ValidationError(self.env._("Choose the product to change."))
            if operation.action == "add" and (
                operation.quantity <= 0 or operation.price_unit <= 0
            ):
                raise ValidationError(
                    self.env._("Give the quantity and the unit price to add.")
                )
            if operation.action == "set_price" and operation.price_unit <= 0:
                raise ValidationError(
                    self.env._(
                        "Give the new unit price (a free line: a 100 % discount)."
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_numbers(self, vals, ("quantity",), maximum=int(MAX_QUANTITY))
            check_numbers(self, vals, ("price_unit",))
            check_numbers(self, vals, ("discount",), maximum=100)
        self.env["sale.subscription.amendment.bulk"].browse(
            {vals.get("bulk_id") for vals in vals_list} - {None, False}
        )._ensure_draft()
        return super().create(vals_list)

    def write(self, vals):
        check_numbers(self, vals, ("quantity",), maximum=int(MAX_QUANTITY))
        check_numbers(self, vals, ("price_unit",))
        check_numbers(self, vals, ("discount",), maximum=100)
        self.bulk_id._ensure_draft()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_running(self):
        self.bulk_id._ensure_draft()

    def _touches(self, subscription):
        """Whether this operation changes something on ``subscription``."""
        self.ensure_one()
        if self.action == "cancel_renewal":
            return subscription.auto_renew
        lines = subscription.sale_subscription_line_ids.filtered(
            lambda line: line.product_id == self.product_id
        )
        if self.action == "add":
            return not lines
        if self.action == "remove":
            return bool(lines)
        if self.action == "set_price":
            return any(
                (line.price_unit, line.discount) != (self.price_unit, self.discount)
                for line in lines
            )
        return any(line.product_uom_qty != self.quantity for line in lines)

    def _summary(self):
        self.ensure_one()
        label = dict(self._fields["action"]._description_selection(self.env))[
            self.action
        ]
        if self.action == "cancel_renewal":
            return label
        return self.env._(
            "%(action)s: %(product)s",
            action=label,
            product=self.product_id.display_name,
        )
