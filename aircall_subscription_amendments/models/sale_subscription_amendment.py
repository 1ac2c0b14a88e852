# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The amendment record: its fields and states, who may write what, and the
actions (apply, cancel, create and apply).

Applying reads top to bottom in ``_apply``: lock, check and plan
(sale_subscription_amendment_plan.py, which asks ``..rules``), write the
subscription lines, build the documents (account_move.py), log the notes
(sale_subscription_notes.py).
"""

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.misc import format_date

from .. import rules
from ..tools import (
    AMENDMENT_TYPES,
    APPLY_CONTEXT,
    DERIVED_WRITE,
    REDUCTION_TIMINGS,
    REQUEST_CONTEXT,
    check_dates,
    check_ids,
    company_days,
    deprecated_alias,
    ensure_no_derived_values,
    internal,
    is_internal,
    rule_today,
)

#: what only an amendment administrator may set: another submitter, another
#: request date than today, a reason to accept a late change
ADMIN_FIELDS = ("request_date", "user_id", "override_reason")


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
        default=lambda self: rule_today(self),
        tracking=True,
        help="The day the amendment was submitted: for a draft, the day it is first "
        "accepted (applied or scheduled); a customer's request keeps the day it "
        "was sent. Only an administrator may set another day.",
    )
    effective_date = fields.Date(
        required=True,
        default=lambda self: rule_today(self),
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
            ("requested", "Requested"),
            ("scheduled", "Scheduled"),
            ("done", "Done"),
            ("cancel", "Cancelled"),
            ("refused", "Refused"),
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
        groups="base.group_user",
    )
    refusal_reason = fields.Text(
        readonly=True,
        copy=False,
        tracking=True,
        help="Why a customer's request was refused; the customer reads it.",
    )
    request_date_set = fields.Boolean(
        string="Request date set by an administrator",
        readonly=True,
        copy=False,
        help="The request date was given by an administrator: it is kept when the "
        "amendment is applied. Otherwise a draft is dated the day it is first "
        "accepted.",
    )
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="Submitted by",
        default=lambda self: self.env.user,
        required=True,
    )
    note = fields.Text(groups="base.group_user")
    reduction_timing = fields.Selection(
        selection=REDUCTION_TIMINGS,
        readonly=True,
        copy=False,
        help="When the reduction takes effect, as the template said when the "
        "amendment was accepted: a scheduled one keeps its date if the template "
        "changes later.",
    )
    renewal_date = fields.Date(compute="_compute_notice_dates")
    notice_deadline = fields.Date(compute="_compute_notice_dates")

    @api.depends(
        "cancel_renewal",
        "line_ids.old_quantity",
        "line_ids.new_quantity",
        "line_ids.price_unit",
        "line_ids.discount",
        "line_ids.new_price_unit",
        "line_ids.new_discount",
    )
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

    @api.depends("subscription_id", "request_date", "effective_date")
    def _compute_notice_dates(self):
        """The renewal the change must meet (the first on or after its
        effective date) and its notice deadline."""
        for amendment in self:
            subscription = amendment.subscription_id
            renewal = (
                subscription
                and amendment.request_date
                and subscription._renewal_to_meet(
                    amendment.effective_date, amendment.request_date
                )
            )
            amendment.renewal_date = renewal or False
            amendment.notice_deadline = renewal and rules.notice_deadline(
                renewal, max(subscription.notice_days, 0)
            )

    # -- create / write guards ----------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # a customer's request: its requester is checked with the values held
        # (``_ensure_submission_allowed``)
        if not is_internal(self, REQUEST_CONTEXT):
            self._ensure_amendment_user()
        for vals in vals_list:
            if vals.get("state", "draft") != "draft" or vals.get("refusal_reason"):
                raise UserError(self._created_as_draft_message())
            self._ensure_valid_input(vals)
        ensure_no_derived_values(self, vals_list)
        # an administrator's request date is theirs when they give it; anyone
        # else's draft is dated the day it is first accepted (``_apply``)
        if self.env.user._is_amendment_admin():
            for vals in vals_list:
                if "request_date" in vals or "default_request_date" in self.env.context:
                    vals["request_date_set"] = True
        # the guards read the values the records hold, defaults from the context
        # included: a client sets ``default_request_date`` as easily as
        # ``request_date``
        undated = [
            "effective_date" not in vals
            and "default_effective_date" not in self.env.context
            for vals in vals_list
        ]
        with self.env.cr.savepoint():
            amendments = super().create(vals_list)
            amendments._ensure_submission_allowed()
            for amendment, follows_timing in zip(amendments, undated, strict=True):
                internal(amendment, DERIVED_WRITE).name = amendment._default_name()
                if follows_timing:
                    amendment._follow_timing()
        return amendments

    @api.model
    def _ensure_valid_input(self, vals):
        """The values as a client sent them, before the ORM converts them (it
        would take a list for a date, or NaN for a number): ids of existing
        records, dates, and line commands that create or update lines (a link
        would take a line from another amendment)."""
        check_ids(self, vals)
        check_dates(self, vals, ("request_date", "effective_date"))
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
                line_model._ensure_valid_input(command[2])

    def _ensure_submission_allowed(self):
        """What a new amendment says, by whom: created as a draft (it changes
        state through Apply or Cancel only), requested today or earlier;
        another day than today, another submitter or an override reason only
        by an amendment administrator; a customer's request by a portal user
        of the customer."""
        days = company_days(self.company_id)
        for amendment in self:
            today = days[amendment.company_id]
            if amendment.state != "draft" or amendment.refusal_reason:
                raise UserError(self._created_as_draft_message())
            if is_internal(self, REQUEST_CONTEXT):
                amendment.subscription_id._ensure_portal_requester()
            amendment._ensure_admin_fields(
                name
                for name, unusual in (
                    ("request_date", amendment.request_date != today),
                    ("user_id", amendment.user_id != self.env.user),
                    ("override_reason", bool(amendment.override_reason)),
                )
                if unusual
            )
        self._ensure_request_date_not_future()

    def _ensure_admin_fields(self, names):
        """Refuse a non-administrator any of ``ADMIN_FIELDS`` in ``names``."""
        if self.env.user._is_amendment_admin():
            return
        messages = {
            "request_date": self.env._(
                "Only an administrator may set another request date."
            ),
            "user_id": self.env._(
                "Only an administrator may submit an amendment on behalf of another "
                "user."
            ),
            "override_reason": self.env._(
                "Only an administrator may apply a late change."
            ),
        }
        for name in names:
            if name in messages:
                raise AccessError(messages[name])

    def _ensure_request_date_not_future(self):
        days = company_days(self.company_id)
        for amendment in self:
            if amendment.request_date > days[amendment.company_id]:
                raise ValidationError(
                    self.env._(
                        "The request date %(date)s is in the future.",
                        date=format_date(self.env, amendment.request_date),
                    )
                )

    def _created_as_draft_message(self):
        return self.env._("An amendment is created as a draft; apply it.")

    def _default_name(self):
        return (
            self.env["ir.sequence"].next_by_code("sale.subscription.amendment") or "/"
        )

    def write(self, vals):
        self._ensure_valid_input(vals)
        applying = is_internal(self, APPLY_CONTEXT)
        if "state" in vals and not applying:
            raise UserError(
                self.env._("An amendment changes state through Apply or Cancel only.")
            )
        if "refusal_reason" in vals and not applying:
            raise UserError(
                self.env._("A refusal reason is given by refusing a request.")
            )
        ensure_no_derived_values(self, [vals], writing=True)
        if "subscription_id" in vals and any(
            amendment.subscription_id.id != vals["subscription_id"]
            for amendment in self
        ):
            raise UserError(
                self.env._(
                    "An amendment stays with the subscription it was created for: "
                    "create a new amendment for another one."
                )
            )
        locked = set(vals) - {
            "note",
            "message_main_attachment_id",
            "state",
            "refusal_reason",
        }
        if applying:
            # what accepting a request or a scheduled change records on it
            locked -= {"amendment_type", "reduction_timing", "effective_date"}
        # a scheduled amendment was checked on its request date: it is frozen too
        if locked and any(a.state != "draft" for a in self):
            raise UserError(
                self.env._(
                    "Only a draft amendment can be changed: cancel it and create a "
                    "new amendment instead."
                )
            )
        if not applying:
            self._ensure_admin_fields(set(vals))
            if locked:
                self._ensure_not_dated_by_an_administrator()
            if "request_date" in vals:
                # an administrator's request date (the others get refused above)
                vals = dict(vals, request_date_set=True)
        result = super().write(vals)
        if "request_date" in vals:
            self._ensure_request_date_not_future()
        return result

    def _ensure_lines_editable(self):
        if any(amendment.state != "draft" for amendment in self):
            raise UserError(
                self.env._(
                    "Only the lines of a draft amendment can change: cancel it and "
                    "create a new amendment instead."
                )
            )
        self._ensure_not_dated_by_an_administrator()

    def _ensure_not_dated_by_an_administrator(self):
        """A draft an administrator dated (``request_date_set``) is judged on
        their date: only an administrator changes what it says."""
        for amendment in self.filtered("request_date_set"):
            if not self.env.user._is_amendment_admin(amendment.company_id):
                raise AccessError(
                    self.env._(
                        "%(name)s carries a request date an administrator set: only "
                        "an administrator may change it. Create a new amendment "
                        "instead.",
                        name=amendment.name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_done(self):
        if any(amendment.state == "done" for amendment in self):
            raise UserError(self.env._("A done amendment cannot be deleted."))

    def _ensure_amendment_user(self):
        if not self.env.user._is_amendment_user():
            raise AccessError(
                self.env._("Only subscription-amendment users may amend subscriptions.")
            )

    # -- actions -------------------------------------------------------------

    def action_apply(self):
        """Apply the amendments, or schedule those effective in the future;
        on a customer's request, confirm it (the customer is told).

        All or nothing: one savepoint around the whole batch.
        """
        self._ensure_amendment_user()
        self.check_access("write")
        requests = self.filtered(lambda amendment: amendment.state == "requested")
        self._apply()
        requests._answer_request()
        return True

    def action_cancel(self):
        self._ensure_amendment_user()
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
        self._ensure_amendment_user()
        with self.env.cr.savepoint():
            amendment = self.create(vals)  # which checks the values
            self._ensure_prepared_quantities(vals)
            amendment.action_apply()
        return amendment

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

    def _date_request(self, today):
        """A draft is judged on the day it is first accepted: its request date
        becomes ``today``, unless an administrator set it."""
        self.ensure_one()
        if (
            self.state == "draft"
            and not self.request_date_set
            and self.request_date != today
        ):
            internal(self, APPLY_CONTEXT).write({"request_date": today})

    # -- renamed in 18.0.1.1.0 (readme/HISTORY.md) -------------------------------

    _check_amendment_group = deprecated_alias("_ensure_amendment_user")
    _check_input_values = deprecated_alias("_ensure_valid_input")
    _check_submission = deprecated_alias("_ensure_submission_allowed")
    _check_lines_editable = deprecated_alias("_ensure_lines_editable")
