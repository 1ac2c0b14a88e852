# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Running contracts: who may change what.

What a change does to a running contract (a lower value, a stop, a moved
renewal) is judged by its invariant (sale_subscription_invariant.py); here,
the roles:

- Its lines change only through amendments (``sale_subscription_line.py`` asks
  ``_ensure_lines_through_amendments``); administrators' direct edits are logged.
- Its lines keep their prices when subscription_oca would recompute them.
- Its term, notice days and dates are the administrators'.

Every guard reads the values the records hold (defaults from the context
included), and only the addon's own code may skip one (internal context keys).
"""

from datetime import timedelta

from odoo import api, models
from odoo.exceptions import AccessError, UserError

from ..tools import APPLY_CONTEXT, check_numbers, deprecated_alias, is_internal

#: fields only an amendment administrator may change on a running contract
TERM_FIELDS = ("term_interval", "term_unit", "notice_days")
#: and, once it has a term, what moves its renewal date
TERM_DATE_FIELDS = ("date_start", "date")
#: what a running contract's lines keep when subscription_oca would recompute them
KEPT_LINE_FIELDS = ("price_unit", "discount")
#: numbers checked as a client sent them
NUMBER_FIELDS = ("term_interval", "notice_days")


class SaleSubscription(models.Model):
    # one job per file (README, Architecture): sale_subscription.py has the fields
    _inherit = "sale.subscription"  # pylint: disable=consider-merging-classes-inherited

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if "date" in vals and not vals["date"]:
                # subscription_oca computes ``date`` and ``recurring_rule_boundary``
                # together: a given ``date`` (the form sends False for an unlimited
                # template) would leave the boundary unset, as if limited, and its
                # cron would then compare False with a date
                del vals["date"]
            check_numbers(self, vals, NUMBER_FIELDS)
        if self.env.user._is_amendment_admin():
            return super().create(vals_list)
        # checked on the values the records hold, defaults from the context included
        with self.env.cr.savepoint():
            subscriptions = super().create(vals_list)
            subscriptions._ensure_default_notice_days()
        return subscriptions

    def write(self, vals):
        check_numbers(self, vals, NUMBER_FIELDS)
        # subscription_oca recomputes the lines' prices and discounts from the
        # partner, the pricelist, the fiscal position and the company: a running
        # contract's lines keep theirs (a client may still write them)
        lines = self.filtered(
            lambda sub: sub._is_running_under_term()
        ).sale_subscription_line_ids
        kept = [lines._fields[name] for name in KEPT_LINE_FIELDS]
        # the term, notice days and dates of running contracts are for amendment
        # administrators
        if self.env.user._is_amendment_admin() or not (
            {"template_id", "company_id", *TERM_FIELDS, *TERM_DATE_FIELDS} & set(vals)
        ):
            with self.env.protecting(kept, lines):
                return super().write(vals)
        before = {subscription: subscription._term_values() for subscription in self}
        # checked on the values written (recomputed from a new template, say):
        # a refusal leaves nothing half-written
        with self.env.cr.savepoint(), self.env.protecting(kept, lines):
            result = super().write(vals)
            for subscription, values in before.items():
                subscription._ensure_term_unchanged(values)
        return result

    def _term_values(self):
        self.ensure_one()
        return {
            "in_progress": self.in_progress,
            "reduction_timing": self.template_id.reduction_timing,
            **{fname: self[fname] for fname in TERM_FIELDS + TERM_DATE_FIELDS},
        }

    def _ensure_default_notice_days(self):
        """A new contract's notice days may only be its default (non-admins)."""
        for subscription in self:
            default = self._default_notice_days(
                subscription.template_id, subscription.company_id
            )
            if subscription.notice_days != default:
                raise AccessError(self._notice_days_access_message())

    def _ensure_term_unchanged(self, before):
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
        if before["in_progress"] and (
            self.template_id.reduction_timing != before["reduction_timing"]
        ):
            changed.append("reduction_timing")
        if not changed:
            return
        if before["in_progress"]:
            raise AccessError(
                self.env._(
                    "Only a subscription-amendment administrator may change the "
                    "contract term, the start or end date, the notice days or the "
                    "reduction timing (its template's) of the running contract "
                    "%(subscription)s.",
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

    @api.ondelete(at_uninstall=False)
    def _unlink_except_running_contract(self):
        """Deleting a running contract stops it, leaving no trace: close it
        first (the notice period applies, an administrator's reason is logged)."""
        running = self.filtered(lambda sub: sub._is_running_under_term())
        if running:
            raise UserError(
                self.env._(
                    "%(subscription)s runs under a contract term and cannot be "
                    "deleted: close it instead (the notice period applies).",
                    subscription=running[0].display_name,
                )
            )

    def _term_has_ended(self, today):
        """The contract does not renew, and the end of its term has come: its
        end date, or the renewal date it was not renewed at, which the daily
        cron has not processed yet (the stored renewal date, the cron's
        bookkeeping, which no client writes: it counts only where it is a
        renewal date of the contract's terms).

        A contract that renews never ends here: after its renewal date it runs
        its next term, and stopping it is a cancellation of that term, which
        the notice rule judges.
        """
        self.ensure_one()
        if self.date:
            return self.date <= today
        if self.auto_renew:
            return False
        stored = self.renewal_date
        return bool(
            stored
            and stored <= today
            and self._renewal_date_after(stored - timedelta(days=1)) == stored
        )

    def _amended_only(self):
        """The running contracts whose lines change only through an amendment
        (none on the amendment path)."""
        if is_internal(self, APPLY_CONTEXT):
            return self.browse()
        return self.filtered(lambda subscription: subscription._is_running_under_term())

    def _ensure_lines_through_amendments(self):
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

    # -- renamed in 18.0.1.1.0 (readme/HISTORY.md) -------------------------------

    _check_default_notice_days = deprecated_alias("_ensure_default_notice_days")
    _check_term_change = deprecated_alias("_ensure_term_unchanged")
    _check_direct_line_edit = deprecated_alias("_ensure_lines_through_amendments")
