# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

from .. import rules


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    subscription_line_id = fields.Many2one(
        comodel_name="sale.subscription.line",
        string="Subscription line",
        index="btree_not_null",
        copy=False,
        ondelete="set null",
    )

    def _link_subscription_lines(self, subscription_lines):
        """Link invoice lines without a subscription line to one of the same product.

        subscription_oca's own invoice lines are linked when they are prepared;
        its sale-order path knows nothing of them, hence this matching.
        """
        free = list(subscription_lines)
        linked = self.filtered("subscription_line_id").subscription_line_id
        free = [line for line in free if line not in linked]
        for move_line in self.filtered(
            lambda line: not line.subscription_line_id and line.product_id
        ):
            match = next(
                (line for line in free if line.product_id == move_line.product_id),
                None,
            )
            if match:
                move_line.subscription_line_id = match
                free.remove(match)

    def _amendment_net_price(self):
        """The unit price as invoiced, after discount, exact."""
        self.ensure_one()
        price = rules.to_decimal(self.price_unit)
        discount = rules.to_decimal(self.discount)
        return price * (100 - discount) / 100 if discount else price

    def _amendment_net_amount(self):
        """quantity × net unit price: what this line charged, on the price's basis."""
        self.ensure_one()
        return rules.to_decimal(self.quantity) * self._amendment_net_price()
