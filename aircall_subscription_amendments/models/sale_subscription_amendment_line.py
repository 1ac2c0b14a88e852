# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A line an amendment changes (or adds): its snapshot of the subscription line,
and what it may say."""

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import formatLang

from ..tools import (
    APPLY_CONTEXT,
    deprecated_alias,
    ensure_no_derived_values,
    format_quantity,
    is_internal,
)
from . import sale_subscription_amendment_line_mixin  # noqa: F401 (defined first)

#: what a changed line keeps once created: its amendment, the subscription
#: line it changes, and what that line was (a new add-on's product excepted)
KEPT_FIELDS = (
    "amendment_id",
    "subscription_line_id",
    "product_id",
    "old_quantity",
    "discount",
)


class SaleSubscriptionAmendmentLine(models.Model):
    _name = "sale.subscription.amendment.line"
    _inherit = "sale.subscription.amendment.line.mixin"
    _description = "Subscription amendment line"
    _order = "amendment_id, id"
    _check_company_auto = True

    amendment_id = fields.Many2one(
        comodel_name="sale.subscription.amendment",
        required=True,
        index=True,
        ondelete="cascade",
    )
    subscription_id = fields.Many2one(related="amendment_id.subscription_id")
    company_id = fields.Many2one(related="amendment_id.company_id", store=True)
    currency_id = fields.Many2one(related="amendment_id.currency_id")
    subscription_line_id = fields.Many2one(
        string="Subscription line", index="btree_not_null", ondelete="set null"
    )
    old_quantity = fields.Float(help="The quantity when the amendment was created.")
    new_quantity = fields.Float(
        help="The quantity after the change; 0 removes the line."
    )
    quantity_delta = fields.Float(store=True)
    price_unit = fields.Float(
        help="The subscription line's unit price; a new add-on needs its own."
    )

    def write(self, vals):
        self._ensure_valid_input(vals)
        ensure_no_derived_values(self, [vals], writing=True)
        self._ensure_kept(vals)
        if set(vals) - {"subscription_line_id"}:
            self.amendment_id._ensure_lines_editable()
        if ("new_price_unit" in vals and not vals["new_price_unit"]) or (
            "new_discount" in vals and vals["new_discount"] is False
        ):
            # emptied: the line's own price or discount again
            for line in self:
                super(SaleSubscriptionAmendmentLine, line).write(
                    line._fill_new_price(dict(vals), line.price_unit, line.discount)
                )
            return True
        return super().write(vals)

    def _ensure_kept(self, vals):
        """What a changed line is stays as it was created: its amendment, the
        subscription line it changes and that line's snapshot. The amendment
        path links a new add-on to the subscription line it became, once."""

        def changes(line, name):
            if name == "product_id" and not line.subscription_line_id:
                return False  # a new add-on's product is the draft's to choose
            field = line._fields[name]
            return field.convert_to_cache(vals[name], line) != field.convert_to_cache(
                line[name], line
            )

        changed = [
            name
            for name in KEPT_FIELDS
            if name in vals and any(changes(line, name) for line in self)
        ]
        if changed == ["subscription_line_id"] and is_internal(self, APPLY_CONTEXT):
            if not any(line.subscription_line_id for line in self):
                return
        if changed:
            raise UserError(
                self.env._(
                    "A changed line keeps its amendment, the subscription line it "
                    "changes and what that line was (%(fields)s cannot change): "
                    "remove it and add another one.",
                    fields=", ".join(
                        self._fields[name]._description_string(self.env)
                        for name in changed
                    ),
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_applied(self):
        self.amendment_id._ensure_lines_editable()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._ensure_valid_input(vals)
        ensure_no_derived_values(self, vals_list)
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
            if "price_unit" in vals:
                self._fill_new_price(
                    vals, vals["price_unit"], vals.get("discount", 0.0)
                )
        # checked on the values the records hold, defaults from the context included
        with self.env.cr.savepoint():
            lines = super().create(vals_list)
            lines.amendment_id._ensure_lines_editable()
            lines._ensure_snapshot()
        return lines

    def _ensure_snapshot(self):
        """A changed line holds its subscription line's snapshot (set by ``create``
        from the given subscription line, not from a context default)."""
        for line in self.filtered("subscription_line_id"):
            snapshot = line._snapshot_values(line.subscription_line_id)
            if (
                line.product_id.id != snapshot["product_id"]
                or line.old_quantity != (snapshot["old_quantity"])
            ):
                raise ValidationError(
                    self.env._(
                        "A changed line takes its product and current quantity from "
                        "its subscription line: give subscription_line_id in the "
                        "line's values."
                    )
                )

    @api.constrains("subscription_line_id", "amendment_id")
    def _check_subscription_line(self):
        """A changed line is a line of the amendment's subscription, changed once."""
        for line in self.filtered("subscription_line_id"):
            amendment = line.amendment_id
            if line.subscription_line_id.sale_subscription_id != (
                amendment.subscription_id
            ):
                raise ValidationError(
                    self.env._(
                        "%(product)s is a line of another subscription than "
                        "%(subscription)s.",
                        product=line.subscription_line_id.product_id.display_name,
                        subscription=amendment.subscription_id.display_name,
                    )
                )
            if (
                len(
                    amendment.line_ids.filtered(
                        lambda other, line=line: (
                            other.subscription_line_id == line.subscription_line_id
                        )
                    )
                )
                > 1
            ):
                raise ValidationError(
                    self.env._(
                        "%(product)s is changed twice in this amendment.",
                        product=line.product_id.display_name,
                    )
                )

    @api.constrains("product_id", "subscription_line_id")
    def _check_new_product(self):
        """A new add-on is an active product that can be sold."""
        for line in self.filtered(lambda line: not line.subscription_line_id):
            product = line.product_id
            if not product.active or not product.sale_ok:
                raise ValidationError(
                    self.env._(
                        "%(product)s is archived or cannot be sold: it cannot be "
                        "added.",
                        product=product.display_name,
                    )
                )

    def _change_label(self):
        """``Users: 10 → 6``, in the environment's language (the customer's
        portal and mails); a new price too: ``Users: 10 → 12, 30.00 → 24.00``."""
        self.ensure_one()
        label = self.env._(
            "%(product)s: %(old)s → %(new)s",
            product=self.product_id.display_name,
            old=format_quantity(self.env, self.old_quantity),
            new=format_quantity(self.env, self.new_quantity),
        )
        if self._reprices():
            label = self.env._(
                "%(change)s, %(old)s → %(new)s",
                change=label,
                old=self._price_words(self.price_unit, self.discount),
                new=self._price_words(self.new_price_unit, self.new_discount),
            )
        return label

    def _change_words(self):
        """``10 → 12``, and a new price: ``10 → 12, 30.00 → 24.00``."""
        self.ensure_one()
        words = self.env._(
            "%(old)s → %(new)s",
            old=format_quantity(self.env, self.old_quantity),
            new=format_quantity(self.env, self.new_quantity),
        )
        if self._reprices():
            words = self.env._(
                "%(change)s, %(old)s → %(new)s",
                change=words,
                old=self._price_words(self.price_unit, self.discount),
                new=self._price_words(self.new_price_unit, self.new_discount),
            )
        return words

    def _price_words(self, price_unit, discount):
        """``30.00`` or ``30.00 − 10 %``: a unit price and its discount."""
        price = formatLang(self.env, price_unit, digits=self._price_digits())
        if not discount:
            return price
        return self.env._(
            "%(price)s − %(discount)s %%",
            price=price,
            discount=formatLang(self.env, discount, digits=2).rstrip("0").rstrip(".,"),
        )

    def _price_digits(self):
        return self.env["decimal.precision"].precision_get("Product Price")

    def _rule_key(self):
        """The rules' key of this line: the subscription line's id, or a key of
        its own for a new add-on."""
        self.ensure_one()
        return self.subscription_line_id.id or ("new", self.id)

    # -- renamed in 18.0.1.1.0 (readme/HISTORY.md) -------------------------------

    _check_numbers = deprecated_alias("_ensure_valid_input")
    _check_input_values = deprecated_alias("_ensure_valid_input")
    _check_snapshot = deprecated_alias("_ensure_snapshot")
