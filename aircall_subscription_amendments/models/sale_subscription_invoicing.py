# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""subscription_oca's invoices of a subscription: the period each one bills is
recorded on it (the ledger reads it), in the contract's currency and fiscal
position."""

from odoo import models

from ..tools import INVOICING, internal, public_context


class SaleSubscription(models.Model):
    # one job per file (README, Architecture): sale_subscription.py has the fields
    _inherit = "sale.subscription"  # pylint: disable=consider-merging-classes-inherited

    def _billing_moves(self):
        """The invoices subscription_oca made for this contract, directly or
        through its sale orders."""
        return self.invoice_ids | self.sale_order_ids.invoice_ids

    def _prepare_account_move(self, line_ids):
        values = super()._prepare_account_move(line_ids)
        # subscription_oca ignores the pricelist currency (the lines' prices
        # are in it) and the contract's fiscal position (the lines' taxes are
        # mapped by it): invoice in both
        values["currency_id"] = self.currency_id.id
        if self.fiscal_position_id:
            values["fiscal_position_id"] = self.fiscal_position_id.id
        return values

    def _prepare_sale_order(self, line_ids=False):
        values = super()._prepare_sale_order(line_ids)
        # the sale_and_invoice path too: the order (and so its invoice) in the
        # contract's pricelist, hence its currency
        values["pricelist_id"] = self.pricelist_id.id
        return values

    def generate_invoice(self):
        start, before = self.recurring_next_date, self._billing_moves()
        # billing the period moves the next invoice date: the invariant lets
        # subscription_oca's invoicing do that (INVOICING)
        result = super(SaleSubscription, internal(self, INVOICING)).generate_invoice()
        self._stamp_billed_period(start, before)
        return result

    def manual_invoice(self):
        start, before = self.recurring_next_date, self._billing_moves()
        result = super(SaleSubscription, internal(self, INVOICING)).manual_invoice()
        self._stamp_billed_period(start, before)
        # subscription_oca returns its context in the action: not the internal key
        result["context"] = public_context(result.get("context") or {})
        return result

    def _stamp_billed_period(self, start, before):
        """Record ``[start, recurring_next_date)`` on the invoices just created.

        subscription_oca advances ``recurring_next_date`` after building the
        invoice, so this runs after ``super()``. subscription_oca creates its
        invoices as superuser (a salesman may bill a contract): so are they
        stamped.
        """
        self.ensure_one()
        moves = (self._billing_moves() - before).sudo()
        if moves and start:
            self.env["sale.subscription.ledger"]._stamp(
                self, moves, start, self.recurring_next_date
            )
