# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict

from odoo import api, fields, models

from .. import rules

#: what only an amendment changes on the lines of a running contract; prices,
#: descriptions, taxes and subscription_oca's own computes stay free
AMENDED_FIELDS = ("product_id", "product_uom_qty", "sale_subscription_id")


class SaleSubscriptionLine(models.Model):
    _inherit = "sale.subscription.line"

    amendment_line_id = fields.Many2one(
        comodel_name="sale.subscription.amendment.line",
        string="Added by amendment line",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )

    @api.depends("sale_subscription_id.company_id")
    def _compute_tax_ids(self):  # pylint: disable=missing-return
        """The product's taxes in each line's own company.

        subscription_oca keeps the product's taxes of ``self.env.company``: the
        company of whoever triggers the computation (a user acting in another
        company, a flush in the cron's environment). Computed here in the
        subscription's company, the company its invoices are in.
        """
        for company, lines in self.grouped("company_id").items():
            super(SaleSubscriptionLine, lines.with_company(company))._compute_tax_ids()

    def _prepare_account_move_line(self):
        values = super()._prepare_account_move_line()
        values["subscription_line_id"] = self.id
        return values

    def _rule_line(self, quantity=None):
        """This line as the rules see it (optionally with another quantity)."""
        self.ensure_one()
        return rules.Line(
            key=self.id,
            product=self.product_id.id,
            quantity=rules.to_decimal(
                self.product_uom_qty if quantity is None else quantity
            ),
            price_unit=rules.to_decimal(self.price_unit),
            discount=rules.to_decimal(self.discount),
            name=self.product_id.display_name,
        )

    # -- running contracts: lines change through amendments only -------------

    @api.model_create_multi
    def create(self, vals_list):
        # checked on the contracts the lines really belong to: a context default
        # (``default_sale_subscription_id``) sets it as well as the values
        with self.env.cr.savepoint():
            lines = super().create(vals_list)
            running = lines.sale_subscription_id._amended_only()
            running._ensure_lines_through_amendments()
        lines._log_direct_edits(running, lambda line: (0.0, line.product_uom_qty))
        return lines

    def write(self, vals):
        edited, running = self._directly_edited(vals)
        if not edited:
            return super().write(vals)
        running._ensure_lines_through_amendments()
        before = {
            line: (line.sale_subscription_id, line.product_id, line.product_uom_qty)
            for line in edited
        }
        result = super().write(vals)
        changes = defaultdict(list)
        for line, (subscription, product, quantity) in before.items():
            if (subscription, product) == (line.sale_subscription_id, line.product_id):
                changes[subscription].append((product, quantity, line.product_uom_qty))
                continue
            changes[subscription].append((product, quantity, 0.0))
            changes[line.sale_subscription_id].append(
                (line.product_id, 0.0, line.product_uom_qty)
            )
        notes = self.env["sale.subscription.notes"]
        for subscription in running:
            notes._log_direct_line_edit(subscription, changes[subscription])
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_running_contract(self):
        running = self.sale_subscription_id._amended_only()
        running._ensure_lines_through_amendments()
        self._log_direct_edits(running, lambda line: (line.product_uom_qty, 0.0))

    def _log_direct_edits(self, running, quantities):
        """Log on each of the ``running`` contracts its lines among these, with
        ``quantities(line)``: (old quantity, new quantity)."""
        notes = self.env["sale.subscription.notes"]
        for subscription in running:
            notes._log_direct_line_edit(
                subscription,
                [
                    (line.product_id, *quantities(line))
                    for line in self
                    if line.sale_subscription_id == subscription
                ],
            )

    def _directly_edited(self, vals):
        """The lines whose product, quantity or contract ``vals`` really changes
        on running contracts outside the amendment path, and those contracts."""
        names = [name for name in AMENDED_FIELDS if name in vals]
        target = self.sale_subscription_id.browse(vals.get("sale_subscription_id"))
        running = names and (self.sale_subscription_id | target)._amended_only()
        if not running:
            return self.browse(), target.browse()

        def changes(line):
            return any(
                self._fields[name].convert_to_cache(vals[name], line)
                != self._fields[name].convert_to_cache(line[name], line)
                for name in names
            )

        edited = self.filtered(changes)
        if target not in running:
            edited = edited.filtered(lambda line: line.sale_subscription_id in running)
        return edited, running & (edited.sale_subscription_id | target)
