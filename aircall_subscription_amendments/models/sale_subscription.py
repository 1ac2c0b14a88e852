# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import format_date

from .. import rules
from .sale_subscription_template import TERM_UNITS

ADMIN_GROUP = "aircall_subscription_amendments.group_amendment_admin"
USER_GROUP = "aircall_subscription_amendments.group_amendment_user"
#: context key of the amendment path: the only way to change the lines or the
#: renewal of a running contract
APPLY_CONTEXT = "aircall_amendment_apply"
#: context key: an administrator's reason to accept a late cancellation
OVERRIDE_CONTEXT = "aircall_override_reason"


class SaleSubscription(models.Model):
    _inherit = "sale.subscription"

    term_interval = fields.Integer(
        string="Contract term",
        compute="_compute_term",
        store=True,
        readonly=False,
        help="Commitment length; 0: no term (no renewal date, no notice rule).",
    )
    term_unit = fields.Selection(
        selection=TERM_UNITS,
        compute="_compute_term",
        store=True,
        readonly=False,
    )
    auto_renew = fields.Boolean(
        compute="_compute_auto_renew",
        store=True,
        readonly=False,
        tracking=True,
        help="The contract renews under its current terms at the renewal date. "
        "Switching it off is a cancellation: it obeys the notice period.",
    )
    notice_days = fields.Integer(
        compute="_compute_notice_days",
        store=True,
        readonly=False,
        tracking=True,
        help="Reductions and cancellations must be submitted at least this many days "
        "before the renewal date. Only a subscription-amendment administrator may "
        "change it.",
    )
    renewal_date = fields.Date(
        compute="_compute_renewal_date",
        store=True,
        help="The first day of the next contract term.",
    )
    notice_deadline = fields.Date(
        compute="_compute_notice_deadline",
        store=True,
        index=True,
        help="The last day on which a reduction or a cancellation is accepted.",
    )
    inside_notice_period = fields.Boolean(
        compute="_compute_inside_notice_period",
        search="_search_inside_notice_period",
        help="Past the notice deadline: only upgrades are accepted until the renewal.",
    )

    amendment_ids = fields.One2many(
        comodel_name="sale.subscription.amendment",
        inverse_name="subscription_id",
        string="Amendments",
    )
    amendment_count = fields.Integer(compute="_compute_amendment_count")
    user_is_amendment_admin = fields.Boolean(compute="_compute_user_is_amendment_admin")

    @api.depends("amendment_ids")
    def _compute_amendment_count(self):
        counts = dict(
            self.env["sale.subscription.amendment"]._read_group(
                [("subscription_id", "in", self.ids)],
                groupby=["subscription_id"],
                aggregates=["__count"],
            )
        )
        for subscription in self:
            subscription.amendment_count = counts.get(subscription, 0)

    @api.depends_context("uid")
    def _compute_user_is_amendment_admin(self):
        self.user_is_amendment_admin = self.env.user.has_group(ADMIN_GROUP)

    def action_view_amendments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aircall_subscription_amendments.sale_subscription_amendment_action"
        )
        action.update(
            domain=[("subscription_id", "=", self.id)],
            context={"default_subscription_id": self.id},
        )
        return action

    @api.depends("template_id")
    def _compute_term(self):
        for subscription in self:
            subscription.term_interval = subscription.template_id.term_interval
            subscription.term_unit = subscription.template_id.term_unit or "month"

    @api.depends("recurring_rule_boundary")
    def _compute_auto_renew(self):
        for subscription in self:
            # an end date (limited boundary) means no automatic renewal
            subscription.auto_renew = subscription.recurring_rule_boundary

    @api.depends("template_id", "company_id")
    def _compute_notice_days(self):
        for subscription in self:
            subscription.notice_days = (
                subscription.template_id.notice_days
                or subscription.company_id.amendment_notice_days
            )

    @api.depends("date_start", "date", "term_interval", "term_unit")
    def _compute_renewal_date(self):
        today = fields.Date.context_today(self)
        for subscription in self:
            subscription.renewal_date = subscription._renewal_date_after(today)

    @api.depends("renewal_date", "notice_days")
    def _compute_notice_deadline(self):
        for subscription in self:
            subscription.notice_deadline = (
                subscription.renewal_date
                and rules.notice_deadline(
                    subscription.renewal_date, max(subscription.notice_days, 0)
                )
            )

    def _compute_inside_notice_period(self):
        today = fields.Date.context_today(self)
        for subscription in self:
            subscription.inside_notice_period = bool(
                subscription.notice_deadline and subscription.notice_deadline < today
            )

    def _search_inside_notice_period(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on the notice period."))
        today = fields.Date.context_today(self)
        inside = [("notice_deadline", "<", today)]
        if (operator == "=") == value:
            return inside
        return ["|", ("notice_deadline", "=", False), ("notice_deadline", ">=", today)]

    @api.constrains("notice_days", "term_interval")
    def _check_notice_days(self):
        for subscription in self:
            if subscription.notice_days < 0 or subscription.term_interval < 0:
                raise UserError(
                    self.env._(
                        "Notice days and contract term cannot be negative "
                        "(%(subscription)s).",
                        subscription=subscription.display_name,
                    )
                )

    # -- terms and notice ----------------------------------------------------

    def _renewal_date_after(self, day):
        """The renewal date (first day of the next term) as seen on ``day``.

        No term → None. An end date (limited boundary) ends the term.
        """
        self.ensure_one()
        if self.term_interval <= 0 or not self.date_start:
            return None
        if self.date:
            return self.date
        return rules.renewal_date(
            self.date_start, self.term_interval, self.term_unit, after=day
        )

    def _notice_decision(self, kind, request_date):
        self.ensure_one()
        return rules.decide(
            kind, request_date, self._renewal_date_after(request_date), self.notice_days
        )

    def _check_notice(self, kind, request_date, override_reason=False):
        """Accept ``kind`` submitted on ``request_date`` or raise a UserError.

        An administrator may accept a late change with a reason.
        Returns the rules' decision.
        """
        self.ensure_one()
        decision = self._notice_decision(kind, request_date)
        if decision.accepted:
            return decision
        if override_reason and self.env.user.has_group(ADMIN_GROUP):
            return decision
        raise UserError(self._notice_refusal_message(decision))

    def _notice_refusal_message(self, decision):
        return self.env._(
            "Too late to reduce or cancel %(subscription)s: such changes had to be "
            "submitted by %(deadline)s, %(days)s days before the renewal date "
            "%(renewal)s (%(late)s day(s) late). The contract renews under its "
            "current terms on %(renewal)s.",
            subscription=self.display_name,
            deadline=format_date(self.env, decision.deadline),
            renewal=format_date(self.env, decision.renewal_date),
            days=self.notice_days,
            late=decision.days_late,
        )

    # -- access --------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if any("notice_days" in vals for vals in vals_list):
            self._check_notice_days_access()
        return super().create(vals_list)

    def write(self, vals):
        if "notice_days" in vals:
            self._check_notice_days_access()
        self._check_running_contract_change(vals)
        return super().write(vals)

    def _check_notice_days_access(self):
        if not self.env.su and not self.env.user.has_group(ADMIN_GROUP):
            raise AccessError(
                self.env._(
                    "Only a subscription-amendment administrator may change the "
                    "notice days of a contract."
                )
            )

    # -- billed periods ------------------------------------------------------

    def _billing_moves(self):
        return self.invoice_ids | self.sale_order_ids.invoice_ids

    def _prepare_account_move(self, line_ids):
        values = super()._prepare_account_move(line_ids)
        # subscription_oca ignores the pricelist currency: invoice in it
        values["currency_id"] = self.currency_id.id
        return values

    def generate_invoice(self):
        start, before = self.recurring_next_date, self._billing_moves()
        result = super().generate_invoice()
        self._stamp_billed_period(start, before)
        return result

    def manual_invoice(self):
        start, before = self.recurring_next_date, self._billing_moves()
        result = super().manual_invoice()
        self._stamp_billed_period(start, before)
        return result

    def _stamp_billed_period(self, start, before):
        """Record ``[start, recurring_next_date)`` on the invoices just created.

        subscription_oca advances ``recurring_next_date`` after building the
        invoice, so this runs after ``super()``.
        """
        self.ensure_one()
        moves = (self._billing_moves() - before).sudo()
        if not moves or not start:
            return
        moves.write(
            {
                "subscription_period_start": start,
                "subscription_period_next_start": self.recurring_next_date,
                "subscription_billed_id": self.id,
            }
        )
        moves.invoice_line_ids._link_subscription_lines(self.sale_subscription_line_ids)

    # -- cron ----------------------------------------------------------------

    @api.model
    def cron_subscription_management(self):
        self._cron_renew_terms()
        self.env["sale.subscription.amendment"]._cron_apply_scheduled()
        return super().cron_subscription_management()

    @api.model
    def _cron_renew_terms(self):
        """Start the next term of contracts whose renewal date has come.

        Auto-renewing contracts continue under the same lines and prices (their
        renewal date advances); the others are closed through subscription_oca.
        Idempotent: a second run the same day finds nothing to do.
        """
        today = fields.Date.context_today(self)
        due = self.search([("renewal_date", "<=", today), ("in_progress", "=", True)])
        to_close = due.filtered(lambda subscription: not subscription.auto_renew)
        for subscription in to_close:
            subscription.close_subscription(
                self.env.ref(
                    "aircall_subscription_amendments.close_reason_not_renewed"
                ).id
            )
        renewed = due - to_close
        if renewed:
            self.env.add_to_compute(self._fields["renewal_date"], renewed)
            renewed.flush_recordset(["renewal_date", "notice_deadline"])
            for subscription in renewed:
                subscription.message_post(
                    body=self.env._(
                        "New contract term under the current terms, until %(renewal)s.",
                        renewal=format_date(self.env, subscription.renewal_date),
                    )
                )

    # == Running contracts: no way around the notice rule =====================
    # (issue 5) Lines change only through amendments (sale_subscription_line.py).
    # Stopping a running contract or its renewal is a cancellation: it obeys the
    # notice period, or an administrator's override with a reason. Its term,
    # dates and template are the administrators'.

    #: changing these on a running contract changes its term, its renewal date
    #: or its notice period
    _TERM_FIELDS = ("term_interval", "term_unit", "date", "date_start", "template_id")
    #: context key: the cancellation was checked before closing
    _CANCELLATION_CHECKED = "aircall_cancellation_checked"

    def _is_running_under_term(self):
        self.ensure_one()
        return bool(
            self.in_progress
            and self.stage_id.type == "in_progress"
            and self.term_interval > 0
        )

    def _check_running_contract_change(self, vals):
        """Refuse, on running contracts, what would get around the notice rule.

        Called by ``write`` before anything is written.
        """
        if self.env.context.get(APPLY_CONTEXT):
            return
        term_fields = [name for name in self._TERM_FIELDS if name in vals]
        stops = self._stops_contract(vals)
        stops_renewal = "auto_renew" in vals and not vals["auto_renew"]
        if not (stops or stops_renewal or term_fields):
            return
        for subscription in self.filtered(lambda sub: sub._is_running_under_term()):
            if stops and not self.env.context.get(self._CANCELLATION_CHECKED):
                subscription._check_cancellation()
            elif stops_renewal and subscription.auto_renew:
                subscription._check_cancellation()
            if term_fields:
                subscription._check_term_change(vals, term_fields)

    def _stops_contract(self, vals):
        """Whether ``vals`` takes a contract out of progress (close, archive...)."""
        if "stage_id" in vals:
            stage = vals["stage_id"]
            if not isinstance(stage, models.BaseModel):
                stage = self.env["sale.subscription.stage"].browse(stage)
            if stage.type != "in_progress":
                return True
        return ("in_progress" in vals and not vals["in_progress"]) or (
            "active" in vals and not vals["active"]
        )

    def close_subscription(self, close_reason_id=False):
        for subscription in self.filtered(lambda sub: sub._is_running_under_term()):
            subscription._check_cancellation()
        checked = self.with_context(**{self._CANCELLATION_CHECKED: True})
        return super(SaleSubscription, checked).close_subscription(close_reason_id)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_running_contract(self):
        running = self.filtered(lambda sub: sub._is_running_under_term())
        if running and not self.env.user.has_group(ADMIN_GROUP):
            raise UserError(
                self.env._(
                    "%(subscription)s runs under a contract term and cannot be "
                    "deleted: close it instead (the notice period applies).",
                    subscription=running[0].display_name,
                )
            )

    def _check_cancellation(self):
        """Stopping this running contract, or its renewal, today: a cancellation.

        Accepted on time, or late by an administrator with a reason (context key
        OVERRIDE_CONTEXT), logged in the chatter. On or after the renewal date
        (the renewal cron closes the contracts that do not renew) it cancels
        nothing.
        """
        self.ensure_one()
        today = fields.Date.context_today(self)
        if self._term_has_ended(today):
            return
        decision = self._notice_decision("cancellation", today)
        if decision.accepted:
            return
        reason = self.env.context.get(OVERRIDE_CONTEXT)
        if reason and not self.env.user.has_group(ADMIN_GROUP):
            raise AccessError(
                self.env._("Only an administrator may apply a late change.")
            )
        self._check_notice("cancellation", today, reason)
        self.message_post(
            body=Markup("<p>%s</p>")
            % self.env._(
                "Late cancellation accepted by %(user)s, administrator, after the "
                "notice deadline %(deadline)s: %(reason)s",
                user=self.env.user.name,
                deadline=format_date(self.env, decision.deadline),
                reason=reason,
            )
        )

    def _term_has_ended(self, today):
        """Today is on or after the renewal date of the current term."""
        self.ensure_one()
        ends = (self.renewal_date, self._renewal_date_after(today - timedelta(days=1)))
        return any(end and end <= today for end in ends)

    def _check_term_change(self, vals, names):
        """Only an administrator changes the term of a running contract (logged)."""
        self.ensure_one()
        changed = [
            name
            for name in names
            if self._fields[name].convert_to_cache(vals[name], self)
            != self._fields[name].convert_to_cache(self[name], self)
            # subscription_oca sets a missing start date when the contract starts
            and (name != "date_start" or self.date_start)
        ]
        if not changed:
            return
        if not self.env.user.has_group(ADMIN_GROUP):
            raise UserError(
                self.env._(
                    "%(subscription)s is running under a contract term: only an "
                    "administrator may change its term, its dates or its template.",
                    subscription=self.display_name,
                )
            )
        self.message_post(
            body=self.env._(
                "Contract term changed by %(user)s, administrator, on a running "
                "contract: %(fields)s.",
                user=self.env.user.name,
                fields=", ".join(
                    self._fields[name].get_description(self.env)["string"]
                    for name in changed
                ),
            )
        )

    def _amended_only(self):
        """The running contracts whose lines change only through an amendment
        (in the current context: none on the amendment path)."""
        if self.env.context.get(APPLY_CONTEXT):
            return self.browse()
        return self.filtered(lambda subscription: subscription._is_running_under_term())

    def _check_direct_line_edit(self):
        """Refuse a direct line edit on these contracts, unless by an administrator."""
        if self and not self.env.user.has_group(ADMIN_GROUP):
            raise UserError(
                self.env._(
                    "The lines of %(subscription)s change only through an "
                    "amendment while the contract runs under its term: use the "
                    "Amend button.",
                    subscription=self[0].display_name,
                )
            )

    def _log_direct_line_edit(self, changes):
        """An administrator's direct line edit, in the chatter.

        ``changes``: (product, old quantity, new quantity) tuples.
        """
        self.ensure_one()
        if not changes:
            return
        items = Markup("").join(
            Markup("<li>%s: %s → %s</li>")
            % (product.display_name, format_quantity(old), format_quantity(new))
            for product, old, new in changes
        )
        self.message_post(
            body=Markup("<p>%s</p><ul>%s</ul>")
            % (
                self.env._(
                    "Lines changed directly by %(user)s, administrator, without an "
                    "amendment (no credit note or invoice was generated):",
                    user=self.env.user.name,
                ),
                items,
            )
        )

    def action_open_amendment_wizard(self):
        """The Amend button: the amendment wizard, as the UI opens it."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aircall_subscription_amendments.sale_subscription_amendment_wizard_action"
        )
        action["context"] = {
            "active_model": self._name,
            "active_id": self.id,
            "active_ids": self.ids,
        }
        return action


def format_quantity(value):
    """A quantity without useless decimals: 10, 2.5."""
    return f"{value:.6f}".rstrip("0").rstrip(".")
