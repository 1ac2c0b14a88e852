# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A subscription line's share of the MRR, and its direct edits recorded as
revenue movements (sale_subscription_mrr.py records them)."""

from odoo import api, models

from .. import rules
from ..tools import MRR_DEFERRED, is_internal

#: what a line's MRR depends on
LINE_MRR_FIELDS = frozenset(
    {
        "sale_subscription_id",
        "product_id",
        "product_uom_qty",
        "price_unit",
        "discount",
        "tax_ids",
    }
)


class SaleSubscriptionLine(models.Model):
    # one job per file (README, "Architecture"): the model is extended in several
    _inherit = "sale.subscription.line"  # pylint: disable=consider-merging-classes-inherited

    def _mrr_line(self, quantity=None):
        """This line as ``rules.mrr`` takes it (optionally with another
        quantity): its unit price without tax.

        Under a price-included tax the untaxed unit price is Odoo's, after
        discount and unrounded (``_get_tax_details``, rounded globally: what
        ``compute_all`` computes before it rounds).
        """
        self.ensure_one()
        price, discount = self.price_unit, self.discount
        taxes = self.tax_ids
        if any(taxes.mapped("price_include")):
            price = taxes._get_tax_details(
                price * (1 - (discount or 0.0) / 100.0),
                1.0,
                precision_rounding=self.currency_id.rounding or 0.01,
                rounding_method="round_globally",
                product=self.product_id,
            )["total_excluded"]
            discount = 0.0
        return rules.Line(
            key=self.id,
            product=self.product_id.id,
            quantity=rules.to_decimal(
                self.product_uom_qty if quantity is None else quantity
            ),
            price_unit=rules.to_decimal(price),
            discount=rules.to_decimal(discount),
            name=self.product_id.display_name,
        )

    # -- direct edits: dated today -------------------------------------------------

    def _record_mrr(self, subscriptions):
        """After a change of these lines: the MRR movements of ``subscriptions``
        (unless the caller records them itself)."""
        if not is_internal(self, MRR_DEFERRED):
            subscriptions._record_mrr_movements()

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        self._record_mrr(lines.sale_subscription_id)
        return lines

    def write(self, vals):
        if not LINE_MRR_FIELDS & set(vals):
            return super().write(vals)
        subscriptions = self.sale_subscription_id
        result = super().write(vals)
        self._record_mrr(subscriptions | self.sale_subscription_id)
        return result

    def unlink(self):
        subscriptions = self.sale_subscription_id
        result = super().unlink()
        self._record_mrr(subscriptions)
        return result
