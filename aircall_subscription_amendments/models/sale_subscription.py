# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import format_date

from .. import rules
from .sale_subscription_template import TERM_UNITS

ADMIN_GROUP = "aircall_subscription_amendments.group_amendment_admin"
USER_GROUP = "aircall_subscription_amendments.group_amendment_user"


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
        invoice, so this runs after ``super()``. subscription_oca creates its
        invoices as superuser (a salesman may bill a contract): so are they
        stamped.
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
