# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare
from odoo.tools.sql import column_exists, table_exists

from .. import rules
from ..tools import (
    APPLY_CONTEXT,
    DERIVED_WRITE,
    ensure_no_derived_values,
    internal,
    is_internal,
)

#: what an amendment document's product line says (``_ensure_amendment_lines_kept``)
AMENDMENT_LINE_FIELDS = (
    "product_id",
    "quantity",
    "price_unit",
    "discount",
    "tax_ids",
    "display_type",
    "move_id",
)

#: what only the addon gives a line, or a copy of its line (``create``)
AMENDMENT_VALUE_FIELDS = (
    "subscription_price_unit",
    "subscription_rounding",
    "subscription_price_difference",
    "subscription_repriced_line_id",
)


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    subscription_line_id = fields.Many2one(
        comodel_name="sale.subscription.line",
        string="Subscription line",
        index="btree_not_null",
        readonly=True,
        ondelete="set null",
        # copied: a credit note made with Odoo's reversal keeps the link, so
        # that what it credits is netted when an amendment credits the period
        copy=True,
    )
    subscription_price_unit = fields.Float(
        string="Unit price for the whole period",
        digits=(16, 6),
        readonly=True,
        copy=True,
        help="On an amendment's credit note or invoice: the net unit price the "
        "line prorates (its own unit price is the prorated one).",
    )
    subscription_rounding = fields.Boolean(
        string="Rounding line",
        readonly=True,
        copy=True,
        help="The line that makes an amendment document exact to the cent.",
    )
    subscription_price_difference = fields.Boolean(
        string="Price difference",
        readonly=True,
        copy=True,
        help="On an amendment's document: the line is an amount for a new price "
        "(a cut credited, a rise invoiced, or the credit of a rise for units "
        "removed later), and adds or removes no unit.",
    )
    subscription_repriced_line_id = fields.Many2one(
        comodel_name="account.move.line",
        string="Repriced line",
        readonly=True,
        copy=True,
        index="btree_not_null",
        ondelete="set null",
        help="On an amendment's price difference: the billed line whose units "
        "take the new price from the line's first day.",
    )
    # named as OCA subscription_oca names them on invoice lines in its later
    # versions, not deferred_start_date/deferred_end_date: those are Odoo
    # Enterprise's deferred revenue fields, which post deferral entries
    subscription_period_start = fields.Date(
        string="Period from",
        readonly=True,
        copy=True,
        help="The first day this line bills or credits: the billed period's start, "
        "or an amendment's effective date.",
    )
    subscription_period_end = fields.Date(
        string="Period until",
        readonly=True,
        copy=True,
        help="The last day this line bills or credits.",
    )

    def _auto_init(self):
        """The periods of the documents made before the lines had them, filled
        once, when the columns are created (installing, or upgrading to this
        version)."""
        new = not column_exists(self.env.cr, self._table, "subscription_period_start")
        result = super()._auto_init()
        # a fresh install has no stamped document yet (nor, maybe, the tables)
        if (
            new
            and table_exists(self.env.cr, "sale_subscription_amendment")
            and column_exists(
                self.env.cr, "account_move", "subscription_period_next_start"
            )
        ):
            self._fill_subscription_periods()
        return result

    def _fill_subscription_periods(self):
        """Each product line of a stamped document gets its period, as the
        amendment path and the stamp would have given it: the billed period;
        for an amendment's document, from its effective date (or the day the
        document it corrects bills from, if later), its rounding lines the
        billed period."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE account_move_line line
                   SET subscription_period_start = CASE
                           WHEN amendment.id IS NULL OR line.subscription_rounding
                           THEN move.subscription_period_start
                           ELSE GREATEST(
                               move.subscription_period_start,
                               amendment.effective_date,
                               corrected_amendment.effective_date
                           )
                       END,
                       subscription_period_end =
                           move.subscription_period_next_start - 1
                  FROM account_move move
             LEFT JOIN sale_subscription_amendment amendment
                    ON amendment.id = move.amendment_id
             LEFT JOIN account_move corrected
                    ON corrected.id = move.reversed_entry_id
             LEFT JOIN sale_subscription_amendment corrected_amendment
                    ON corrected_amendment.id = corrected.amendment_id
                 WHERE line.move_id = move.id
                   AND line.display_type = 'product'
                   AND line.subscription_period_start IS NULL
                   AND move.subscription_period_start IS NOT NULL
                   AND move.subscription_period_next_start IS NOT NULL
                """
            )
        )

    def _stamp_subscription_period(self, start, end):
        """Record on these lines (their product lines) that they bill the days
        from ``start`` to ``end``, both included."""
        lines = self.filtered(lambda line: line.display_type == "product")
        # the addon's bookkeeping: set once, never a client's
        internal(lines, DERIVED_WRITE).write(
            {"subscription_period_start": start, "subscription_period_end": end}
        )

    def _einvoice_period(self):
        """(first day, last day) this line bills or credits, for its e-invoice
        (BG-26), or None."""
        self.ensure_one()
        if not (self.subscription_period_start and self.subscription_period_end):
            return None
        return self.subscription_period_start, self.subscription_period_end

    @api.model_create_multi
    def create(self, vals_list):
        ensure_no_derived_values(self, vals_list)
        lines = super().create(vals_list)
        lines._ensure_amendment_lines_kept()
        lines._ensure_amendment_values_copied()
        return lines

    def write(self, vals):
        ensure_no_derived_values(self, [vals], writing=True)
        if set(vals) & set(AMENDMENT_LINE_FIELDS):
            self._ensure_amendment_lines_kept()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_amendment_lines(self):
        self._ensure_amendment_lines_kept()

    def _ensure_amendment_lines_kept(self):
        """The product lines of an amendment's document (or of its
        replacement) say what the amendment credited or invoiced: the ledger
        reads their units. Only the addon writes them; an accountant who does
        not want the document cancels it."""
        if is_internal(self, DERIVED_WRITE) or is_internal(self, APPLY_CONTEXT):
            return
        locked = self.filtered(
            lambda line: (
                line.display_type == "product" and line.move_id._issuing_amendment()
            )
        )
        if locked:
            move = locked[0].move_id
            raise UserError(
                self.env._(
                    "The lines of %(move)s say what amendment %(amendment)s "
                    "credited or invoiced, and do not change: cancel the document "
                    "instead, and apply a new amendment if need be.",
                    move=move.display_name,
                    amendment=move._issuing_amendment().name,
                )
            )

    def _ensure_amendment_values_copied(self):
        """What an amendment's document records of its lines (the unit price
        prorated, a rounding line, a price difference and the line it
        re-prices) is the addon's: a client creates a line with it only as a
        copy of a line of the document it reverses (Odoo's *Credit Note*);
        the ledger would read a line forged on an invoice as a price change."""
        if is_internal(self, DERIVED_WRITE) or is_internal(self, APPLY_CONTEXT):
            return
        for line in self:
            values = line._amendment_values()
            if not any(values):
                continue
            source = line.move_id.reversed_entry_id
            if not any(
                other._amendment_values() == values
                and other.subscription_line_id == line.subscription_line_id
                for other in source.line_ids
            ):
                raise UserError(
                    self.env._(
                        "%(fields)s of a line are given by the application to "
                        "the documents of amendments (and copied by their credit "
                        "notes): a line of %(move)s cannot be created with them.",
                        fields=", ".join(
                            self._fields[name]._description_string(self.env)
                            for name in AMENDMENT_VALUE_FIELDS
                        ),
                        move=line.move_id.display_name,
                    )
                )

    def _amendment_values(self):
        """The values of ``AMENDMENT_VALUE_FIELDS`` of this line."""
        self.ensure_one()
        return tuple(self[name] for name in AMENDMENT_VALUE_FIELDS)

    def _link_subscription_lines(self, subscription_lines):
        """Link invoice lines without a subscription line to the one they bill.

        subscription_oca's own invoice lines are linked when they are prepared;
        its sale-order path knows nothing of them, hence this matching: the
        same product, quantity, unit price and discount first, then the same
        product (each subscription line is used once).
        """
        linked = self.subscription_line_id
        free = [line for line in subscription_lines if line not in linked]
        unlinked = self.filtered(
            lambda line: not line.subscription_line_id and line.product_id
        )

        precision = self.env["decimal.precision"]
        digits = {
            "quantity": precision.precision_get("Product Unit of Measure"),
            "price": precision.precision_get("Product Price"),
            "discount": precision.precision_get("Discount"),
        }

        def same_terms(move_line, line):
            return (
                move_line.product_id == line.product_id
                and not float_compare(
                    move_line.quantity,
                    line.product_uom_qty,
                    precision_digits=digits["quantity"],
                )
                and not float_compare(
                    move_line.price_unit,
                    line.price_unit,
                    precision_digits=digits["price"],
                )
                and not float_compare(
                    move_line.discount,
                    line.discount,
                    precision_digits=digits["discount"],
                )
            )

        for matches in (
            same_terms,
            lambda move_line, line: move_line.product_id == line.product_id,
        ):
            for move_line in unlinked.filtered(
                lambda aml: not aml.subscription_line_id
            ):
                match = next((line for line in free if matches(move_line, line)), None)
                if match:
                    # the addon's own bookkeeping: no client rewrites the link
                    internal(move_line, DERIVED_WRITE).subscription_line_id = match
                    free.remove(match)

    def _amendment_net_price(self):
        """The unit price as invoiced, after discount, exact."""
        self.ensure_one()
        return rules.net_price(
            rules.to_decimal(self.price_unit), rules.to_decimal(self.discount)
        )

    def _amendment_full_price(self, ours=True):
        """The net unit price for the whole period this line bills: an
        amendment document's own record of it (``ours``: the line is of one),
        else its net unit price."""
        self.ensure_one()
        if ours and self.subscription_price_unit:
            return rules.to_decimal(self.subscription_price_unit)
        return self._amendment_net_price()

    def _removes_units(self, issuer):
        """Whether this line of a credit note (or of its reversal) takes units
        off what the document billed: only the units lines of an amendment's
        own credit notes do (``issuer``: the amendment that issued it, or the
        credit note it replaces); any other credit is an amount (a goodwill
        gesture removes no unit)."""
        self.ensure_one()
        return bool(
            issuer
            and self.subscription_price_unit
            and not self.subscription_rounding
            and not self.subscription_price_difference
        )

    def _bills_units(self):
        """Whether this line of a billing document bills units: not a
        rounding line, nor a price difference (an amount)."""
        self.ensure_one()
        return not (self.subscription_rounding or self.subscription_price_difference)

    def _amendment_net_amount(self):
        """quantity × net unit price, rounded to the currency as a line total
        is: what this line charged, on the price's basis (tax included for a
        price-included tax)."""
        self.ensure_one()
        return rules.round_amount(
            rules.to_decimal(self.quantity) * self._amendment_net_price(),
            self.currency_id.decimal_places,
        )
