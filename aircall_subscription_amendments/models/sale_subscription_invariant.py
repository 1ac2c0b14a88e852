# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The invariant of a running contract under term, checked on what a change
does, wherever it comes from.

A running contract under term never loses value, never stops and never moves
its renewal except through the notice rule. Every change of a contract, of its
lines or of its template's recurrence is wrapped in ``_keeping_invariant``:
the contracts it touches are described before and after (``rules.contract``:
each line's monthly value, whether it runs and renews, its renewal date
computed from its terms, its currency and next invoice date), and
``rules.breaches`` says what the change did. What it did must be explained:

- an amendment being applied (the notice rule judged it);
- a stop or the end of the renewal that the notice rule accepts today, or on
  or after the renewal date (the renewal cron, subscription_oca's close);
- subscription_oca's invoicing moving the next invoice date, or an
  amendment administrator moving it;
- an amendment administrator's reason (``write_with_override``, the forms'
  *Override reason*), logged in the contract's chatter.

Anything else is refused, and nothing of the change is left. Which fields the
change wrote does not matter: a field added later is covered as well.
"""

from contextlib import contextmanager
from datetime import date
from typing import NamedTuple

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date

from .. import rules
from ..tools import (
    ADMIN_GROUP,
    APPLY_CONTEXT,
    DERIVED_WRITE,
    INVOICING,
    OVERRIDE,
    Override,
    company_days,
    derived_fields,
    ensure_no_derived_values,
    is_internal,
    override_reason,
)

#: context key of the ``InvariantScope`` of a change under way
INVARIANT_SCOPE = "aircall_invariant_scope"


class Watched(NamedTuple):
    """A contract as a change found it: its ``rules.Contract``, what stopping
    it would have been (``_cancellation_before``) and its lines' names."""

    subscription: models.BaseModel
    today: date
    contract: rules.Contract
    cancellation: rules.NoticeDecision | None
    names: dict


class InvariantScope:
    """The contracts a change under way is checked on, as they were before it
    (a context value: an object of this process). Nested changes (the lines
    written through their contract) add theirs, and the outermost one checks
    them all once the change is done."""

    def __init__(self):
        self.before = {}
        self.seen = set()
        self.days = {}

    def watch(self, subscriptions, recurrence=None):
        """Describe those of ``subscriptions`` running under a term now, unless
        already seen by this change (one that starts running during it was
        not under term before it). ``recurrence``: {template: (unit,
        interval)} to describe them with (a template's recurrence before it
        changed)."""
        new = subscriptions.filtered(lambda sub: sub.id not in self.seen)
        self.seen.update(new.ids)
        new = new.filtered(lambda sub: sub._is_running_under_term())
        if not new:
            return
        self.days.update(
            company_days(new.company_id.filtered(lambda c: c not in self.days))
        )
        # what the contract is, whoever looks (record rules hide nothing of it)
        new = new.sudo()
        new._prefetch_invariant()
        for subscription in new:
            today = self.days[subscription.company_id]
            self.before[subscription.id] = Watched(
                subscription=subscription,
                today=today,
                contract=subscription._invariant_contract(
                    today, (recurrence or {}).get(subscription.template_id)
                ),
                cancellation=subscription._cancellation_before(today),
                names={
                    line.id: line.product_id.display_name
                    for line in subscription.sale_subscription_line_ids
                },
            )


