# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""subscription_oca's sale order that starts a subscription: its own billing
set-up, which the contract invariant lets through."""

from odoo import models

from ..tools import DERIVED_WRITE, INVOICING, internal


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def create_subscription(self, lines, subscription_tmpl):
        """subscription_oca starts the subscription, then sets its first next
        invoice date, and copies each order line's subtotal onto its line: its
        invoicing and its derived values, not a client's."""
        order = internal(internal(self, INVOICING), DERIVED_WRITE)
        return super(SaleOrder, order).create_subscription(lines, subscription_tmpl)
