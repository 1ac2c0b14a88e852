# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.misc import format_date

from .. import rules
from ..tools import (
    APPLY_CONTEXT,
    CANCELLATION_CHECKED,
    format_quantity,
    internal,
    is_internal,
    user_today,
)
from .res_company import DEFAULT_NOTICE_DAYS
from .sale_subscription_template import TERM_UNITS

#: the activity type of the reminder sent before a notice deadline
REMINDER_ACTIVITY = "aircall_subscription_amendments.mail_activity_notice_deadline"
#: fields only an amendment administrator may change on a running contract
TERM_FIELDS = ("term_interval", "term_unit", "notice_days")
#: and, once it has a term, what moves its renewal date
TERM_DATE_FIELDS = ("date_start", "date")
#: what ``write_with_override`` may write: the ways to stop a contract or its renewal
CANCELLATION_FIELDS = ("stage_id", "in_progress", "active", "auto_renew")


class SaleSubscription(models.Model):
    _inherit = "sale.subscription"

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
        today = user_today(self)
        for subscription in self:
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
    @api.depends_context("uid")
    def _compute_inside_notice_period(self):
        today = user_today(self)
        for subscription in self:
            subscription.inside_notice_period = bool(
                subscription.notice_deadline
                and subscription.notice_deadline < today < subscription.renewal_date
            )

    def _search_inside_notice_period(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on the notice period."))
        today = user_today(self)
        if (operator == "=") == value:
            return [("notice_deadline", "<", today), ("renewal_date", ">", today)]
        return [
            "|",
            "|",
            ("notice_deadline", "=", False),
            ("notice_deadline", ">=", today),
            ("renewal_date", "<=", today),
        ]

    @api.constrains("notice_days", "term_interval")
    def _check_term_and_notice_days(self):
        for subscription in self:
            if subscription.notice_days < 0:
                raise ValidationError(
                    self.env._(
                        "The notice days of %(subscription)s cannot be negative "
                        "(%(days)s).",
                        subscription=subscription.display_name,
                        days=subscription.notice_days,
                    )
                )
            if subscription.term_interval < 0:
                raise ValidationError(
                    self.env._(
                        "The contract term of %(subscription)s cannot be negative "
                        "(%(term)s).",
                        subscription=subscription.display_name,
                        term=subscription.term_interval,
                    )
                )

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

    def _notice_decision(self, kind, request_date):
        self.ensure_one()
        return rules.decide(
            kind, request_date, self._renewal_date_after(request_date), self.notice_days
        )

    def _check_notice(self, kind, request_date, override_reason=False):
        """Accept ``kind`` submitted on ``request_date`` or raise a UserError.

        A late change is accepted when ``_accepts_late_change`` says so.
        Returns the rules' decision.
        """
        self.ensure_one()
        decision = self._notice_decision(kind, request_date)
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
        if not self.env.user._is_amendment_admin():
            raise AccessError(
                self.env._("Only an administrator may apply a late change.")
            )
        return True

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
        for vals in vals_list:
            if "date" in vals and not vals["date"]:
                # subscription_oca computes ``date`` and ``recurring_rule_boundary``
                # together: a given ``date`` (the form sends False for an unlimited
                # template) would leave the boundary unset, as if limited, and its
                # cron would then compare False with a date
                del vals["date"]
        if self.env.user._is_amendment_admin():
            return super().create(vals_list)
        # checked on the values the records hold, defaults from the context included
        with self.env.cr.savepoint():
            subscriptions = super().create(vals_list)
            subscriptions._check_default_notice_days()
        return subscriptions

    def write(self, vals):
        # only the addon's own code may skip it: the amendment path, and the
        # writes whose cancellation was checked just before
        if not (
            is_internal(self, APPLY_CONTEXT) or is_internal(self, CANCELLATION_CHECKED)
        ):
            self._check_running_contract_change(vals)
        if self.env.user._is_amendment_admin() or not (
            {"template_id", "company_id", *TERM_FIELDS, *TERM_DATE_FIELDS} & set(vals)
        ):
            return super().write(vals)
        before = {subscription: subscription._term_values() for subscription in self}
        # checked on the values written (recomputed from a new template, say):
        # a refusal leaves nothing half-written
        with self.env.cr.savepoint():
            result = super().write(vals)
            for subscription, values in before.items():
                subscription._check_term_change(values)
        return result

    def _term_values(self):
        self.ensure_one()
        return {
            "in_progress": self.in_progress,
            **{fname: self[fname] for fname in TERM_FIELDS + TERM_DATE_FIELDS},
        }

    def _check_default_notice_days(self):
        """A new contract's notice days may only be its default (non-admins)."""
        for subscription in self:
            default = self._default_notice_days(
                subscription.template_id, subscription.company_id
            )
            if subscription.notice_days != default:
                raise AccessError(self._notice_days_access_message())

    def _check_term_change(self, before):
        """After a write by a non-administrator: refuse what only they may change.

        The notice days may only take their default (template, else company).
        The term and notice days of a running contract do not change at all,
        whether written directly or recomputed from another template; nor, once
        it has a term, its start and end dates, which move its renewal date (an
        end date also switches off its automatic renewal).
        """
        self.ensure_one()
        guarded = TERM_FIELDS
        if before["term_interval"] > 0:
            guarded += TERM_DATE_FIELDS
        changed = [
            fname
            for fname in guarded
            if self[fname] != before[fname]
            # a missing start date is set when the contract starts
            and (fname != "date_start" or before[fname])
        ]
        if not changed:
            return
        if before["in_progress"]:
            raise AccessError(
                self.env._(
                    "Only a subscription-amendment administrator may change the "
                    "contract term, the start or end date or the notice days of the "
                    "running contract %(subscription)s.",
                    subscription=self.display_name,
                )
            )
        if "notice_days" in changed and self.notice_days != self._default_notice_days(
            self.template_id, self.company_id
        ):
            raise AccessError(self._notice_days_access_message())

    def _notice_days_access_message(self):
        return self.env._(
            "Only a subscription-amendment administrator may change the notice days "
            "of a contract."
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

    def _prepare_sale_order(self, line_ids=False):
        values = super()._prepare_sale_order(line_ids)
        # the sale_and_invoice path too: the order (and so its invoice) in the
        # contract's pricelist, hence its currency
        values["pricelist_id"] = self.pricelist_id.id
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
        """Renewals, then scheduled amendments, then reminders, then invoicing.

        subscription_oca's own run (``super()``) comes last: it invoices the
        periods that start today under the terms the steps before left.
        """
        self._cron_renew_terms()
        self.env["sale.subscription.amendment"]._cron_apply_scheduled()
        self._cron_notice_reminders()
        return super().cron_subscription_management()

    @api.model
    def _cron_notice_reminders(self):
        """Remind the responsible user of an approaching notice deadline.

        Once per term: ``notice_reminder_renewal_date`` remembers the term a
        reminder was made for. Only contracts that would renew need one.
        """
        today = user_today(self)
        companies = self.env["res.company"].search([])
        horizon = today + timedelta(
            days=max(companies.mapped("amendment_reminder_days") or [0])
        )
        candidates = self.search(
            [
                ("in_progress", "=", True),
                ("auto_renew", "=", True),
                ("notice_deadline", ">=", today),
                ("notice_deadline", "<=", horizon),
            ]
        )
        for subscription in candidates:
            reminder_day = subscription.notice_deadline - timedelta(
                days=subscription.company_id.amendment_reminder_days
            )
            if (
                reminder_day <= today
                and subscription.notice_reminder_renewal_date
                != subscription.renewal_date
            ):
                subscription._schedule_notice_reminder()

    def _schedule_notice_reminder(self):
        self.ensure_one()
        user = self.user_id
        # in the language of the user who gets it
        subscription = self.with_context(lang=user.lang or self.env.lang)
        env = subscription.env
        deadline = format_date(env, self.notice_deadline)
        subscription.activity_schedule(
            REMINDER_ACTIVITY,
            date_deadline=self.notice_deadline,
            summary=env._("Notice deadline on %(deadline)s", deadline=deadline),
            note=Markup("<p>%s</p>")
            % env._(
                "%(deadline)s is the last day to submit a reduction or a "
                "cancellation of %(subscription)s. Without one, the contract renews "
                "under its current terms on %(renewal)s.",
                deadline=deadline,
                subscription=self.display_name,
                renewal=format_date(env, self.renewal_date),
            ),
            user_id=user.id,
        )
        self.notice_reminder_renewal_date = self.renewal_date

    @api.model
    def _cron_renew_terms(self):
        """Start the next term of contracts whose renewal date has come.

        Auto-renewing contracts continue under the same lines and prices: their
        renewal date and notice deadline advance (subscription_oca runs them on
        its unlimited boundary, so none of its own fields needs re-aligning).
        The others are closed through subscription_oca's close flow, with the
        "not renewed" reason. A subscription with an end date is left to
        subscription_oca, which closes it on that date. Contracts that are not
        running only get their dates refreshed. Idempotent: a second run the
        same day finds nothing to do.
        """
        today = user_today(self)
        due = self.search([("renewal_date", "<=", today)])
        running = due.filtered(
            lambda subscription: subscription.in_progress and not subscription.date
        )
        to_close = running.filtered(lambda subscription: not subscription.auto_renew)
        reason = self.env.ref(
            "aircall_subscription_amendments.close_reason_not_renewed"
        )
        for subscription in to_close:
            renewal = subscription.renewal_date
            subscription.close_subscription(reason.id)
            subscription.message_post(
                body=self.env._(
                    "Not renewed: the contract was cancelled and is closed on its "
                    "renewal date %(renewal)s.",
                    renewal=format_date(self.env, renewal),
                )
            )
        (due - to_close)._refresh_renewal_dates()
        renewed = running - to_close
        if renewed:
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
    # notice period, or an administrator's override with a reason. (Its term and
    # dates are the administrators': ``_check_term_change`` above.)

    def _is_running_under_term(self):
        self.ensure_one()
        return bool(
            self.in_progress
            and self.stage_id.type == "in_progress"
            and self.term_interval > 0
        )

    def _check_running_contract_change(self, vals, override_reason=False):
        """Refuse, on running contracts, what would get around the notice rule:
        stopping them (``vals`` closes or archives) or their renewal, late.

        Called before anything is written. ``override_reason``: see
        ``_accepts_late_change``.
        """
        stops = self._stops_contract(vals)
        stops_renewal = "auto_renew" in vals and not vals["auto_renew"]
        if not (stops or stops_renewal):
            return
        for subscription in self.filtered(lambda sub: sub._is_running_under_term()):
            if stops or subscription.auto_renew:
                subscription._check_cancellation(override_reason)

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

    def close_subscription(self, close_reason_id=False, override_reason=False):
        """subscription_oca's close, a cancellation: it obeys the notice period.

        ``override_reason``: an amendment administrator's reason to close a
        running contract after its notice deadline (logged in its chatter).
        Returns True (subscription_oca returns None, which XML-RPC cannot send).
        """
        if not is_internal(self, CANCELLATION_CHECKED):
            self._check_running_contract_change({"in_progress": False}, override_reason)
        checked = internal(self, CANCELLATION_CHECKED)
        super(SaleSubscription, checked).close_subscription(close_reason_id)
        return True

    def write_with_override(self, vals, override_reason):
        """Stop running contracts or their renewal after the notice deadline.

        ``vals`` may only close (a closed stage, ``in_progress``), archive
        (``active``) or switch ``auto_renew`` off; ``override_reason`` is the
        amendment administrator's reason, logged on each contract it was needed
        for. Everyone else gets the notice rule's refusal, as with ``write``.
        """
        unknown = set(vals) - set(CANCELLATION_FIELDS)
        if unknown:
            raise UserError(
                self.env._(
                    "Only closing, archiving or not renewing may be written with an "
                    "override reason, not %(fields)s.",
                    fields=", ".join(sorted(unknown)),
                )
            )
        self._check_running_contract_change(vals, override_reason)
        return internal(self, CANCELLATION_CHECKED).write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_running_contract(self):
        running = self.filtered(lambda sub: sub._is_running_under_term())
        if running and not self.env.user._is_amendment_admin():
            raise UserError(
                self.env._(
                    "%(subscription)s runs under a contract term and cannot be "
                    "deleted: close it instead (the notice period applies).",
                    subscription=running[0].display_name,
                )
            )

    def _check_cancellation(self, override_reason=False):
        """Stopping this running contract, or its renewal, today: a cancellation.

        Accepted on time, or late when ``_accepts_late_change(override_reason)``
        (logged in the chatter). On or after the renewal date (the renewal cron
        closes the contracts that do not renew) it cancels nothing.
        """
        self.ensure_one()
        today = user_today(self)
        if self._term_has_ended(today):
            return
        decision = self._check_notice("cancellation", today, override_reason)
        if decision.accepted:
            return
        self.message_post(
            body=Markup("<p>%s</p>")
            % self.env._(
                "Late cancellation accepted by %(user)s, administrator, after the "
                "notice deadline %(deadline)s: %(reason)s",
                user=self.env.user.name,
                deadline=format_date(self.env, decision.deadline),
                reason=override_reason,
            )
        )

    def _term_has_ended(self, today):
        """Today is on or after the renewal date of the current term."""
        self.ensure_one()
        ends = (self.renewal_date, self._renewal_date_after(today - timedelta(days=1)))
        return any(end and end <= today for end in ends)

    def _amended_only(self):
        """The running contracts whose lines change only through an amendment
        (none on the amendment path)."""
        if is_internal(self, APPLY_CONTEXT):
            return self.browse()
        return self.filtered(lambda subscription: subscription._is_running_under_term())

    def _check_direct_line_edit(self):
        """Refuse a direct line edit on these contracts, unless by an administrator."""
        if self and not self.env.user._is_amendment_admin():
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