class SaleSubscription(models.Model):
    # one job per file (README, Architecture): sale_subscription.py has the fields
    _inherit = "sale.subscription"  # pylint: disable=consider-merging-classes-inherited

    override_reason = fields.Text(
        compute="_compute_override_reason",
        readonly=False,
        groups=ADMIN_GROUP,
        help="An amendment administrator's reason for a direct change that lowers "
        "what a running contract's customer pays, stops it or moves its renewal "
        "after its notice deadline. Logged in the chatter.",
    )

    def _compute_override_reason(self):
        # given with a change (``write`` takes it out of the values), never kept
        self.override_reason = False

    # -- the contract as the invariant sees it ------------------------------------

    def _is_running_under_term(self):
        """Running (in progress, not archived) with a contract term: what the
        notice rule protects. The subscription's own state, not its stage's
        type, which salesmen may edit."""
        self.ensure_one()
        return bool(self._mrr_running() and self.term_interval > 0 and self.date_start)

    def _prefetch_invariant(self):
        """Read what ``_invariant_contract`` reads, for all of these at once."""
        self.fetch(["template_id", "currency_id", "auto_renew", "date"])
        self.sale_subscription_line_ids.fetch(
            ["product_id", "product_uom_qty", "price_unit", "discount", "tax_ids"]
        )

    def _invariant_recurrence(self):
        """What the invariant reads from the template: its recurrence."""
        self.ensure_one()
        return self.template_id._contract_recurrence()

    @api.model
    def _check_recurrence_change(self, subscriptions, recurrence):
        """After a change of their templates: ``subscriptions`` kept the
        invariant, from what they were under ``recurrence`` ({template:
        (unit, interval)} before the change)."""
        scope = InvariantScope()
        scope.watch(subscriptions, recurrence)
        self._check_invariant(scope)

    def _invariant_contract(self, today, recurrence=None):
        """This contract as ``rules.contract`` describes it on ``today``
        (``recurrence``: another ``(unit, interval)`` than its template's)."""
        self.ensure_one()
        unit, interval = recurrence or self._invariant_recurrence()
        try:
            return rules.contract(
                running=self._mrr_running(),
                renews=self.auto_renew and not self.date,
                renewal=self._renewal_date_after(today),
                lines=[line._mrr_line() for line in self.sale_subscription_line_ids],
                unit=unit,
                interval=interval,
                currency=self.currency_id.id,
                next_invoice=self.recurring_next_date,
                taxes={
                    line.id: tuple(sorted(line.tax_ids.ids))
                    for line in self.sale_subscription_line_ids
                },
            )
        except rules.RuleError as error:
            raise UserError(
                self.env._(
                    "What %(subscription)s is worth cannot be computed: %(detail)s. "
                    "Check the recurrence of the template %(template)s.",
                    subscription=self.display_name,
                    template=self.template_id.display_name,
                    detail=error.message,
                )
            ) from error

    # -- the check ----------------------------------------------------------------

    @contextmanager
    def _keeping_invariant(self, recurrence=None):
        """Make the change inside on these contracts, then check that each of
        them running under a term kept the invariant; a refusal leaves nothing
        of the change. Yields the records to change (their context carries the
        scope, so that nested changes are checked with this one)."""
        scope = self.env.context.get(INVARIANT_SCOPE)
        if isinstance(scope, InvariantScope):
            scope.watch(self, recurrence)
            yield self
            return
        if is_internal(self, APPLY_CONTEXT):
            # an amendment being applied: the notice rule judged it
            yield self
            return
        scope = InvariantScope()
        scope.watch(self, recurrence)
        scoped = self.with_context(**{INVARIANT_SCOPE: scope})
        if not scope.before:
            yield scoped
            self._check_invariant(scope)
            return
        with self.env.cr.savepoint():
            yield scoped
            self._check_invariant(scope)

    @api.model
    def _check_invariant(self, scope):
        """Refuse what the change did to the contracts of ``scope`` that nothing
        explains; log what an administrator's reason explains."""
        for watched in scope.before.values():
            subscription = watched.subscription.with_env(self.env).sudo()
            if not subscription.exists():
                continue  # deleted: its own guard judged it
            # its lines as they are now, read again: a line moved or hidden
            subscription.invalidate_recordset(["sale_subscription_line_ids"])
            after = subscription._invariant_contract(watched.today)
            found = rules.breaches(watched.contract, after)
            if found.kinds & rules.CANCELLATIONS and watched.cancellation is None:
                found = found.without(*rules.CANCELLATIONS)
            found = subscription._unexplained(found)
            if found:
                subscription._overridden(found, watched, after)

    def _unexplained(self, found):
        """What of ``found`` (``rules.Breaches``) the caller or the user's role
        does not explain."""
        self.ensure_one()
        if rules.Breach.BILLING_DATE in found and is_internal(self, INVOICING):
            found = found.without(rules.Breach.BILLING_DATE)
        # an administrator moves the next invoice date and changes taxes (a new
        # rate, a fiscal position) without a reason: neither lowers the value
        if self.env.user._is_amendment_admin(self.company_id):
            found = found.without(rules.Breach.BILLING_DATE, rules.Breach.TAXES)
        return found

    def _cancellation_before(self, today):
        """What stopping this contract or its renewal ``today`` would be, as it
        is before a change: None when nothing is cancelled (on or after its
        renewal date: the renewal cron, the close at an end date) or the
        notice rule accepts it; else the notice rule's refusal."""
        self.ensure_one()
        if self._term_has_ended(today):
            return None
        decision = self._notice_decision("cancellation", today)
        return None if decision.accepted else decision

    def _overridden(self, found, watched, after):
        """Accept ``found`` with an amendment administrator's reason, logged
        (``_accepts_late_change`` refuses anyone else), or refuse it."""
        self.ensure_one()
        reason = override_reason(self)
        if not self._accepts_late_change(reason):
            raise UserError(self._invariant_refusal_message(found, watched, after))
        notes = self.env["sale.subscription.notes"]
        if found.kinds & rules.CANCELLATIONS:
            notes._log_late_cancellation(self, watched.cancellation, reason)
            found = found.without(*rules.CANCELLATIONS)
        if found:
            notes._log_override(
                self, self._invariant_changes(found, watched, after), reason
            )

    def _invariant_changes(self, found, watched, after):
        """What ``found`` says, in the user's words: one sentence a breach."""
        self.ensure_one()
        env = self.env
        before = watched.contract

        def day(value):
            return format_date(env, value) if value else env._("none")

        def amount(value):
            return self.currency_id.format(float(value))

        texts = []
        for key, old, new in found.lowered:
            texts.append(
                env._(
                    "%(line)s is worth %(new)s a month instead of %(old)s",
                    line=watched.names.get(key)
                    or self.env["sale.subscription.line"]
                    .browse(key)
                    .exists()
                    .product_id.display_name,
                    old=amount(old),
                    new=amount(new),
                )
            )
        sentences = {
            rules.Breach.STOPPED: env._("it stops the contract"),
            rules.Breach.NOT_RENEWING: env._("the contract no longer renews"),
            rules.Breach.EARLIER_RENEWAL: env._(
                "the renewal date moves from %(old)s to %(new)s",
                old=day(before.renewal),
                new=day(after.renewal),
            ),
            rules.Breach.LATER_RENEWAL: env._(
                "the renewal date moves from %(old)s to %(new)s",
                old=day(before.renewal),
                new=day(after.renewal),
            ),
            rules.Breach.CURRENCY: env._("the contract changes currency"),
            rules.Breach.BILLING_DATE: env._(
                "the next invoice date moves from %(old)s to %(new)s",
                old=day(before.next_invoice),
                new=day(after.next_invoice),
            ),
            rules.Breach.TAXES: env._("the taxes of its lines change"),
        }
        texts += [
            sentences[kind]
            for kind in rules.Breach
            if kind in found and kind is not rules.Breach.LOWER_VALUE
        ]
        return texts

    def _invariant_refusal_message(self, found, watched, after):
        """Why the change is refused: what it does, and the way that is open."""
        self.ensure_one()
        message = self.env._(
            "%(subscription)s runs under its contract term, and this change "
            "lowers what its customer pays, stops it or moves its renewal: "
            "%(changes)s.",
            subscription=self.display_name,
            changes="; ".join(self._invariant_changes(found, watched, after)),
        )
        if found.kinds & rules.CANCELLATIONS:
            message += " " + self._notice_refusal_message(watched.cancellation)
        if self.env.user._is_amendment_admin(self.company_id):
            return (
                message
                + " "
                + self.env._(
                    "As an administrator, you may make it with a reason (Override "
                    "reason), which is logged."
                )
            )
        return (
            message
            + " "
            + self.env._(
                "Reductions and cancellations go through an amendment (the Amend "
                "button), which obeys the notice period."
            )
        )

    # -- the changes made here ------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        ensure_no_derived_values(self, vals_list)
        return super().create(vals_list)

    def write(self, vals):
        ensure_no_derived_values(self, [vals], writing=True)
        if "override_reason" in vals:
            vals = dict(vals)
            reason = vals.pop("override_reason")
            if reason:
                return self.write_with_override(vals, reason)
        if is_internal(self, DERIVED_WRITE) and set(vals) <= derived_fields(self):
            # the addon's bookkeeping (derived values only): no meaning changes
            return super().write(vals)
        with self._keeping_invariant() as subscriptions:
            return super(SaleSubscription, subscriptions).write(vals)

    def write_with_override(self, vals, override_reason):
        """``write(vals)`` with an amendment administrator's reason for what it
        does to running contracts that the invariant would refuse: a lower
        value, a stop or an end of renewal after the notice deadline, a moved
        renewal or next invoice date, another currency. The reason is logged
        on each contract it was needed for; for anyone else, or without a
        reason, the change is refused as ``write`` refuses it.
        """
        if not isinstance(override_reason, str) or not override_reason.strip():
            raise UserError(self.env._("Give the reason of the change."))
        return self.with_context(**{OVERRIDE: Override(override_reason.strip())}).write(
            vals
        )

    def close_subscription(self, close_reason_id=False, override_reason=False):
        """subscription_oca's close, a cancellation: it obeys the notice period.

        ``override_reason``: an amendment administrator's reason to close a
        running contract after its notice deadline (logged in its chatter).
        Returns True (subscription_oca returns None, which XML-RPC cannot send).
        """
        target = self
        if override_reason:
            target = self.with_context(**{OVERRIDE: Override(override_reason)})
        # its steps (no next invoice date, then the closed stage) are one change
        with target._keeping_invariant() as subscriptions:
            super(SaleSubscription, subscriptions).close_subscription(close_reason_id)
        return True
