# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import format_date

from .. import rules
from ..tools import OVERRIDE, Override, ensure_no_derived_values

#: what only an amendment changes on the lines of a running contract (an
#: administrator may too, logged); descriptions and analytics stay free. What a
#: change does to the contract's value is the invariant's to judge, whatever
#: field it writes (sale_subscription_invariant.py).
AMENDED_FIELDS = (
    "product_id",
    "product_uom_qty",
    "price_unit",
    "discount",
    "tax_ids",
    "sale_subscription_id",
)
#: what a running line keeps when subscription_oca would recompute it
KEPT_FIELDS = ("price_unit", "discount", "tax_ids")


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

    @api.constrains("product_uom_qty", "discount")
    def _check_quantity_and_discount(self):
        """A recurring line bills zero or more units, at a discount from 0 to
        100 %: a negative quantity or a discount above 100 % would be a rebate
        hidden in a line."""
        for line in self:
            if line.product_uom_qty < 0 or not 0 <= line.discount <= 100:
                raise ValidationError(
                    self.env._(
                        "%(product)s: a subscription line has a quantity of zero or "
                        "more and a discount from 0 to 100 %%.",
                        product=line.product_id.display_name,
                    )
                )

    def _prepare_account_move_line(self):
        """subscription_oca's invoice line, linked to this line, on the income
        account the fiscal position maps (the contract's, else the partner's,
        as an invoice made by hand finds it): subscription_oca passes the
        product's own."""
        values = super()._prepare_account_move_line()
        values["subscription_line_id"] = self.id
        account = self.env["account.account"].browse(values.get("account_id"))
        fiscal_position = self._invoice_fiscal_position()
        if account and fiscal_position:
            values["account_id"] = fiscal_position.map_account(account).id
        return values

    def _income_account(self):
        """The product's income account (its own, else its category's), before
        any fiscal position: what subscription_oca puts on invoice lines."""
        self.ensure_one()
        product = self.product_id
        return (
            product.property_account_income_id
            or product.categ_id.property_account_income_categ_id
        )

    def _invoice_fiscal_position(self):
        """The fiscal position of this line's invoices: the contract's, else
        the one its partner gets in the contract's company."""
        self.ensure_one()
        subscription = self.sale_subscription_id
        return subscription.fiscal_position_id or self.env[
            "account.fiscal.position"
        ].with_company(subscription.company_id)._get_fiscal_position(
            subscription.partner_id
        )

    def _rule_line(self, quantity=None, price_unit=None, discount=None):
        """This line as the rules see it (optionally with another quantity,
        unit price or discount)."""
        self.ensure_one()
        return rules.Line(
            key=self.id,
            product=self.product_id.id,
            quantity=rules.to_decimal(
                self.product_uom_qty if quantity is None else quantity
            ),
            price_unit=rules.to_decimal(
                self.price_unit if price_unit is None else price_unit
            ),
            discount=rules.to_decimal(self.discount if discount is None else discount),
            name=self.product_id.display_name,
        )

    # -- running contracts: lines change through amendments only -------------

    @api.model_create_multi
    def create(self, vals_list):
        ensure_no_derived_values(self, vals_list)
        default = self.env.context.get("default_sale_subscription_id")
        targets = self.env["sale.subscription"].browse(
            {
                target
                for target in (
                    vals.get("sale_subscription_id", default) for vals in vals_list
                )
                if isinstance(target, int) and not isinstance(target, bool)
            }
        )
        # a new line worth less than nothing lowers its contract too
        with targets._keeping_invariant() as scoped, self.env.cr.savepoint():
            lines = super(SaleSubscriptionLine, self.with_env(scoped.env)).create(
                vals_list
            )
            # checked on the contracts the lines really belong to: a context
            # default (``default_sale_subscription_id``) sets it as well
            running = lines.sale_subscription_id._amended_only()
            running._ensure_lines_through_amendments()
        lines = self.browse(lines.ids)
        lines._log_direct_edits(running, lambda line: (False, line._terms()))
        return lines

    def write(self, vals):
        ensure_no_derived_values(self, [vals], writing=True)
        target = self.sale_subscription_id.browse(vals.get("sale_subscription_id"))
        with (self.sale_subscription_id | target)._keeping_invariant() as scoped:
            lines = self.with_env(scoped.env)
            # a direct edit of a running contract's line: an administrator's, logged
            edited, running = lines._directly_edited(vals)
            if edited:
                running._ensure_lines_through_amendments()
                edited._ensure_not_frozen()
            before = {
                line: (line.sale_subscription_id, line._terms()) for line in edited
            }
            with self.env.protecting(*lines._kept_on_write(vals)):
                result = super(SaleSubscriptionLine, lines).write(vals)
            edited._log_direct_writes(before, running)
            return result

    def write_with_override(self, vals, override_reason):
        """``write(vals)`` with an amendment administrator's reason for what it
        does to running contracts (a lower price, a bigger discount, fewer
        units), logged on each; see ``sale.subscription.write_with_override``."""
        if not isinstance(override_reason, str) or not override_reason.strip():
            raise UserError(self.env._("Give the reason of the change."))
        return self.with_context(**{OVERRIDE: Override(override_reason.strip())}).write(
            vals
        )

    def _kept_on_write(self, vals):
        """The fields and lines ``write(vals)`` must not recompute: a running
        contract's line keeps its price, discount and taxes (subscription_oca
        recomputes them from the product, the quantity and the pricelist)
        unless they are written or its product really changes."""
        kept = [self._fields[name] for name in KEPT_FIELDS if name not in vals]
        product = self._fields["product_id"].convert_to_cache(
            vals.get("product_id"), self
        )
        running = self.filtered(
            lambda line: (
                line.sale_subscription_id._is_running_under_term()
                and ("product_id" not in vals or line.product_id.id == product)
            )
        )
        return kept, running

    def _log_direct_writes(self, before, running):
        """Log on each of the ``running`` contracts the direct edit of these
        lines; ``before``: {line: (its contract, its ``_terms()``)}."""
        changes = defaultdict(list)
        for line, (subscription, terms) in before.items():
            if subscription == line.sale_subscription_id:
                changes[subscription].append((line.product_id, terms, line._terms()))
                continue
            changes[subscription].append((line.product_id, terms, False))
            changes[line.sale_subscription_id].append(
                (line.product_id, False, line._terms())
            )
        notes = self.env["sale.subscription.notes"]
        for subscription in running:
            notes._log_direct_line_edit(subscription, changes[subscription])

    def _terms(self):
        """``(quantity, unit price, discount, product)``: what the chatter
        says of a direct edit."""
        self.ensure_one()
        return (self.product_uom_qty, self.price_unit, self.discount, self.product_id)

    def unlink(self):
        with self.sale_subscription_id._keeping_invariant():
            return super().unlink()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_running_contract(self):
        running = self.sale_subscription_id._amended_only()
        running._ensure_lines_through_amendments()
        self.filtered(
            lambda line: line.sale_subscription_id in running
        )._ensure_not_frozen()
        self._log_direct_edits(running, lambda line: (line._terms(), False))

    def _ensure_not_frozen(self):
        """A line a scheduled amendment changes is frozen until it is applied
        or cancelled, for a direct edit too (an administrator's)."""
        if not self:
            return
        scheduled = (
            self.env["sale.subscription.amendment.line"]
            .sudo()
            .search(
                [
                    ("subscription_line_id", "in", self.ids),
                    ("amendment_id.state", "=", "scheduled"),
                ],
                limit=1,
            )
        )
        if scheduled:
            raise UserError(
                self.env._(
                    "%(product)s has a change scheduled by %(name)s, effective "
                    "%(date)s: cancel %(name)s first, or wait until it is applied.",
                    product=scheduled.subscription_line_id.product_id.display_name,
                    name=scheduled.amendment_id.name,
                    date=format_date(self.env, scheduled.amendment_id.effective_date),
                )
            )

    def _log_direct_edits(self, running, quantities):
        """Log on each of the ``running`` contracts its lines among these, with
        ``quantities(line)``: (old terms, new terms), False for none."""
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
