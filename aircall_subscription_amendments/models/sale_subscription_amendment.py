# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The amendment record: translate records to the rules, apply the plan.

The rules (notice, proration, plan) live in ``..rules``; this model only
gathers their inputs from the records, asks them, and writes what they say.
"""

import logging
from collections import defaultdict
from decimal import Decimal

import psycopg2.errors
from markupsafe import Markup, escape

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare, mute_logger
from odoo.tools.misc import format_date

from .. import rules
from .account_move import BATCH_RECONCILE
from .sale_subscription import ADMIN_GROUP, USER_GROUP

_logger = logging.getLogger(__name__)

AMENDMENT_TYPES = [
    ("upgrade", "Upgrade"),
    ("downgrade", "Downgrade"),
    ("mixed", "Mixed change"),
    ("cancellation", "Cancellation"),
]
#: context key under which subscription lines may change on a running contract
APPLY_CONTEXT = "aircall_amendment_apply"


class SaleSubscriptionAmendment(models.Model):
    _name = "sale.subscription.amendment"
    _description = "Subscription amendment"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "request_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Reference", readonly=True, copy=False, default="/", required=True
    )
    subscription_id = fields.Many2one(
        comodel_name="sale.subscription",
        required=True,
        index=True,
        check_company=True,
        ondelete="cascade",
        tracking=True,
    )
    company_id = fields.Many2one(
        related="subscription_id.company_id", store=True, index=True, precompute=True
    )
    partner_id = fields.Many2one(related="subscription_id.partner_id", store=True)
    currency_id = fields.Many2one(related="subscription_id.currency_id")
    request_date = fields.Date(
        required=True,
        default=fields.Date.context_today,
        tracking=True,
        help="The day the amendment was submitted. Only an administrator may set "
        "another day.",
    )
    effective_date = fields.Date(
        required=True,
        default=fields.Date.context_today,
        tracking=True,
        help="The first day the change applies.",
    )
    amendment_type = fields.Selection(
        selection=AMENDMENT_TYPES,
        string="Type",
        compute="_compute_amendment_type",
        store=True,
    )
    cancel_renewal = fields.Boolean(
        string="Do not renew",
        help="The contract does not renew at its renewal date.",
    )
    state = fields.Selection(
        selection=[
            ("draft", "Draft"),
            ("scheduled", "Scheduled"),
            ("done", "Done"),
            ("cancel", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    line_ids = fields.One2many(
        comodel_name="sale.subscription.amendment.line",
        inverse_name="amendment_id",
        string="Changed lines",
        copy=True,
    )
    move_ids = fields.One2many(
        comodel_name="account.move",
        inverse_name="amendment_id",
        string="Documents",
        readonly=True,
        help="The credit notes and invoices this amendment generated.",
    )
    credit_note_count = fields.Integer(compute="_compute_move_counts")
    invoice_count = fields.Integer(compute="_compute_move_counts")
    override_reason = fields.Text(
        help="Required when an administrator applies a change after the notice "
        "deadline.",
        tracking=True,
    )
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="Submitted by",
        default=lambda self: self.env.user,
        required=True,
    )
    note = fields.Text()
    renewal_date = fields.Date(compute="_compute_notice_dates")
    notice_deadline = fields.Date(compute="_compute_notice_dates")

    @api.depends("cancel_renewal", "line_ids.old_quantity", "line_ids.new_quantity")
    def _compute_amendment_type(self):
        for amendment in self:
            old, new = amendment._quantities()
            kind = rules.classify(old, new, amendment.cancel_renewal)
            amendment.amendment_type = (
                False if kind is rules.AmendmentKind.NOOP else kind.value
            )

    @api.depends("move_ids.move_type")
    def _compute_move_counts(self):
        for amendment in self:
            types = amendment.move_ids.mapped("move_type")
            amendment.credit_note_count = types.count("out_refund")
            amendment.invoice_count = types.count("out_invoice")

    @api.depends("subscription_id", "request_date")
    def _compute_notice_dates(self):
        for amendment in self:
            subscription = amendment.subscription_id
            renewal = (
                subscription
                and amendment.request_date
                and subscription._renewal_date_after(amendment.request_date)
            )
            amendment.renewal_date = renewal or False
            amendment.notice_deadline = renewal and rules.notice_deadline(
                renewal, max(subscription.notice_days, 0)
            )

    def _quantities(self):
        """Old and new quantities by line key, as the rules want them."""
        old, new = {}, {}
        for line in self.line_ids:
            key = line._rule_key()
            old[key] = rules.to_decimal(line.old_quantity)
            new[key] = rules.to_decimal(line.new_quantity)
        return old, new

    # -- create / write guards ----------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self._check_amendment_group()
        today = fields.Date.context_today(self)
        for vals in vals_list:
            if vals.get("state", "draft") != "draft":
                raise UserError(
                    self.env._("An amendment is created as a draft; apply it.")
                )
            request_date = vals.get("request_date")
            if request_date and fields.Date.to_date(request_date) != today:
                self._check_admin(
                    self.env._("Only an administrator may set another request date.")
                )
        amendments = super().create(vals_list)
        for amendment in amendments:
            amendment.name = amendment._default_name()
        return amendments

    def _default_name(self):
        return (
            self.env["ir.sequence"].next_by_code("sale.subscription.amendment") or "/"
        )

    def write(self, vals):
        if "request_date" in vals:
            self._check_admin(
                self.env._("Only an administrator may set another request date.")
            )
        locked = set(vals) - {"note", "message_main_attachment_id"}
        if locked and any(a.state in ("done", "cancel") for a in self):
            raise UserError(
                self.env._(
                    "A done or cancelled amendment cannot be changed: create a new "
                    "amendment instead."
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_done(self):
        if any(amendment.state == "done" for amendment in self):
            raise UserError(self.env._("A done amendment cannot be deleted."))

    def _check_amendment_group(self):
        if not self.env.su and not self.env.user.has_group(USER_GROUP):
            raise AccessError(
                self.env._("Only subscription-amendment users may amend subscriptions.")
            )

    def _check_admin(self, message):
        if not self.env.su and not self.env.user.has_group(ADMIN_GROUP):
            raise AccessError(message)

    # -- actions -------------------------------------------------------------

    def action_apply(self):
        """Apply the amendments, or schedule those effective in the future.

        All or nothing: one savepoint around the whole batch.
        """
        self._check_amendment_group()
        self.check_access("write")
        self._apply(fields.Date.context_today(self))
        return True

    def action_cancel(self):
        self._check_amendment_group()
        for amendment in self:
            if amendment.state not in ("draft", "scheduled"):
                raise UserError(
                    self.env._(
                        "Amendment %(name)s is %(state)s: only draft or scheduled "
                        "amendments can be cancelled. A new amendment undoes a done one.",
                        name=amendment.name,
                        state=dict(
                            amendment._fields["state"]._description_selection(self.env)
                        )[amendment.state],
                    )
                )
        self.write({"state": "cancel"})
        return True

    def action_view_moves(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action.update(
            domain=[("id", "in", self.move_ids.ids)],
            context={"create": False, "default_move_type": "out_refund"},
        )
        return action

    @api.model
    def _cron_apply_scheduled(self):
        """Apply the scheduled amendments whose effective date has come."""
        today = fields.Date.context_today(self)
        due = self.search(
            [("state", "=", "scheduled"), ("effective_date", "<=", today)],
            order="effective_date, id",
        )
        try:
            due._apply(today)
        except (UserError, ValidationError):
            # one bad amendment must not block the others: retry one by one
            for amendment in due:
                try:
                    amendment._apply(today)
                except (UserError, ValidationError) as error:
                    _logger.warning(
                        "Amendment %s not applied: %s", amendment.name, error
                    )
                    amendment.message_post(
                        body=self.env._(
                            "Not applied on %(date)s: %(error)s",
                            date=format_date(self.env, today),
                            error=str(error),
                        )
                    )

    # -- applying ------------------------------------------------------------

    def _apply(self, today):
        if not self:
            return
        with self.env.cr.savepoint():
            self._lock_for_apply()
            self._prefetch_for_apply()
            plans = {}
            for amendment in self:
                plan = amendment._validate_and_plan()
                if amendment.effective_date > today:
                    amendment.with_context(**{APPLY_CONTEXT: True}).write(
                        {"state": "scheduled"}
                    )
                    continue
                plans[amendment] = plan
            to_apply = self.browse([amendment.id for amendment in plans])
            move_vals, draft_updates = [], []
            for amendment, plan in plans.items():
                draft_updates.append(amendment._update_draft_invoices(plan))
                amendment._apply_lines(plan)
                move_vals += amendment._prepare_documents(plan)
            moves = self.env["account.move"].sudo().create(move_vals)
            if moves and any(to_apply.company_id.mapped("amendment_auto_post")):
                moves.filtered(
                    lambda move: move.company_id.amendment_auto_post
                ).with_context(**{BATCH_RECONCILE: True}).action_post()
            to_apply._log_applied(plans, draft_updates)
            to_apply.with_context(**{APPLY_CONTEXT: True}).write({"state": "done"})

    def _lock_for_apply(self):
        """Serialize amendments of a subscription: lock its row, and ours.

        A concurrent attempt gets a clear error instead of computing from the
        same old quantities.
        """
        try:
            with mute_logger("odoo.sql_db"):
                self.env.cr.execute(
                    "SELECT id FROM sale_subscription WHERE id IN %s FOR UPDATE NOWAIT",
                    [tuple(self.subscription_id.ids)],
                )
                self.env.cr.execute(
                    "SELECT id FROM sale_subscription_amendment WHERE id IN %s "
                    "FOR UPDATE NOWAIT",
                    [tuple(self.ids)],
                )
        except (psycopg2.errors.LockNotAvailable, psycopg2.errors.SerializationFailure):
            raise UserError(
                self.env._(
                    "This subscription is being amended by someone else. "
                    "Try again in a moment."
                )
            ) from None
        self.invalidate_recordset()
        self.line_ids.invalidate_recordset()
        self.subscription_id.sale_subscription_line_ids.invalidate_recordset()

    def _prefetch_for_apply(self):
        """Read, in a few queries for the whole batch, what planning and building
        the documents read one amendment at a time (billed moves, their lines)."""
        if not self:
            return
        self.line_ids.fetch(["subscription_line_id", "old_quantity", "new_quantity"])
        self.subscription_id.sale_subscription_line_ids.fetch(
            ["product_id", "product_uom_qty", "price_unit", "discount"]
        )
        moves = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("subscription_billed_id", "in", self.subscription_id.ids),
                    (
                        "subscription_period_next_start",
                        ">",
                        min(self.mapped("effective_date")),
                    ),
                    ("state", "!=", "cancel"),
                ]
            )
        )
        moves.mapped("state")  # reads every prefetched column of the moves
        moves.invoice_line_ids.fetch(
            [
                "subscription_line_id",
                "price_unit",
                "discount",
                "quantity",
                "tax_ids",
                "account_id",
                "product_uom_id",
                "analytic_distribution",
            ]
        )

    def _validate_and_plan(self):
        """Check everything, then ask the rules for the plan. Writes nothing."""
        self.ensure_one()
        if self.state not in ("draft", "scheduled"):
            raise UserError(
                self.env._(
                    "Amendment %(name)s has already been applied or cancelled.",
                    name=self.name,
                )
            )
        subscription = self.subscription_id
        if not subscription.in_progress:
            raise UserError(
                self.env._(
                    "%(subscription)s is not running: only a started, open "
                    "subscription can be amended.",
                    subscription=subscription.display_name,
                )
            )
        self._check_lines()
        kind = self.amendment_type
        if not kind:
            raise UserError(self.env._("This amendment changes nothing."))
        if kind != "upgrade" and self.override_reason:
            self._check_admin(
                self.env._("Only an administrator may apply a late change.")
            )
        subscription._check_notice(kind, self.request_date, self.override_reason)
        return self._plan()

    def _check_lines(self):
        """Input errors the user can fix, in their words (the rules re-check)."""
        subscription = self.subscription_id
        seen = set()
        for line in self.line_ids:
            if line.new_quantity < 0:
                raise ValidationError(
                    self.env._(
                        "The new quantity of %(product)s cannot be negative.",
                        product=line.product_id.display_name,
                    )
                )
            if line.subscription_line_id:
                if line.subscription_line_id.sale_subscription_id != subscription:
                    raise ValidationError(
                        self.env._("A changed line belongs to another subscription.")
                    )
                if line.subscription_line_id in seen:
                    raise ValidationError(
                        self.env._(
                            "%(product)s is changed twice in this amendment.",
                            product=line.product_id.display_name,
                        )
                    )
                seen.add(line.subscription_line_id)
                current = line.subscription_line_id.product_uom_qty
                if float_compare(current, line.old_quantity, precision_digits=6):
                    raise UserError(
                        self.env._(
                            "%(product)s changed since this amendment was prepared "
                            "(%(old)s, now %(current)s). Prepare a new amendment.",
                            product=line.product_id.display_name,
                            old=line.old_quantity,
                            current=current,
                        )
                    )
            elif line.price_unit <= 0 and line.new_quantity > 0:
                raise ValidationError(
                    self.env._(
                        "Set a unit price for the new add-on %(product)s.",
                        product=line.product_id.display_name,
                    )
                )
            if line.product_id.company_id and line.product_id.company_id != (
                subscription.company_id
            ):
                raise ValidationError(
                    self.env._(
                        "%(product)s belongs to another company.",
                        product=line.product_id.display_name,
                    )
                )

    def _plan(self):
        """The rules' plan for this amendment (no write)."""
        self.ensure_one()
        subscription = self.subscription_id
        periods, _drafts = self._billed_periods()
        try:
            return rules.make_plan(
                self._old_rule_lines(),
                self._new_rule_lines(),
                self.effective_date,
                periods,
                request_date=self.request_date,
                contract_start=subscription.date_start,
                renewal_date=subscription._renewal_date_after(self.request_date),
                digits=self.currency_id.decimal_places,
                convention=self.company_id.amendment_proration_convention,
                cancel_renewal=self.cancel_renewal,
            )
        except rules.RuleError as error:
            raise self._rule_error(error) from error

    def _rule_error(self, error):
        """A rules error, said in the user's language."""
        if error.field == "effective_date":
            renewal = self.subscription_id._renewal_date_after(self.request_date)
            return ValidationError(
                self.env._(
                    "The effective date %(effective)s must lie between the request "
                    "date %(request)s (and the contract start %(start)s) and the "
                    "renewal date %(renewal)s.",
                    effective=format_date(self.env, self.effective_date),
                    request=format_date(self.env, self.request_date),
                    start=format_date(self.env, self.subscription_id.date_start),
                    renewal=renewal and format_date(self.env, renewal) or "-",
                )
            )
        if error.field == "line_ids":
            return ValidationError(self.env._("This amendment changes nothing."))
        if error.field == "quantity":
            return ValidationError(
                self.env._("Quantities must be finite numbers, zero or more.")
            )
        if error.field == "price_unit":
            return ValidationError(
                self.env._("Every changed line needs a finite, positive unit price.")
            )
        return ValidationError(
            self.env._("Invalid amendment (%(detail)s).", detail=error.message)
        )

    # -- rules inputs --------------------------------------------------------

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
            quantity = change.new_quantity if change else sub_line.product_uom_qty
            new_lines.append(sub_line._rule_line(quantity=quantity))
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

    def _billed_periods(self):
        """The posted billed periods the rules need, and the draft period invoices.

        A period is invoiced when its invoice is posted; what was invoiced and
        credited on it since (amendment documents) is netted per line.
        """
        self.ensure_one()
        moves = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("subscription_billed_id", "=", self.subscription_id.id),
                    ("subscription_period_next_start", ">", self.effective_date),
                    ("state", "!=", "cancel"),
                ],
                order="subscription_period_start, id",
            )
        )
        by_period = defaultdict(lambda: self.env["account.move"])
        for move in moves:
            by_period[
                (move.subscription_period_start, move.subscription_period_next_start)
            ] |= move
        periods, drafts = [], self.env["account.move"]
        for (start, next_start), period_moves in by_period.items():
            billing = period_moves.filtered(
                lambda move: move.move_type == "out_invoice" and not move.amendment_id
            )
            if not billing:
                continue
            posted = billing.filtered(lambda move: move.state == "posted")
            if not posted:
                drafts |= billing
                continue
            invoice = posted[0]
            periods.append(
                rules.BilledPeriod(
                    invoice_ref=invoice.id,
                    start=start,
                    next_start=next_start,
                    lines=self._invoiced_lines(invoice, period_moves),
                )
            )
        return periods, drafts

    def _invoiced_lines(self, invoice, period_moves):
        """One InvoicedLine per subscription line billed in the period."""
        digits = self.currency_id.decimal_places
        remaining = defaultdict(Decimal)
        source = {}
        for move in period_moves.filtered(
            lambda move: move.state != "draft" or move.amendment_id
        ):
            sign = -1 if move.move_type == "out_refund" else 1
            for aml in move.invoice_line_ids.filtered("subscription_line_id"):
                key = aml.subscription_line_id.id
                remaining[key] += sign * aml._amendment_net_amount()
                if move == invoice or key not in source:
                    source[key] = aml
        return tuple(
            rules.InvoicedLine(
                key=key,
                price_unit=source[key]._amendment_net_price(),
                quantity=rules.to_decimal(source[key].quantity),
                remaining_amount=rules.round_amount(amount, digits),
                ref=source[key].id,
            )
            for key, amount in remaining.items()
        )

    # -- writing -------------------------------------------------------------

    def _apply_lines(self, plan):
        """Write the new subscription lines (through the amendment path only)."""
        self.ensure_one()
        subscription = self.subscription_id.with_context(**{APPLY_CONTEXT: True})
        new_quantities = {line.key: float(line.quantity) for line in plan.new_lines}
        commands = []
        for sub_line in subscription.sale_subscription_line_ids:
            quantity = new_quantities.get(sub_line.id, 0.0)
            if quantity <= 0:
                commands.append(Command.unlink(sub_line.id))
            elif float_compare(quantity, sub_line.product_uom_qty, precision_digits=6):
                commands.append(
                    Command.update(sub_line.id, {"product_uom_qty": quantity})
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
                sub_line.amendment_line_id.subscription_line_id = sub_line

    def _update_draft_invoices(self, plan):
        """A draft invoice of a changed period is updated in place, not credited.

        Runs before the subscription lines change (removed lines still exist).
        """
        _periods, drafts = self._billed_periods()
        new_quantities = {line.key: float(line.quantity) for line in plan.new_lines}
        linked = drafts.sudo().invoice_line_ids.filtered("subscription_line_id")
        removed = linked.filtered(
            lambda aml: aml.subscription_line_id.id not in new_quantities
        )
        changed = (linked - removed).filtered(
            lambda aml: float_compare(
                aml.quantity,
                new_quantities[aml.subscription_line_id.id],
                precision_digits=6,
            )
        )
        touched = (changed | removed).move_id
        for aml in changed:
            aml.quantity = new_quantities[aml.subscription_line_id.id]
        removed.unlink()
        for draft in touched:
            draft.message_post(
                body=self.env._(
                    "Quantities updated by amendment %(amendment)s.",
                    amendment=self._get_html_link(),
                )
            )
        return touched

    def _prepare_documents(self, plan):
        """account.move values: one credit note per corrected invoice, one invoice
        per billed period with additions."""
        self.ensure_one()
        partner = self.partner_id
        labeled = self.with_context(lang=partner.lang or self.env.user.lang)
        invoice_date = max(self.effective_date, self.request_date)
        vals_list = []
        for invoice_id, lines in plan.credits_by_invoice().items():
            invoice = self.env["account.move"].sudo().browse(invoice_id)
            vals = labeled._credit_note_header(invoice, invoice_date)
            vals["invoice_line_ids"] = [
                Command.create(labeled._document_line_values(line, invoice))
                for line in lines
            ]
            vals_list.append(vals)
        for invoice_id, lines in plan.invoices_by_period().items():
            invoice = self.env["account.move"].sudo().browse(invoice_id)
            vals = labeled._upgrade_invoice_header(invoice, invoice_date)
            vals["invoice_line_ids"] = [
                Command.create(labeled._document_line_values(line, invoice))
                for line in lines
            ]
            vals_list.append(vals)
        return vals_list

    def _document_journal(self, invoice):
        return self.company_id.amendment_journal_id or invoice.journal_id

    def _common_header(self, invoice):
        return {
            "partner_id": invoice.partner_id.id,
            "currency_id": invoice.currency_id.id,
            "fiscal_position_id": invoice.fiscal_position_id.id,
            "invoice_origin": invoice.name,
            "subscription_id": self.subscription_id.id,
            "subscription_billed_id": self.subscription_id.id,
            "subscription_period_start": invoice.subscription_period_start,
            "subscription_period_next_start": invoice.subscription_period_next_start,
            "amendment_id": self.id,
        }

    def _credit_note_header(self, invoice, invoice_date):
        """Header values as Odoo's reversal wizard prepares them for ``invoice``."""
        reversal = (
            self.env["account.move.reversal"]
            .sudo()
            .with_company(invoice.company_id)
            .new(
                {
                    "move_ids": [Command.set(invoice.ids)],
                    "journal_id": self._document_journal(invoice).id,
                    "date": invoice_date,
                    "reason": self.env._("amendment %(name)s", name=self.name),
                }
            )
        )
        vals = reversal._prepare_default_reversal(invoice)
        # the accounting date comes from Odoo's own rule (lock dates), and the
        # due date from the payment terms
        for key in ("date", "invoice_date_due"):
            vals.pop(key, None)
        vals.update(
            self._common_header(invoice),
            move_type="out_refund",
            reversed_entry_id=invoice.id,
            payment_reference=invoice.payment_reference,
            invoice_date=invoice_date,
        )
        return vals

    def _upgrade_invoice_header(self, invoice, invoice_date):
        return {
            **self._common_header(invoice),
            "move_type": "out_invoice",
            "journal_id": self._document_journal(invoice).id,
            "invoice_date": invoice_date,
            "invoice_user_id": invoice.invoice_user_id.id,
            "invoice_payment_term_id": invoice.invoice_payment_term_id.id,
            "ref": self.env._("Amendment %(name)s", name=self.name),
        }

    def _document_line_values(self, line, invoice):
        """One document line: quantity 1 at the planned amount, so that Odoo's
        price precision cannot change it; the change is told in the label."""
        source = self.env["account.move.line"].sudo().browse(line.source_ref or [])
        sub_line = self._subscription_line_for_key(line.key)
        if not source and sub_line:
            base = sub_line._prepare_account_move_line()
            tax_ids = base["tax_ids"]
            account_id = base["account_id"]
            uom_id = base["product_uom_id"]
            analytic = base["analytic_distribution"]
        else:
            tax_ids = [Command.set(source.tax_ids.ids)]
            account_id = source.account_id.id
            uom_id = source.product_uom_id.id
            analytic = source.analytic_distribution
        quantity, price_unit = self._document_quantity_price(line.amount)
        return {
            "product_id": line.product,
            "name": self._document_line_label(line),
            "quantity": quantity,
            "price_unit": price_unit,
            "discount": 0.0,
            "tax_ids": tax_ids,
            "account_id": account_id,
            "product_uom_id": uom_id,
            "analytic_distribution": analytic,
            "subscription_line_id": sub_line.id,
        }

    def _subscription_line_for_key(self, key):
        """The subscription line behind a rules key (a new add-on's, once created)."""
        if isinstance(key, tuple):
            return self.line_ids.browse(key[1]).subscription_line_id
        # the keys are lines read under the lock, and none is deleted here (a
        # removed line is only detached from the subscription): no exists()
        # query per document line
        return self.env["sale.subscription.line"].browse(key)

    def _document_quantity_price(self, amount):
        """(quantity, price_unit) whose product is exactly ``amount``.

        Quantity 1 unless the currency has more decimals than prices, then the
        amount goes into the quantity (unit of measure precision) at price 1.
        """
        price_digits = self.env["decimal.precision"].precision_get("Product Price")
        if self.currency_id.decimal_places <= price_digits:
            return 1.0, float(amount)
        return float(amount), 1.0

    def _document_line_label(self, line):
        """``Users: 10 → 6 (−4) · 10/07/2024 – 05/08/2024 (87 %)``, in the
        partner's language (the context's ``lang``)."""
        product = self.env["product.product"].browse(line.product)

        def number(value):
            text = format(value.normalize(), "f")
            return text.replace("-", "−")

        delta = line.new_quantity - line.old_quantity
        return self.env._(
            "%(product)s: %(old)s → %(new)s (%(delta)s) · %(start)s – %(end)s "
            "(%(percent)s %%)",
            product=product.with_context(lang=self.env.context.get("lang")).name,
            old=number(line.old_quantity),
            new=number(line.new_quantity),
            delta=("+" if delta > 0 else "") + number(delta),
            start=format_date(self.env, max(line.period_start, self.effective_date)),
            end=format_date(self.env, line.period_end),
            percent=line.percent,
        )

    def _log_applied(self, plans, drafts_list):
        """Who changed what, and when, on the amendments and their subscriptions.

        Notes logged in one batch per model (a note notifies no one, so
        ``message_post`` would only add queries). ``plans``: amendment → plan;
        ``drafts_list``: the draft invoices each amendment updated, in order.
        """
        self.move_ids.mapped("name")  # one read of the documents for the batch
        notes = {
            amendment: amendment._applied_note(plans[amendment], drafts)
            for amendment, drafts in zip(self, drafts_list, strict=True)
        }
        self._message_log_batch(
            bodies={amendment.id: note for amendment, note in notes.items()}
        )
        # a subscription amended twice in the batch gets one note per amendment
        rounds = []
        for amendment, note in notes.items():
            subscription_id = amendment.subscription_id.id
            body = Markup("%s<p>%s</p>") % (note, amendment._get_html_link())
            batch = next(
                (batch for batch in rounds if subscription_id not in batch), None
            )
            if batch is None:
                batch = {}
                rounds.append(batch)
            batch[subscription_id] = body
        for bodies in rounds:
            self.subscription_id.browse(list(bodies))._message_log_batch(bodies=bodies)

    def _applied_note(self, plan, drafts):
        """The note telling what the amendment changed and which documents it made."""
        self.ensure_one()
        changes = Markup("").join(
            Markup("<li>%s: %s → %s</li>")
            % (line.product_id.display_name, line.old_quantity, line.new_quantity)
            for line in self.line_ids
            if float_compare(line.old_quantity, line.new_quantity, precision_digits=6)
        )
        if self.cancel_renewal:
            changes += Markup("<li>%s</li>") % self.env._(
                "Does not renew at the end of the term"
            )
        documents = Markup(", ").join(
            move._get_html_link(
                title=move.name if move.name != "/" else move.display_name
            )
            for move in (self.move_ids | drafts)
        )
        body = Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._(
                "Amendment %(amendment)s applied by %(user)s, effective %(date)s.",
                amendment=self.name,
                user=self.env.user.name,
                date=format_date(self.env, self.effective_date),
            ),
            changes,
        )
        if documents:
            body += Markup("<p>%s %s</p>") % (self.env._("Documents:"), documents)
        if self.override_reason:
            body += Markup("<p>%s %s</p>") % (
                self.env._("Notice period overridden by an administrator:"),
                escape(self.override_reason),
            )
        return body
