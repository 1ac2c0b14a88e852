# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""When an amendment takes effect: the reduction timing of its template
(``rules.ReductionTiming``), a change scheduled for a later renewal, and what
a scheduled change freezes.

The notice rule judges a change against the renewal it must meet, the first on
or after its effective date (``sale.subscription._renewal_to_meet``); a
reduction too late for the coming renewal is offered the next one it is on
time for (``_later_renewal_offer``). A template's timing sets the effective
date of its contracts' reductions (``_timed_effective_date``), checked by the
rules' plan until the amendment is accepted (``_timing_to_check``).
"""

import logging

from odoo import models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare
from odoo.tools.misc import format_date

from .. import rules
from ..tools import APPLY_CONTEXT, ConcurrentAmendmentError, internal

_logger = logging.getLogger(__name__)


class SaleSubscriptionAmendment(models.Model):
    # one model, split by job on purpose (README, Architecture)
    _inherit = "sale.subscription.amendment"  # pylint: disable=consider-merging-classes-inherited

    def _template_timing(self):
        """The reduction timing of the subscription's template."""
        self.ensure_one()
        return rules.ReductionTiming(
            self.subscription_id.template_id.reduction_timing or "immediate"
        )

    def _timing_to_check(self):
        """The timing the effective date is judged by: the template's, until
        the amendment is accepted; a scheduled one keeps the date it was
        scheduled with, whatever the template says now."""
        self.ensure_one()
        if self.state == "scheduled":
            return rules.ReductionTiming.IMMEDIATE
        return self._template_timing()

    def _first_unbilled(self):
        """The first day of the subscription not invoiced yet, from the
        request date on (the ledger: an invoice issued ahead counts); None
        when nothing is invoiced past the request date."""
        self.ensure_one()
        periods = self.env["sale.subscription.ledger"]._billed_periods(
            self.subscription_id, self.request_date
        )
        return max((period.next_start for period in periods), default=None)

    def _timed_effective_date(self):
        """The effective date the template's timing gives this amendment if
        it reduces the contract (None: the date asked stands)."""
        self.ensure_one()
        timing = self._timing_to_check()
        if (
            timing == rules.ReductionTiming.IMMEDIATE
            or not self._is_timed()
            or not (self.subscription_id and self.request_date)
        ):
            return None
        return rules.timed_effective_date(
            timing,
            request_date=self.request_date,
            renewal=self.subscription_id._renewal_date_after(self.request_date),
            first_unbilled=self._first_unbilled(),
            term=self.subscription_id._rule_term(),
        )

    def _is_timed(self):
        """The change lowers a line (a cancellation that does too): the
        template's timing applies to it."""
        self.ensure_one()
        return rules.is_timed(*self._quantities())

    def _stamp_timing(self):
        """Remember the timing a reduction was accepted under (what the
        customer is told: nothing credited)."""
        self.ensure_one()
        if self.state == "scheduled":
            return
        timing = (
            self._template_timing()
            if self._is_timed()
            else rules.ReductionTiming.IMMEDIATE
        )
        if self.reduction_timing != timing.value:
            internal(self, APPLY_CONTEXT).write({"reduction_timing": timing.value})

    def _timing_words(self):
        """How the template's reductions take effect, in words."""
        return {
            rules.ReductionTiming.IMMEDIATE: self.env._(
                "on their effective date, with a prorated credit note"
            ),
            rules.ReductionTiming.PERIOD_END: self.env._(
                "from the first billing period not invoiced yet, without a credit note"
            ),
            rules.ReductionTiming.RENEWAL: self.env._(
                "at the renewal date, without a credit note"
            ),
        }[self._template_timing()]

    def _follow_timing(self, later_only=False):
        """An amendment sent without an effective date takes the one its
        template's timing gives a reduction (today otherwise). ``later_only``:
        a customer's request confirmed after the period it would take effect
        in was invoiced moves to the first period not invoiced (it was on
        time when sent: the notice rule judges it again on its request date)."""
        self.ensure_one()
        timed = self._timed_effective_date()
        if timed and (
            timed > self.effective_date if later_only else timed != self.effective_date
        ):
            internal(self, APPLY_CONTEXT).write({"effective_date": timed})

    def _later_renewal_offer(self):
        """The renewal a reduction or cancellation the notice rule refuses is
        still on time for (False when it is not refused for being late): the
        account manager, or the customer, schedules it for that day."""
        self.ensure_one()
        subscription = self.subscription_id
        if (
            not subscription
            or not self.amendment_type
            or self.amendment_type == "upgrade"
            or not self.request_date
        ):
            return False
        decision = subscription._notice_decision(
            self.amendment_type, self.request_date, self.effective_date
        )
        if decision.accepted:
            return False
        later = subscription._first_renewal_meeting(self.request_date)
        return later if later and later > (self.effective_date or later) else False

    def _ensure_not_frozen(self, batch=None):
        """A scheduled change freezes what it changes until it is applied or
        cancelled: another amendment of one of its lines (or a second
        cancellation) is refused, naming it. ``batch``: the amendments applied
        together with this one (they are judged in their order)."""
        self.ensure_one()
        lines = self.line_ids.filtered(
            lambda line: (
                line.subscription_line_id
                and float_compare(
                    line.old_quantity, line.new_quantity, precision_digits=6
                )
            )
        ).subscription_line_id
        if not lines and not self.cancel_renewal:
            return
        scheduled = self.search(
            [
                ("subscription_id", "=", self.subscription_id.id),
                ("state", "=", "scheduled"),
                ("id", "not in", (self | (batch or self.browse())).ids),
            ],
            order="effective_date, id",
        )
        for other in scheduled:
            frozen = other.line_ids.subscription_line_id & lines
            if frozen or (self.cancel_renewal and other.cancel_renewal):
                raise UserError(
                    self.env._(
                        "%(what)s has a change scheduled by %(name)s, effective "
                        "%(date)s: cancel %(name)s first, or wait until it is "
                        "applied.",
                        what=frozen[:1].product_id.display_name
                        or self.subscription_id.display_name,
                        name=other.name,
                        date=format_date(self.env, other.effective_date),
                    )
                )

    def _timing_error(self):
        """The refusal of an effective date the template's timing does not
        give this reduction, or None."""
        self.ensure_one()
        timed = self._timed_effective_date()
        if not timed or self.effective_date == timed:
            return None
        return ValidationError(
            self.env._(
                "%(template)s: reductions take effect %(timing)s, here on "
                "%(timed)s (or on a later renewal date), not on %(effective)s. "
                "Set the effective date to %(timed)s; to upgrade at once, make "
                "the upgrade an amendment of its own.",
                template=self.subscription_id.template_id.display_name,
                timing=self._timing_words(),
                timed=format_date(self.env, timed),
                effective=format_date(self.env, self.effective_date),
            )
        )

    def _is_effective_later(self, today):
        """Effective after ``today``: scheduled, the daily cron applies it."""
        self.ensure_one()
        return self.effective_date > today

    def _cron_apply_scheduled(self, today):
        """Apply these scheduled amendments (the daily cron: their effective
        date has come), one by one in their order: one that cannot be applied
        any more (the contract closed, its lines changed) is noted on it and
        cancelled, rather than tried again every day; one that meets a
        concurrent change waits for the next run; the others are applied."""
        notes = self.env["sale.subscription.notes"]
        for amendment in self.sorted(lambda a: (a.effective_date, a.id)):
            try:
                amendment._apply(today)
            except ConcurrentAmendmentError as error:
                _logger.info("Amendment %s waits: %s", amendment.name, error)
            except (UserError, ValidationError) as error:
                _logger.warning("Amendment %s not applied: %s", amendment.name, error)
                notes._log_not_applied(amendment, today, error)
                internal(amendment, APPLY_CONTEXT).write({"state": "cancel"})

    def _ensure_in_order(self, applied=None):
        """An amendment is not effective before one already applied to its
        subscription (``applied``: those of the batch, not yet stored as
        done): planned from today's lines, a backdated change would bill or
        credit the days between as if they held since its effective date."""
        self.ensure_one()
        later = (applied or self.browse()).filtered(
            lambda other: (
                other.subscription_id == self.subscription_id
                and other.effective_date > self.effective_date
            )
        )
        if not later:
            later = self.search(
                [
                    ("subscription_id", "=", self.subscription_id.id),
                    ("state", "=", "done"),
                    ("effective_date", ">", self.effective_date),
                ],
                order="effective_date desc, id desc",
                limit=1,
            )
        if later:
            raise ValidationError(
                self.env._(
                    "%(subscription)s was amended by %(later)s effective %(day)s: "
                    "an amendment effective %(effective)s, before it, would be "
                    "planned as if today's lines held since then. Make it effective "
                    "on %(day)s or later, or cancel and redo the later change.",
                    subscription=self.subscription_id.display_name,
                    later=later[0].name,
                    day=format_date(self.env, later[0].effective_date),
                    effective=format_date(self.env, self.effective_date),
                )
            )
