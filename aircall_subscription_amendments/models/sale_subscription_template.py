# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A subscription template's contract term and notice days: administrators set
them; a template that gets a term brings its contracts under the notice rule.
A change of its recurrence changes what its contracts are worth: only
administrators make it where contracts run, the running contracts keep their
invariant (sale_subscription_invariant.py), and their movements are recorded."""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools import (
    ADMIN_GROUP,
    OVERRIDE,
    REDUCTION_TIMINGS,
    TERM_UNITS,
    Override,
    check_numbers,
    deprecated_alias,
    non_negative,
)

#: what a template says about contract terms, and its values when it says nothing
TERM_DEFAULTS = {
    "term_interval": 0,
    "term_unit": "month",
    "notice_days": 0,
    "reduction_timing": "immediate",
}
#: subscription_oca's recurrence: what a month of the contracts is worth
RECURRENCE_FIELDS = frozenset({"recurring_rule_type", "recurring_interval"})


class SaleSubscriptionTemplate(models.Model):
    _inherit = "sale.subscription.template"
    _sql_constraints = [non_negative("term_interval"), non_negative("notice_days")]

    term_interval = fields.Integer(
        string="Contract term",
        help="Commitment length, e.g. 12 months. The contract renews automatically "
        "at the end of each term. 0: no term, subscription_oca's behaviour is kept "
        "(no renewal date, no notice rule). When a template gets a term, its "
        "contracts without one get it too.",
    )
    term_unit = fields.Selection(
        selection=TERM_UNITS,
        string="Term unit",
        default=TERM_DEFAULTS["term_unit"],
        required=True,
    )
    notice_days = fields.Integer(
        help="Notice period of the contracts of this template. 0: the company default."
    )
    reduction_timing = fields.Selection(
        selection=REDUCTION_TIMINGS,
        default=TERM_DEFAULTS["reduction_timing"],
        required=True,
        help="When a reduction of a contract of this template takes effect: on "
        "its effective date with a prorated credit note; from the first billing "
        "period not invoiced yet; or at the renewal date. Neither of the last two "
        "credits anything. Upgrades take effect at once whatever this says; a "
        "change that both adds and removes follows it as a whole. A scheduled "
        "change keeps its date when this changes.",
    )
    user_is_amendment_admin = fields.Boolean(compute="_compute_user_is_amendment_admin")
    override_reason = fields.Text(
        compute="_compute_override_reason",
        readonly=False,
        groups=ADMIN_GROUP,
        help="An amendment administrator's reason for a change of the recurrence "
        "that lowers what running contracts are worth. Logged on each of them.",
    )

    def _compute_override_reason(self):
        # given with a change (``write`` takes it out of the values), never kept
        self.override_reason = False

    @api.depends_context("uid")
    def _compute_user_is_amendment_admin(self):
        self.user_is_amendment_admin = self.env.user._is_amendment_admin()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_numbers(self, vals, ("term_interval", "notice_days"))
        if self.env.user._is_amendment_admin():
            return super().create(vals_list)
        # checked on the values the records hold, defaults from the context included
        with self.env.cr.savepoint():
            templates = super().create(vals_list)
            for template in templates:
                template._ensure_term_access(
                    {fname: template[fname] for fname in TERM_DEFAULTS}, TERM_DEFAULTS
                )
        return templates

    def write(self, vals):
        if "override_reason" in vals:
            vals = dict(vals)
            reason = vals.pop("override_reason")
            if reason:
                return self.write_with_override(vals, reason)
        check_numbers(self, vals, ("term_interval", "notice_days"))
        for template in self:
            template._ensure_term_access(
                vals, {fname: template[fname] for fname in TERM_DEFAULTS}
            )
        self._ensure_running_terms_access(vals)
        opting_in = (
            self.filtered(lambda template: not template.term_interval)
            if vals.get("term_interval")
            else self.browse()
        )
        recurrence = {template: template._contract_recurrence() for template in self}
        with self.env.cr.savepoint():
            result = super().write(vals)
            changed = self.filtered(
                lambda template: template._contract_recurrence() != recurrence[template]
            )
            if changed:
                # what a month of their contracts is worth changes: the running
                # ones keep the invariant, and every one records its movement
                subscriptions = changed._subscriptions()
                subscriptions._check_recurrence_change(subscriptions, recurrence)
                subscriptions._record_mrr_movements()
        if opting_in:
            # their contracts without a term follow them into the notice rule
            self.env["sale.subscription"].search(
                [("template_id", "in", opting_in.ids), ("term_interval", "=", 0)]
            )._follow_template_term()
        return result

    def write_with_override(self, vals, override_reason):
        """``write(vals)`` with an amendment administrator's reason for what it
        does to the running contracts of these templates (a longer recurrence
        lowers what they are worth a month), logged on each of them; see
        ``sale.subscription.write_with_override``."""
        if not isinstance(override_reason, str) or not override_reason.strip():
            raise UserError(self.env._("Give the reason of the change."))
        return self.with_context(**{OVERRIDE: Override(override_reason.strip())}).write(
            vals
        )

    def _contract_recurrence(self):
        """What a contract's value reads of its template: ``(unit, interval)``
        (``sale.subscription._invariant_contract``)."""
        self.ensure_one()
        return self.recurring_rule_type, self.recurring_interval

    def _subscriptions(self):
        """Every subscription of these templates, archived ones included."""
        return (
            self.env["sale.subscription"]
            .sudo()
            .with_context(active_test=False)
            .search([("template_id", "in", self.ids)])
        )

    def _ensure_running_terms_access(self, vals):
        """The recurrence and term of a template that running contracts use are
        for amendment administrators: they are what those contracts are worth
        and when they renew."""
        if not set(vals) & (RECURRENCE_FIELDS | set(TERM_DEFAULTS)):
            return
        changed = self.filtered(
            lambda template: any(
                fname in vals
                and template._fields[fname].convert_to_cache(vals[fname], template)
                != template[fname]
                for fname in RECURRENCE_FIELDS | set(TERM_DEFAULTS)
            )
        )
        running = changed and self.env["sale.subscription"].sudo().with_context(
            active_test=False
        ).search([("template_id", "in", changed.ids), ("in_progress", "=", True)])
        if running and not self.env.user._is_amendment_admin(running.company_id):
            raise AccessError(
                self.env._(
                    "Only a subscription-amendment administrator of their companies "
                    "may change the recurrence or the contract term of a template "
                    "that running contracts use."
                )
            )

    def _ensure_term_access(self, vals, current):
        """Terms and notice days are set by subscription-amendment administrators."""
        if self.env.user._is_amendment_admin():
            return
        if any(
            fname in vals and (vals[fname] or TERM_DEFAULTS[fname]) != current[fname]
            for fname in TERM_DEFAULTS
        ):
            raise AccessError(
                self.env._(
                    "Only a subscription-amendment administrator may change the "
                    "contract term, the notice days or the reduction timing of a "
                    "subscription template."
                )
            )

    # -- renamed in 18.0.1.1.0 (readme/HISTORY.md) -------------------------------

    _check_term_access = deprecated_alias("_ensure_term_access")
