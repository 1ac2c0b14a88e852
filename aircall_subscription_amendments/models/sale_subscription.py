# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A subscription's contract term: its renewal date, its notice deadline, and
the notice rule a change is judged by.

Its guards (sale_subscription_guard.py), its invoices
(sale_subscription_invoicing.py) and its daily cron (sale_subscription_cron.py)
extend the same model in files of their own.
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools.misc import format_date

from .. import rules
from ..tools import (
    DEFAULT_NOTICE_DAYS,
    TERM_UNITS,
    company_days,
    deprecated_alias,
    non_negative,
    rule_today,
)


class SaleSubscription(models.Model):
    _inherit = "sale.subscription"
    _sql_constraints = [non_negative("term_interval"), non_negative("notice_days")]

    term_interval = fields.Integer(
        string="Contract term",
        compute="_compute_term",
        store=True,
        readonly=False,
        tracking=True,
        help="Commitment length, from the template; 0: no term (no renewal date, "
        "no notice rule). Only a subscription-amendment administrator may change "
        "the term of a running contract.",
    )
    term_unit = fields.Selection(
        selection=TERM_UNITS,
        compute="_compute_term",
        store=True,
        readonly=False,
        tracking=True,
    )
    auto_renew = fields.Boolean(
        compute="_compute_auto_renew",
        store=True,
        readonly=False,
        tracking=True,
        help="The contract renews under its current terms at the renewal date. "
        "Switching it off is a cancellation: it obeys the notice period. A "
        "subscription with an end date does not renew.",
    )
    notice_days = fields.Integer(
        compute="_compute_notice_days",
        store=True,
        readonly=False,
        copy=False,  # a copy is a new contract: it gets the default
        tracking=True,
        help="Reductions and cancellations must be submitted at least this many days "
        "before the renewal date. From the template, else the company setting. Only "
        "a subscription-amendment administrator may change it.",
    )
    renewal_date = fields.Date(
        compute="_compute_renewal_dates",
        store=True,
        index=True,
        help="The first day of the next contract term (the end date of a "
        "subscription that has one). Empty without a contract term.",
    )
    notice_deadline = fields.Date(
        compute="_compute_renewal_dates",
        store=True,
        index=True,
        help="The last day on which a reduction or a cancellation is accepted: "
        "the renewal date minus the notice days.",
    )
    inside_notice_period = fields.Boolean(
        compute="_compute_inside_notice_period",
        search="_search_inside_notice_period",
        help="Past the notice deadline: only upgrades are accepted until the renewal.",
    )
    notice_reminder_renewal_date = fields.Date(
        string="Notice reminder sent for",
        copy=False,
        readonly=True,
        help="The renewal date of the term whose notice-deadline reminder was "
        "created: one reminder per term.",
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
        self.user_is_amendment_admin = self.env.user._is_amendment_admin()

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

    @api.depends("date")
    def _compute_auto_renew(self):
        for subscription in self:
            # an end date (limited boundary) means no automatic renewal
            subscription.auto_renew = not subscription.date

    @api.depends("template_id", "company_id")
    def _compute_notice_days(self):
        for subscription in self:
            subscription.notice_days = self._default_notice_days(
                subscription.template_id, subscription.company_id
            )

    @api.model
    def _default_notice_days(self, template, company):
        """The notice days a contract gets: template, else company, else 30.

        A template's 0 means "the company default".
        """
        if template.notice_days:
            return template.notice_days
        if company:
            return company.amendment_notice_days
        return DEFAULT_NOTICE_DAYS

    @api.depends(
        "date_start",
        "date",
        "term_interval",
        "term_unit",
        "notice_days",
        "stage_id",
    )
    def _compute_renewal_dates(self):
        """Renewal date and notice deadline as seen today.

        "Today" moves on: the daily cron refreshes the contracts whose renewal
        date has come (``_refresh_renewal_dates``). A closed contract has none.
        """
        days = company_days(self.company_id)
        for subscription in self:
            today = days.get(subscription.company_id) or rule_today(self)
            renewal = None
            if subscription.stage_id.type != "post":
                renewal = subscription._renewal_date_after(today)
            subscription.renewal_date = renewal or False
            subscription.notice_deadline = (
                renewal
                and rules.notice_deadline(renewal, max(subscription.notice_days, 0))
                or False
            )

    def _refresh_renewal_dates(self):
        """Recompute the stored renewal date and notice deadline as of today."""
        if not self:
            return
        # one compute method sets both fields: marking one recomputes both
        self.env.add_to_compute(self._fields["renewal_date"], self)
        self.flush_recordset(["renewal_date", "notice_deadline"])

    @api.depends("renewal_date", "notice_deadline")
    def _compute_inside_notice_period(self):
        days = company_days(self.company_id)
        for subscription in self:
            today = days.get(subscription.company_id)
            subscription.inside_notice_period = bool(
                today
                and subscription.notice_deadline
                and subscription.notice_deadline < today < subscription.renewal_date
            )

    def _search_inside_notice_period(self, operator, value):
        """Past the notice deadline and before the renewal, on each company's
        day (``company_today``): one condition per day the companies are on."""
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on the notice period."))
        wanted = (operator == "=") == value
        domains = []
        for today, companies in self._companies_by_day().items():
            if wanted:
                condition = [
                    ("notice_deadline", "<", today),
                    ("renewal_date", ">", today),
                ]
            else:
                condition = [
                    "|",
                    "|",
                    ("notice_deadline", "=", False),
                    ("notice_deadline", ">=", today),
                    ("renewal_date", "<=", today),
                ]
            domains.append(
                expression.AND([[("company_id", "in", companies.ids)], condition])
            )
        return expression.OR(domains) if domains else expression.FALSE_DOMAIN

    @api.model
    def _companies_by_day(self):
        """{day: companies}: every company, grouped by its ``company_today``."""
        by_day = {}
        companies = self.env["res.company"].sudo().search([])
        for company, day in company_days(companies).items():
            by_day[day] = by_day.get(day, company.browse()) | company
        return by_day

    @api.constrains("auto_renew", "date")
    def _check_auto_renew_end_date(self):
        for subscription in self:
            if subscription.auto_renew and subscription.date:
                raise ValidationError(
                    self.env._(
                        "%(subscription)s has an end date: it cannot renew "
                        "automatically.",
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

    def _rule_term(self):
        """The contract's term for the rules (``rules.Term``): None without a
        term, or with an end date (it ends there: no later renewal)."""
        self.ensure_one()
        if self.term_interval <= 0 or not self.date_start or self.date:
            return None
        return rules.Term(self.date_start, self.term_interval, self.term_unit)

    def _renewal_to_meet(self, effective_date, request_date):
        """The renewal a change effective on ``effective_date``, requested on
        ``request_date``, must meet: the first renewal on or after its
        effective date (after the request date). None without a term."""
        self.ensure_one()
        term = self._rule_term()
        if term is None:
            return self._renewal_date_after(request_date)
        try:
            return term.renewal_to_meet(effective_date or request_date, request_date)
        except rules.RuleError:
            # a date beyond the calendar: judged against the coming renewal
            # (the plan refuses it)
            return self._renewal_date_after(request_date)

    def _first_renewal_meeting(self, request_date):
        """The first renewal a reduction requested on ``request_date`` is on
        time for (None without a term, or with an end date)."""
        self.ensure_one()
        term = self._rule_term()
        return term and term.first_renewal_meeting(
            request_date, max(self.notice_days, 0)
        )

    def _follow_template_term(self):
        """Take the term and notice days of the template (it just got a term)."""
        for (template, company), subscriptions in self.grouped(
            lambda subscription: (subscription.template_id, subscription.company_id)
        ).items():
            subscriptions.write(
                {
                    "term_interval": template.term_interval,
                    "term_unit": template.term_unit,
                    "notice_days": self._default_notice_days(template, company),
                }
            )

    def _notice_decision(self, kind, request_date, effective_date=None):
        """The notice rule's decision on ``kind`` requested on ``request_date``
        and effective on ``effective_date`` (default: the request date),
        judged against the renewal it must meet (``_renewal_to_meet``)."""
        self.ensure_one()
        return rules.decide(
            kind,
            request_date,
            self._renewal_to_meet(effective_date, request_date),
            self.notice_days,
        )

    def _ensure_notice_accepts(
        self, kind, request_date, override_reason=False, effective_date=None
    ):
        """Accept ``kind`` submitted on ``request_date``, effective on
        ``effective_date``, or raise a UserError.

        A late change is accepted when ``_accepts_late_change`` says so.
        Returns the rules' decision.
        """
        self.ensure_one()
        decision = self._notice_decision(kind, request_date, effective_date)
        if decision.accepted or self._accepts_late_change(override_reason):
            return decision
        raise UserError(self._notice_refusal_message(decision))

    @api.model
    def _accepts_late_change(self, override_reason):
        """The one policy for changes the notice rule refuses: an amendment
        administrator may apply them, with a written reason.

        No reason: False (the caller refuses with the notice facts). A reason
        from anyone else: AccessError, whatever the context says.
        """
        if not (override_reason or "").strip():
            return False
        if not self.env.user._is_amendment_admin(self.company_id):
            raise AccessError(
                self.env._("Only an administrator may apply a late change.")
            )
        return True

    def _notice_refusal_message(self, decision):
        return self.env._(
            "Too late to reduce or cancel %(subscription)s: such changes had to be "
            "submitted by the end of %(deadline)s (%(timezone)s), %(days)s days "
            "before the renewal date %(renewal)s (%(late)s day(s) late). The "
            "contract renews under its current terms on %(renewal)s.",
            subscription=self.display_name,
            deadline=format_date(self.env, decision.deadline),
            timezone=self.sudo().company_id.amendment_timezone or "UTC",
            renewal=format_date(self.env, decision.renewal_date),
            days=self.notice_days,
            late=decision.days_late,
        ) + self._next_renewal_sentence(decision.request_date)

    def _next_renewal_sentence(self, request_date):
        """The sentence naming the next renewal
        a reduction requested on ``request_date`` meets (or nothing)."""
        later = self._first_renewal_meeting(request_date)
        if not later:
            return ""
        return " " + self.env._(
            "It is on time for the renewal of %(later)s: schedule it for that "
            "day (effective date %(later)s).",
            later=format_date(self.env, later),
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

    # -- renamed in 18.0.1.1.0 (readme/HISTORY.md) -------------------------------

    _check_notice = deprecated_alias("_ensure_notice_accepts")
