# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Running contracts: no way around the notice rule, nor around the roles.

- Stopping a running contract or its renewal (closing it, a closed stage,
  archiving it, ``auto_renew`` off) is a cancellation: it obeys the notice
  period, or an administrator's late-change policy with a reason.
- Its lines change only through amendments (``sale_subscription_line.py`` asks
  ``_ensure_lines_through_amendments``); administrators' direct edits are logged.
- Its term, notice days and dates are the administrators'.

Every guard reads the values the records hold (defaults from the context
included), and only the addon's own code may skip one (internal context keys).
"""

from datetime import timedelta

from odoo import api, models
from odoo.exceptions import AccessError, UserError

from ..tools import (
    APPLY_CONTEXT,
    CANCELLATION_CHECKED,
    check_numbers,
    deprecated_alias,
    internal,
    is_internal,
    user_today,
)

#: fields only an amendment administrator may change on a running contract
TERM_FIELDS = ("term_interval", "term_unit", "notice_days")
#: and, once it has a term, what moves its renewal date
TERM_DATE_FIELDS = ("date_start", "date")
#: what ``write_with_override`` may write: the ways to stop a contract or its renewal
CANCELLATION_FIELDS = ("stage_id", "in_progress", "active", "auto_renew")
#: numbers checked as a client sent them
NUMBER_FIELDS = ("term_interval", "notice_days")


class SaleSubscription(models.Model):
    # one job per file (README, "Architecture"): the model is extended in several
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
        # only the addon's own code may skip it: the amendment path, and the
        # writes whose cancellation was checked just before
        if not (
            is_internal(self, APPLY_CONTEXT) or is_internal(self, CANCELLATION_CHECKED)
        ):
            self._ensure_not_stopped_late(vals)
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
                subscription._ensure_term_unchanged(values)
        return result

    def _term_values(self):
        self.ensure_one()
        return {
            "in_progress": self.in_progress,
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

    def _is_running_under_term(self):
        self.ensure_one()
        return bool(
            self.in_progress
            and self.stage_id.type == "in_progress"
            and self.term_interval > 0
        )

    def _ensure_not_stopped_late(self, vals, override_reason=False):
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
                subscription._ensure_cancellation_on_time(override_reason)

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
            self._ensure_not_stopped_late({"in_progress": False}, override_reason)
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
        self._ensure_not_stopped_late(vals, override_reason)
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

    def _ensure_cancellation_on_time(self, override_reason=False):
        """Stopping this running contract, or its renewal, today: a cancellation.

        Accepted on time, or late when ``_accepts_late_change(override_reason)``
        (logged in the chatter). On or after the renewal date (the renewal cron
        closes the contracts that do not renew) it cancels nothing.
        """
        self.ensure_one()
        today = user_today(self)
        if self._term_has_ended(today):
            return
        decision = self._ensure_notice_accepts("cancellation", today, override_reason)
        if not decision.accepted:
            self.env["sale.subscription.notes"]._log_late_cancellation(
                self, decision, override_reason
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
    _check_running_contract_change = deprecated_alias("_ensure_not_stopped_late")
    _check_cancellation = deprecated_alias("_ensure_cancellation_on_time")
    _check_direct_line_edit = deprecated_alias("_ensure_lines_through_amendments")
