# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A subscription template's contract term and notice days: administrators set
them; a template that gets a term brings its contracts under the notice rule.
A change of its recurrence changes its contracts' MRR: their movements are
recorded."""

from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..tools import TERM_UNITS, check_numbers, deprecated_alias, non_negative

#: what a template says about contract terms, and its values when it says nothing
TERM_DEFAULTS = {"term_interval": 0, "term_unit": "month", "notice_days": 0}
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
    user_is_amendment_admin = fields.Boolean(compute="_compute_user_is_amendment_admin")

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
        check_numbers(self, vals, ("term_interval", "notice_days"))
        for template in self:
            template._ensure_term_access(
                vals, {fname: template[fname] for fname in TERM_DEFAULTS}
            )
        opting_in = (
            self.filtered(lambda template: not template.term_interval)
            if vals.get("term_interval")
            else self.browse()
        )
        result = super().write(vals)
        if RECURRENCE_FIELDS & set(vals):
            # what a month of their contracts is worth changes
            self.env["sale.subscription"].sudo().with_context(active_test=False).search(
                [("template_id", "in", self.ids)]
            )._record_mrr_movements()
        if opting_in:
            # their contracts without a term follow them into the notice rule
            self.env["sale.subscription"].search(
                [("template_id", "in", opting_in.ids), ("term_interval", "=", 0)]
            )._follow_template_term()
        return result

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
                    "contract term or the notice days of a subscription template."
                )
            )

    # -- renamed in 18.0.1.1.0 (readme/HISTORY.md) -------------------------------

    _check_term_access = deprecated_alias("_ensure_term_access")
