# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The amendment record: translate records to the rules, apply the plan.

The rules (notice, proration, plan) live in ``..rules``; this model only
gathers their inputs from the records, asks them, and writes what they say.
"""

import logging
from collections import defaultdict
from datetime import date

import psycopg2.errors
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_compare, mute_logger
from odoo.tools.misc import format_date, formatLang

from .. import rules
from ..tools import (
    APPLY_CONTEXT,
    check_ids,
    format_quantity,
    internal,
    is_internal,
    user_today,
)

_logger = logging.getLogger(__name__)

AMENDMENT_TYPES = [
    ("upgrade", "Upgrade"),
    ("downgrade", "Downgrade"),
    ("mixed", "Mixed change"),
    ("cancellation", "Cancellation"),
]
# APPLY_CONTEXT (imported with the groups): the context key under which the
# lines and the renewal of a running contract may change


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
        default=lambda self: user_today(self),
        tracking=True,
        help="The day the amendment was submitted. Only an administrator may set "
        "another day.",
    )
    effective_date = fields.Date(
        required=True,
        default=lambda self: user_today(self),
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
        for vals in vals_list:
            if vals.get("state", "draft") != "draft":
                raise UserError(self._created_as_draft_message())
            self._check_input_values(vals)
        # the guards read the values the records hold, defaults from the context
        # included: a client sets ``default_request_date`` as easily as
        # ``request_date``
        with self.env.cr.savepoint():
            amendments = super().create(vals_list)
            amendments._check_submission()
            for amendment in amendments:
                amendment.name = amendment._default_name()
        return amendments

    @api.model
    def _check_input_values(self, vals):
        """The values as a client sent them, before the ORM converts them (it
        would take a list for a date, or NaN for a number): ids of existing
        records, dates, and line commands that create or update lines (a link
        would take a line from another amendment)."""
        check_ids(self, vals)
        for name in ("request_date", "effective_date"):
            value = vals.get(name)
            if value in (None, False):
                continue
            try:
                if not isinstance(value, str | date):
                    raise TypeError(value)
                fields.Date.to_date(value)
            except (TypeError, ValueError):
                raise ValidationError(
                    self.env._(
                        "%(field)s must be a date (YYYY-MM-DD), not %(value)s.",
                        field=self._fields[name]._description_string(self.env),
                        value=repr(value),
                    )
                ) from None
        commands = vals.get("line_ids") or ()
        if not isinstance(commands, list | tuple):
            raise ValidationError(
                self.env._("The changed lines must be a list of commands.")
            )
        line_model = self.env["sale.subscription.amendment.line"]
        for command in commands:
            if not isinstance(command, list | tuple) or not (
                (
                    len(command) == 3
                    and command[0] in (Command.CREATE, Command.UPDATE)
                    and isinstance(command[2], dict)
                )
                or (
                    len(command) in (2, 3)
                    and command[0] in (Command.DELETE, Command.UNLINK)
                )
            ):
                raise ValidationError(
                    self.env._(
                        "Invalid command for the changed lines: %(command)s.",
                        command=repr(command),
                    )
                )
            if command[0] in (Command.CREATE, Command.UPDATE):
                line_model._check_input_values(command[2])

    def _check_submission(self):
        """What a new amendment may say, and who may say it.

        Created as a draft (it changes state through Apply or Cancel only);
        requested today or earlier; another day than today, another submitter
        or an override reason only by an amendment administrator.
        """
        today = user_today(self)
        admin = self.env.user._is_amendment_admin()
        for amendment in self:
            if amendment.state != "draft":
                raise UserError(self._created_as_draft_message())
            if amendment.request_date > today:
                raise ValidationError(
                    self.env._(
                        "The request date %(date)s is in the future.",
                        date=format_date(self.env, amendment.request_date),
                    )
                )
            if admin:
                continue
            if amendment.request_date != today:
                raise AccessError(self._request_date_access_message())
            if amendment.user_id != self.env.user:
                raise AccessError(self._submitter_access_message())
            if amendment.override_reason:
                raise AccessError(self._late_change_access_message())

    def _created_as_draft_message(self):
        return self.env._("An amendment is created as a draft; apply it.")

    def _request_date_access_message(self):
        return self.env._("Only an administrator may set another request date.")

    def _submitter_access_message(self):
        return self.env._(
            "Only an administrator may submit an amendment on behalf of another user."
        )

    def _late_change_access_message(self):
        return self.env._("Only an administrator may apply a late change.")

    def _default_name(self):
        return (
            self.env["ir.sequence"].next_by_code("sale.subscription.amendment") or "/"
        )

    def write(self, vals):
        self._check_input_values(vals)
        if "state" in vals and not is_internal(self, APPLY_CONTEXT):
            raise UserError(
                self.env._("An amendment changes state through Apply or Cancel only.")
            )
        locked = set(vals) - {"note", "message_main_attachment_id", "state"}
        # a scheduled amendment was checked on its request date: it is frozen too
        if locked and any(a.state != "draft" for a in self):
            raise UserError(
                self.env._(
                    "Only a draft amendment can be changed: cancel it and create a "
                    "new amendment instead."
                )
            )
        if not self.env.user._is_amendment_admin():
            if "request_date" in vals:
                raise AccessError(self._request_date_access_message())
            if "user_id" in vals:
                raise AccessError(self._submitter_access_message())
            if "override_reason" in vals:
                raise AccessError(self._late_change_access_message())
        result = super().write(vals)
        if "request_date" in vals:
            today = user_today(self)
            if any(amendment.request_date > today for amendment in self):
                raise ValidationError(
                    self.env._(
                        "The request date %(date)s is in the future.",
                        date=format_date(self.env, vals["request_date"]),
                    )
                )
        return result

    def _check_lines_editable(self):
        if any(amendment.state != "draft" for amendment in self):
            raise UserError(
                self.env._(
                    "Only the lines of a draft amendment can change: cancel it and "
                    "create a new amendment instead."
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_done(self):
        if any(amendment.state == "done" for amendment in self):
            raise UserError(self.env._("A done amendment cannot be deleted."))

    def _check_amendment_group(self):
        if not self.env.user._is_amendment_user():
            raise AccessError(
                self.env._("Only subscription-amendment users may amend subscriptions.")
            )

    # -- actions -------------------------------------------------------------

    def action_apply(self):
        """Apply the amendments, or schedule those effective in the future.

        All or nothing: one savepoint around the whole batch.
        """
        self._check_amendment_group()
        self.check_access("write")
        self._apply(user_today(self))
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
        internal(self, APPLY_CONTEXT).write({"state": "cancel"})
        return True

    @api.model
    @api.returns("self", lambda amendment: amendment.id)
    def create_and_apply(self, vals):
        """Create one amendment from ``vals`` and apply it, all or nothing.

        The wizard's one call (RPC clients may use it too: they get the id). A
        changed line may carry the ``old_quantity`` it was prepared from: if the
        subscription line changed since, nothing is created.
        """
        if not isinstance(vals, dict):
            raise ValidationError(
                self.env._(
                    "create_and_apply takes the values of one amendment, not "
                    "%(value)s.",
                    value=repr(vals),
                )
            )
        self._check_amendment_group()
        with self.env.cr.savepoint():
            amendment = self.create(vals)  # which checks the values
            self._check_prepared_quantities(vals)
            amendment.action_apply()
        return amendment

    @api.model
    def _preview(self, vals):
        """What ``create_and_apply(vals)`` would do, computed without writing.

        Returns a dict: ``amendment`` (an in-memory record), ``plan`` (the
        rules' plan, None when applying would fail), ``decision`` (the notice
        decision) and ``error`` (the message applying would raise, or False).
        """
        amendment = self.new(self._with_snapshots(vals))
        result = {"amendment": amendment, "plan": None, "decision": None}
        try:
            self._check_prepared_quantities(vals)
            result["plan"] = amendment._validate_and_plan()
        except (UserError, ValidationError, AccessError) as error:
            result["error"] = error.args[0]
            return result
        result["error"] = False
        result["decision"] = amendment.subscription_id._notice_decision(
            amendment.amendment_type, amendment.request_date
        )
        return result

    @api.model
    def _with_snapshots(self, vals):
        """``vals`` with each changed line's snapshot, as ``create`` takes it."""
        line_model = self.env["sale.subscription.amendment.line"]
        commands = []
        for command in vals.get("line_ids", []):
            if command[0] == Command.CREATE:
                line_vals = dict(command[2], old_quantity=0.0)
                if line_vals.get("subscription_line_id"):
                    line_vals.update(
                        line_model._snapshot_values(
                            self.env["sale.subscription.line"].browse(
                                line_vals["subscription_line_id"]
                            )
                        )
                    )
                command = Command.create(line_vals)
            commands.append(command)
        return dict(vals, line_ids=commands)

    @api.model
    def _check_prepared_quantities(self, vals):
        """Refuse lines prepared from a quantity that has changed since."""
        for command in vals.get("line_ids", []):
            line_vals = command[2] if command[0] == Command.CREATE else {}
            if not line_vals.get("subscription_line_id") or (
                "old_quantity" not in line_vals
            ):
                continue
            line = self.env["sale.subscription.line"].browse(
                line_vals["subscription_line_id"]
            )
            if float_compare(
                line.product_uom_qty, line_vals["old_quantity"], precision_digits=6
            ):
                raise UserError(
                    self.env._(
                        "%(product)s changed since this amendment was prepared "
                        "(%(old)s, now %(current)s). Prepare a new amendment.",
                        product=line.product_id.display_name,
                        old=line_vals["old_quantity"],
                        current=line.product_uom_qty,
                    )
                )

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
        today = user_today(self)
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
            plans, documents = {}, []
            for amendment in self:
                # judged on the lines the previous ones of the batch left (two
                # amendments of a subscription never plan from the same quantities)
                plan = amendment._validate_and_plan()
                if amendment.effective_date > today:
                    internal(amendment, APPLY_CONTEXT).write({"state": "scheduled"})
                    continue
                plans[amendment] = plan
                amendment._apply_lines(plan)
                documents += amendment._prepare_documents(plan)
            to_apply = self.browse([amendment.id for amendment in plans])
            to_apply._create_documents(documents)
            to_apply._log_applied(plans)
            internal(to_apply, APPLY_CONTEXT).write({"state": "done"})

    def _lock_for_apply(self):
        """Serialize amendments of a subscription: lock its row, ours, and the
        documents of its periods from the effective date (an accountant's
        reset to draft or reversal waits, or this waits for it).

        A concurrent attempt gets a clear error instead of computing from the
        same old quantities or from documents being changed. ``FOR NO KEY
        UPDATE``: what an UPDATE of the rows takes, so it conflicts with another
        amendment's and with an accountant's changes, not with the key-share
        locks that PostgreSQL takes on a subscription while one of its invoices
        is posted (foreign key checks).
        """

        def lock(table, ids):
            if ids:
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM %s WHERE id IN %s FOR NO KEY UPDATE NOWAIT",
                        SQL.identifier(table),
                        tuple(ids),
                    )
                )

        busy = (psycopg2.errors.LockNotAvailable, psycopg2.errors.SerializationFailure)
        try:
            with mute_logger("odoo.sql_db"):
                lock("sale_subscription", self.subscription_id.ids)
                lock("sale_subscription_amendment", self.ids)
        except busy:
            raise UserError(
                self.env._(
                    "This subscription is being amended by someone else. "
                    "Try again in a moment."
                )
            ) from None
        # read once the subscriptions are ours: no amendment adds to them now
        billing, credits = self.env["sale.subscription.ledger"]._documents(
            self.subscription_id, min(self.mapped("effective_date"))
        )
        try:
            with mute_logger("odoo.sql_db"):
                lock("account_move", (billing | credits).ids)
        except busy:
            raise UserError(
                self.env._(
                    "The invoices of this subscription are being changed by someone "
                    "else (posted, reset to draft, reversed). Try again in a moment."
                )
            ) from None
        self.invalidate_recordset()
        self.line_ids.invalidate_recordset()
        self.subscription_id.sale_subscription_line_ids.invalidate_recordset()
        (billing | credits).invalidate_recordset()
        (billing | credits).invoice_line_ids.invalidate_recordset()

    def _prefetch_for_apply(self):
        """Read, in a few queries for the whole batch, what planning reads one
        amendment at a time."""
        self.line_ids.fetch(["subscription_line_id", "old_quantity", "new_quantity"])
        self.subscription_id.sale_subscription_line_ids.fetch(
            ["product_id", "product_uom_qty", "price_unit", "discount"]
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
        """The rules' plan for this amendment, from the ledger (no write)."""
        self.ensure_one()
        subscription = self.subscription_id
        periods = self.env["sale.subscription.ledger"]._billed_periods(
            subscription, self.effective_date, self._document_date()
        )
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
                price_digits=self.env["decimal.precision"].precision_get(
                    "Product Price"
                ),
            )
        except rules.RuleError as error:
            raise self._rule_error(error) from error

    def _document_date(self):
        """The invoice date of the documents: the effective date, or the day
        the change was requested if later."""
        return max(self.effective_date, self.request_date)

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

    # -- writing -------------------------------------------------------------

    def _apply_lines(self, plan):
        """Write the new subscription lines (through the amendment path only)."""
        self.ensure_one()
        subscription = internal(self.subscription_id, APPLY_CONTEXT)
        new_quantities = {line.key: float(line.quantity) for line in plan.new_lines}
        commands = []
        for sub_line in subscription.sale_subscription_line_ids:
            quantity = new_quantities.get(sub_line.id, 0.0)
            if quantity <= 0:
                commands.append(Command.unlink(sub_line.id))
            elif float_compare(quantity, sub_line.product_uom_qty, precision_digits=6):
                # subscription_oca recomputes the discount from the pricelist
                # when the quantity changes: the line keeps its own
                commands.append(
                    Command.update(
                        sub_line.id,
                        {"product_uom_qty": quantity, "discount": sub_line.discount},
                    )
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

    # -- accounting: the documents ---------------------------------------------

    def _prepare_documents(self, plan):
        """(origin, account.move values) pairs: one credit note per corrected
        document, one invoice per billed period with additions, each built by
        the document it comes from. Runs after the subscription lines changed
        (a new add-on has its line)."""
        self.ensure_one()
        moves = self.env["account.move"].sudo()
        amendment = self.with_company(self.company_id)
        invoice_date = self._document_date()
        documents = []
        for groups, build in (
            (plan.credits_by_invoice(), "_prepare_amendment_refund_values"),
            (plan.invoices_by_period(), "_prepare_amendment_invoice_values"),
        ):
            for ref, lines in groups.items():
                origin = moves.browse(ref)
                values = getattr(origin, build)(
                    amendment._in_partner_language(origin), lines, invoice_date
                )
                documents.append((origin, values))
        return documents

    def _in_partner_language(self, document):
        return self.with_context(
            lang=document.partner_id.lang or self.env.lang or "en_US"
        )

    def _create_documents(self, documents):
        """Create the planned documents (``(origin, values)`` pairs) in their
        company; post them if their company says so, unless their origin is a
        draft (they are matched with it when it is posted).

        The one sudo() that creates accounting documents: account managers
        amend contracts but may only read invoices. It runs after
        ``action_apply``'s group and record-rule checks (or in the cron), on
        values built from the amendment's own subscription and its documents.
        A document that cannot be posted stays in draft, with the reason in
        its chatter, for an accountant to post.
        """
        moves = to_post = self.env["account.move"].sudo()
        by_company = defaultdict(list)
        for origin, vals in documents:
            by_company[origin.company_id].append((origin, vals))
        for company, pairs in by_company.items():
            created = moves.with_company(company).create([vals for _o, vals in pairs])
            moves |= created
            for move, (origin, _vals) in zip(created, pairs, strict=True):
                if (
                    company.amendment_auto_post
                    and move.auto_post == "no"
                    and origin.state == "posted"
                ):
                    to_post |= move
        # created in another environment: read them afresh from ours
        self.invalidate_recordset(["move_ids"])
        if not to_post:
            return moves
        try:
            # the whole batch at once (credit notes reconciled in one plan) ...
            with self.env.cr.savepoint():
                to_post.action_post()
            return moves
        except (UserError, ValidationError) as error:
            # ... or, when one cannot be posted, one by one: the others are posted
            _logger.info("Posting the batch one by one: %s", error)
        for move in to_post:
            try:
                with self.env.cr.savepoint():
                    move.action_post()
            except (UserError, ValidationError) as error:
                _logger.warning(
                    "%s not posted automatically: %s", move.display_name, error
                )
                move.message_post(
                    body=self.env._(
                        "Not posted automatically: %(error)s", error=str(error)
                    )
                )
        return moves

    def _document_journal(self, invoice):
        return invoice.company_id.amendment_journal_id or invoice.journal_id

    def _subscription_line_for_key(self, key):
        """The subscription line behind a rules key (a new add-on's, once created)."""
        if isinstance(key, tuple):
            return self.line_ids.browse(key[1]).subscription_line_id
        # the keys are lines read under the lock, and none is deleted here (a
        # removed line is only detached from the subscription): no exists()
        # query per document line
        return self.env["sale.subscription.line"].browse(key)

    def _document_line_label(self, line):
        """``Users: 10 → 6 (−4) · 10/07/2024 – 05/08/2024 (87 %)``, in the
        partner's language (the context's ``lang``)."""
        product = self.env["product.product"].browse(line.product)

        def number(value, sign=False):
            decimals = max(0, -value.normalize().as_tuple().exponent)
            text = formatLang(self.env, float(value), digits=decimals)
            if sign and value > 0:
                text = "+" + text
            return text.replace("-", "−")

        return self.env._(
            "%(product)s: %(old)s → %(new)s (%(delta)s) · %(start)s – %(end)s "
            "(%(percent)s %%)",
            product=product.with_context(lang=self.env.lang).name,
            old=number(line.old_quantity),
            new=number(line.new_quantity),
            delta=number(line.new_quantity - line.old_quantity, sign=True),
            start=format_date(self.env, line.since),
            end=format_date(self.env, line.period_end),
            percent=line.percent,
        )

    def _log_applied(self, plans):
        """Who changed what, and when, on the amendments and their subscriptions.

        Notes logged in one batch per model (a note notifies no one, so
        ``message_post`` would only add queries). ``plans``: amendment → plan.
        """
        self.move_ids.mapped("name")  # one read of the documents for the batch
        notes = {
            amendment: amendment._applied_note(plans[amendment]) for amendment in self
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

    def _applied_note(self, plan):
        """The note telling what the amendment changed and which documents it made."""
        self.ensure_one()
        changes = Markup("").join(
            Markup("<li>%s: %s → %s</li>")
            % (
                line.product_id.display_name,
                format_quantity(line.old_quantity),
                format_quantity(line.new_quantity),
            )
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
            for move in self.move_ids
        )
        body = Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._(
                "Amendment %(amendment)s, submitted by %(submitter)s on "
                "%(request_date)s, applied by %(user)s, effective %(date)s.",
                amendment=self.name,
                submitter=self.user_id.name,
                request_date=format_date(self.env, self.request_date),
                user=self.env.user.name,
                date=format_date(self.env, self.effective_date),
            ),
            changes,
        )
        if documents:
            body += Markup("<p>%s %s</p>") % (self.env._("Documents:"), documents)
        if (
            self.override_reason
            and not self.subscription_id._notice_decision(
                self.amendment_type, self.request_date
            ).accepted
        ):
            body += Markup("<p>%s</p>") % self.env._(
                "Late change accepted by an administrator after the notice deadline "
                "%(deadline)s: %(reason)s",
                deadline=format_date(self.env, self.notice_deadline),
                reason=self.override_reason,
            )
        return body
