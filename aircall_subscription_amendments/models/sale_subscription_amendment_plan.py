# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""How an amendment is applied: lock, check, plan, write the lines.

Records in, plain values to ``..rules``, its plan back to records: the billed
periods come from the ledger (sale_subscription_ledger.py), the documents are
built beside ``account.move`` (account_move.py). ``_preview`` runs the same
checks and plan on an in-memory amendment, and writes nothing.
"""

import psycopg2.errors

from odoo import Command, api, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_compare, mute_logger
from odoo.tools.misc import clean_context, format_date

from .. import rules
from ..tools import (
    APPLY_CONTEXT,
    ConcurrentAmendmentError,
    company_days,
    company_today,
    deprecated_alias,
    format_quantity,
    internal,
)


class SaleSubscriptionAmendment(models.Model):
    # one model, split by job on purpose (README, Architecture)
    _inherit = "sale.subscription.amendment"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _preview(self, vals):
        """What ``create_and_apply(vals)`` would do, computed without writing.

        Returns a dict: ``amendment`` (an in-memory record), ``plan`` (the
        rules' plan, None when applying would fail), ``decision`` (the notice
        decision) and ``error`` (the message applying would raise, or False).
        """
        amendment = self.new(self._with_snapshots(vals))
        result = {"amendment": amendment, "plan": None, "decision": None}
        try:
            self._ensure_valid_input(vals)
            self._ensure_prepared_quantities(vals)
            result["plan"] = amendment._validate_and_plan()
        except (UserError, ValidationError, AccessError) as error:
            result["error"] = error.args[0]
            result["schedule_date"] = amendment._later_renewal_offer()
            return result
        result["error"] = False
        result["schedule_date"] = False
        result["decision"] = amendment.subscription_id._notice_decision(
            result["plan"].kind.value, amendment.request_date, amendment.effective_date
        )
        return result

    @api.model
    def _with_snapshots(self, vals):
        """``vals`` with each changed line's snapshot, as ``create`` takes it."""
        line_model = self.env["sale.subscription.amendment.line"]
        commands = []
        for command in vals.get("line_ids", []):
            if command[0] == Command.CREATE:
                line_vals = dict(command[2], old_quantity=0.0)
                if line_vals.get("subscription_line_id"):
                    line_vals.update(
                        line_model._snapshot_values(
                            self.env["sale.subscription.line"].browse(
                                line_vals["subscription_line_id"]
                            )
                        )
                    )
                    line_model._fill_new_price(
                        line_vals, line_vals["price_unit"], line_vals["discount"]
                    )
                command = Command.create(line_vals)
            commands.append(command)
        return dict(vals, line_ids=commands)

    @api.model
    def _ensure_prepared_quantities(self, vals):
        """``vals``' changed lines were prepared from the quantities the lines
        still have (the wizard sends the ``old_quantity`` it showed)."""
        for command in vals.get("line_ids", []):
            line_vals = command[2] if command[0] == Command.CREATE else {}
            if line_vals.get("subscription_line_id") and "old_quantity" in line_vals:
                self._ensure_prepared_from(
                    self.env["sale.subscription.line"].browse(
                        line_vals["subscription_line_id"]
                    ),
                    line_vals["old_quantity"],
                )

    @api.model
    def _ensure_prepared_from(self, subscription_line, old_quantity):
        """Refuse a change prepared from a quantity the line no longer has."""
        current = subscription_line.product_uom_qty
        if float_compare(current, old_quantity, precision_digits=6):
            raise UserError(
                self.env._(
                    "%(product)s changed since this amendment was prepared "
                    "(%(old)s, now %(current)s). Prepare a new amendment.",
                    product=subscription_line.product_id.display_name,
                    old=format_quantity(self.env, old_quantity),
                    current=format_quantity(self.env, current),
                )
            )

    # -- applying ------------------------------------------------------------

    def _apply(self, today=None):
        """Apply the amendments, all or nothing (one savepoint), or schedule
        those effective later. Each is judged on the lines the previous ones of
        the batch left: two amendments of a subscription never plan from the
        same quantities.

        ``today``: the day they are applied on (the cron's); by default, the
        day of each one's company. A draft is judged on that day: its request
        date becomes it, unless an administrator set it
        (``request_date_set``); a customer's request keeps the day it was sent,
        a scheduled amendment the day it was accepted.
        """
        if not self:
            return
        # what the amendment writes is its own: no default a client put in the
        # context (``default_discount``, ``default_journal_id``…) fills it
        amendments = self.with_env(self.env(context=clean_context(self.env.context)))
        documents = amendments.env["account.move"]
        notes = amendments.env["sale.subscription.notes"]
        days = company_days(amendments.company_id) if today is None else {}
        with amendments.env.cr.savepoint():
            amendments._lock_for_apply()
            amendments._prefetch_for_apply()
            applied, prepared = amendments.browse(), []
            for index, amendment in enumerate(amendments):
                day = days.get(amendment.company_id, today)
                amendment._date_request(day)
                if amendment.state == "requested":
                    amendment._follow_timing(later_only=True)
                # those scheduled before it in the batch freeze its lines; those
                # applied before it, or still to come, do not
                plan = amendment._validate_and_plan(
                    applied, applied | amendments[index:]
                )
                amendment._label_from_plan(plan)
                amendment._stamp_timing()
                if amendment._is_effective_later(day):
                    internal(amendment, APPLY_CONTEXT).write({"state": "scheduled"})
                    continue
                applied |= amendment
                amendment._apply_lines(plan)
                amendment.subscription_id._record_mrr_movements(
                    amendment.effective_date, amendment=amendment
                )
                prepared += documents._prepare_amendment_documents(amendment, plan)
            documents._create_amendment_documents(prepared)
            applied.invalidate_recordset(["move_ids"])
            notes._log_applied(applied)
            internal(applied, APPLY_CONTEXT).write({"state": "done"})

    def _label_from_plan(self, plan):
        """The stored type says what the plan found (the notice rule judged
        that, not the label)."""
        self.ensure_one()
        if self.amendment_type != plan.kind.value:
            internal(self, APPLY_CONTEXT).write({"amendment_type": plan.kind.value})

    def _lock_for_apply(self):
        """Serialize amendments of a subscription: lock its row, ours, and the
        documents of its periods from the effective date (an accountant's
        reset to draft or reversal waits, or this waits for it).

        A concurrent attempt gets a clear error instead of computing from the
        same old quantities or from documents being changed. ``FOR NO KEY
        UPDATE``: what an UPDATE of the rows takes, so it conflicts with another
        amendment's and with an accountant's changes, not with the key-share
        locks that PostgreSQL takes on a subscription while one of its invoices
        is posted (foreign key checks).
        """

        def lock(table, ids):
            if ids:
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM %s WHERE id IN %s FOR NO KEY UPDATE NOWAIT",
                        SQL.identifier(table),
                        tuple(ids),
                    )
                )

        busy = (psycopg2.errors.LockNotAvailable, psycopg2.errors.SerializationFailure)
        try:
            with mute_logger("odoo.sql_db"):
                lock("sale_subscription", self.subscription_id.ids)
                lock("sale_subscription_amendment", self.ids)
        except busy:
            raise ConcurrentAmendmentError(
                self.env._(
                    "This subscription is being amended by someone else. "
                    "Try again in a moment."
                )
            ) from None
        # read once the subscriptions are ours: no amendment adds to them now
        billing, credits = self.env["sale.subscription.ledger"]._documents(
            self.subscription_id, min(self.mapped("effective_date"))
        )
        try:
            with mute_logger("odoo.sql_db"):
                lock("account_move", (billing | credits).ids)
        except busy:
            raise ConcurrentAmendmentError(
                self.env._(
                    "The invoices of this subscription are being changed by someone "
                    "else (posted, reset to draft, reversed). Try again in a moment."
                )
            ) from None
        self.invalidate_recordset()
        self.line_ids.invalidate_recordset()
        self.subscription_id.sale_subscription_line_ids.invalidate_recordset()
        (billing | credits).invalidate_recordset()
        (billing | credits).invoice_line_ids.invalidate_recordset()

    def _prefetch_for_apply(self):
        """Read, in a few queries for the whole batch, what planning reads one
        amendment at a time."""
        self.line_ids.fetch(
            [
                "subscription_line_id",
                "old_quantity",
                "new_quantity",
                "price_unit",
                "discount",
                "new_price_unit",
                "new_discount",
            ]
        )
        self.subscription_id.sale_subscription_line_ids.fetch(
            ["product_id", "product_uom_qty", "price_unit", "discount"]
        )

    def _validate_and_plan(self, applied=None, batch=None):
        """Check everything, then ask the rules for the plan. Writes nothing.
        ``applied``: the amendments of the batch applied before this one;
        ``batch``: those of the batch that freeze nothing of it (the applied
        ones and those still to come)."""
        self.ensure_one()
        if self.state not in ("draft", "requested", "scheduled"):
            raise UserError(
                self.env._(
                    "Amendment %(name)s has already been applied, cancelled or refused.",
                    name=self.name,
                )
            )
        subscription = self.subscription_id
        if not subscription.in_progress:
            raise UserError(
                self.env._(
                    "%(subscription)s is not running: only a started, open "
                    "subscription can be amended.",
                    subscription=subscription.display_name,
                )
            )
        self._ensure_lines_valid()
        plan = self._plan()
        self._ensure_in_order(applied)
        self._ensure_not_frozen(batch)
        # the plan's kind, from the lines as they are: not a stored label; judged
        # against the renewal it must meet (the first on or after its effective
        # date)
        subscription._ensure_notice_accepts(
            plan.kind.value,
            self.request_date,
            self.override_reason,
            effective_date=self.effective_date,
        )
        return plan

    def _ensure_lines_valid(self):
        """What the lines' constraints cannot know before applying, in the
        user's words (the rules check again): each changed line is still on
        the contract, with the quantity it was prepared from; a new add-on has a price and is the
        subscription's company's."""
        subscription = self.subscription_id
        for line in self.line_ids:
            left = (
                line.subscription_line_id not in subscription.sale_subscription_line_ids
                if line.subscription_line_id
                else line.old_quantity
            )
            if left:
                # it changes a line that has left the contract since (another
                # amendment removed it): not a new add-on, nor nothing
                raise UserError(
                    self.env._(
                        "The %(product)s line this amendment was prepared for "
                        "(from %(old)s) is no longer on the contract: it was "
                        "removed since, and a line added later is another line. "
                        "Prepare a new amendment.",
                        product=line.product_id.display_name,
                        old=format_quantity(self.env, line.old_quantity),
                    )
                )
            if line.subscription_line_id:
                self._ensure_prepared_from(line.subscription_line_id, line.old_quantity)
                if line._reprices():
                    self._ensure_priced_from(line)
            elif line.price_unit <= 0 and line.new_quantity > 0:
                raise ValidationError(
                    self.env._(
                        "Set a unit price for the new add-on %(product)s.",
                        product=line.product_id.display_name,
                    )
                )
            if line.product_id.company_id and line.product_id.company_id != (
                subscription.company_id
            ):
                raise ValidationError(
                    self.env._(
                        "%(product)s belongs to another company.",
                        product=line.product_id.display_name,
                    )
                )

    def _plan(self):
        """The rules' plan for this amendment, from the ledger (no write)."""
        self.ensure_one()
        subscription = self.subscription_id
        periods = self.env["sale.subscription.ledger"]._billed_periods(
            subscription, self.effective_date, self._issue_date()
        )
        timing = self._timing_to_check()
        try:
            return rules.make_plan(
                self._old_rule_lines(),
                self._new_rule_lines(),
                self.effective_date,
                periods,
                request_date=self.request_date,
                contract_start=subscription.date_start,
                renewal_date=subscription._renewal_date_after(self.request_date),
                digits=self.currency_id.decimal_places,
                convention=self.company_id.amendment_proration_convention,
                cancel_renewal=self.cancel_renewal,
                price_digits=self.env["decimal.precision"].precision_get(
                    "Product Price"
                ),
                round_globally=(
                    self.company_id.tax_calculation_rounding_method == "round_globally"
                ),
                term=subscription._rule_term(),
                timing=timing,
                first_unbilled=(
                    self._first_unbilled()
                    if timing != rules.ReductionTiming.IMMEDIATE
                    else None
                ),
            )
        except rules.RuleError as error:
            raise self._rule_error(error) from error

    def _issue_date(self):
        """The day the amendment's documents are issued: today, the company's
        day (a document is never dated before the one it corrects:
        ``account.move._prepare_amendment_documents``)."""
        return company_today(self.company_id or self.subscription_id.company_id)

    def _rule_error(self, error):
        """A rules error, said in the user's language."""
        if error.field == "effective_date" and self.effective_date < self.request_date:
            return ValidationError(
                self.env._(
                    "The effective date %(effective)s is before the request date "
                    "%(request)s: a change takes effect on the day it is accepted at "
                    "the earliest (a draft is judged on the day it is applied). Set "
                    "the effective date to %(request)s or later.",
                    effective=format_date(self.env, self.effective_date),
                    request=format_date(self.env, self.request_date),
                )
            )
        timed = error.field == "effective_date" and self._timing_error()
        if timed:
            return timed
        if error.field == "effective_date":
            renewal = self.subscription_id._renewal_date_after(self.request_date)
            return ValidationError(
                self.env._(
                    "The effective date %(effective)s must lie between the request "
                    "date %(request)s (and the contract start %(start)s) and the "
                    "renewal date %(renewal)s, or be a later renewal date.",
                    effective=format_date(self.env, self.effective_date),
                    request=format_date(self.env, self.request_date),
                    start=format_date(self.env, self.subscription_id.date_start),
                    renewal=renewal and format_date(self.env, renewal) or "-",
                )
            )
        if error.field == "line_ids":
            return ValidationError(self.env._("This amendment changes nothing."))
        if error.field == "quantity":
            return ValidationError(
                self.env._("Quantities must be finite numbers, zero or more.")
            )
        if error.field == "price_unit":
            return ValidationError(
                self.env._("Every changed line needs a finite, positive unit price.")
            )
        return ValidationError(
            self.env._("Invalid amendment (%(detail)s).", detail=error.message)
        )

    def _subscription_line_for_key(self, key):
        """The subscription line behind a rules key (a new add-on's, once created)."""
        if isinstance(key, tuple):
            return self.line_ids.browse(key[1]).subscription_line_id
        # the keys are lines read under the lock, and none is deleted here (a
        # removed line is only detached from the subscription): no exists()
        # query per document line
        return self.env["sale.subscription.line"].browse(key)

    # -- renamed in 18.0.1.1.0 (readme/HISTORY.md) -------------------------------

    _check_prepared_quantities = deprecated_alias("_ensure_prepared_quantities")
    _check_lines = deprecated_alias("_ensure_lines_valid")
