# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What an amendment changes on the lines: their quantities, prices and
discounts, as the rules see them (the kind judged by each line's net
recurring value) and as they are written once it is applied."""

from odoo import Command, api, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from .. import rules
from ..tools import APPLY_CONTEXT, MRR_DEFERRED, internal


class SaleSubscriptionAmendment(models.Model):
    # one model, split by job on purpose (README, Architecture)
    _inherit = "sale.subscription.amendment"  # pylint: disable=consider-merging-classes-inherited

    def _quantities(self):
        """The change of each line as the rules classify it: by its net
        recurring value, quantity × net unit price (``rules.value_deltas``)."""
        old, new = {}, {}
        for line in self.line_ids:
            key = line._rule_key()
            price_unit, discount = line._new_terms()
            if line.subscription_line_id:
                old[key] = rules.Line(
                    key,
                    None,
                    rules.to_decimal(line.old_quantity),
                    rules.to_decimal(line.price_unit),
                    rules.to_decimal(line.discount),
                )
            new[key] = rules.Line(
                key,
                None,
                rules.to_decimal(line.new_quantity),
                rules.to_decimal(price_unit),
                # a new add-on is priced by its unit price alone (_apply_lines)
                rules.to_decimal(discount if line.subscription_line_id else 0),
            )
        return rules.value_deltas(old, new)

    @api.model
    def _ensure_priced_from(self, line):
        """Refuse a new price prepared from a price or discount the line no
        longer has (the difference would be computed from the wrong one)."""
        subscription_line = line.subscription_line_id
        if (subscription_line.price_unit, subscription_line.discount) != (
            line.price_unit,
            line.discount,
        ):
            raise UserError(
                self.env._(
                    "The price of %(product)s changed since this amendment was "
                    "prepared. Prepare a new amendment.",
                    product=subscription_line.product_id.display_name,
                )
            )

    def _old_rule_lines(self):
        return [
            line._rule_line()
            for line in self.subscription_id.sale_subscription_line_ids
        ]

    def _new_rule_lines(self):
        changed = {
            line.subscription_line_id: line
            for line in self.line_ids
            if line.subscription_line_id
        }
        new_lines = []
        for sub_line in self.subscription_id.sale_subscription_line_ids:
            change = changed.get(sub_line)
            if not change:
                new_lines.append(sub_line._rule_line())
                continue
            price_unit, discount = (
                change._new_terms() if change._reprices() else (None, None)
            )
            new_lines.append(
                sub_line._rule_line(
                    quantity=change.new_quantity,
                    price_unit=price_unit,
                    discount=discount,
                )
            )
        for line in self.line_ids.filtered(lambda line: not line.subscription_line_id):
            new_lines.append(
                rules.Line(
                    key=line._rule_key(),
                    product=line.product_id.id,
                    quantity=rules.to_decimal(line.new_quantity),
                    price_unit=rules.to_decimal(line.price_unit),
                    name=line.product_id.display_name,
                )
            )
        return new_lines

    def _apply_lines(self, plan):
        """Write the new subscription lines (through the amendment path only;
        ``_apply`` records the revenue movement, at the effective date)."""
        self.ensure_one()
        subscription = internal(
            internal(self.subscription_id, APPLY_CONTEXT), MRR_DEFERRED
        )
        new_lines = {line.key: line for line in plan.new_lines}
        commands = []
        for sub_line in subscription.sale_subscription_line_ids:
            new = new_lines.get(sub_line.id)
            quantity = float(new.quantity) if new else 0.0
            if quantity <= 0:
                commands.append(Command.unlink(sub_line.id))
                continue
            # subscription_oca recomputes the price and discount from the
            # pricelist when the quantity changes: the line keeps its own, or
            # takes the amendment's
            terms = {
                "price_unit": float(new.price_unit),
                "discount": float(new.discount),
            }
            if float_compare(
                quantity, sub_line.product_uom_qty, precision_digits=6
            ) or (terms["price_unit"], terms["discount"]) != (
                sub_line.price_unit,
                sub_line.discount,
            ):
                commands.append(
                    Command.update(sub_line.id, {"product_uom_qty": quantity, **terms})
                )
        for line in self.line_ids.filtered(
            lambda line: not line.subscription_line_id and line.new_quantity > 0
        ):
            commands.append(
                Command.create(
                    {
                        "product_id": line.product_id.id,
                        "product_uom_qty": line.new_quantity,
                        "price_unit": line.price_unit,
                        # as the plan invoices it: its unit price, no
                        # discount (an RPC client's is not taken)
                        "discount": 0.0,
                        "amendment_line_id": line.id,
                    }
                )
            )
        vals = {"sale_subscription_line_ids": commands} if commands else {}
        if self.cancel_renewal:
            vals["auto_renew"] = False
        if vals:
            subscription.write(vals)
        # new add-ons: remember which subscription line they became
        for sub_line in subscription.sale_subscription_line_ids.filtered(
            "amendment_line_id"
        ):
            if sub_line.amendment_line_id in self.line_ids:
                internal(
                    sub_line.amendment_line_id, APPLY_CONTEXT
                ).subscription_line_id = sub_line
