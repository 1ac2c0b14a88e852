# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""One change applied to many contracts, by jobs: the bulk amendment.

Confirming it enqueues one job per chunk of ``CHUNK`` contracts. Each job
amends each of its contracts through the main addon's ``create_and_apply``
(the same rules as one by one: the notice rule, the documents), each in a
savepoint, and records one result per contract. Results are the only thing a
job writes: parallel jobs never write the bulk amendment itself, whose counts
are computed from its results.
"""

import logging

import psycopg2.errors

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, mute_logger
from odoo.tools.misc import format_date

from odoo.addons.aircall_subscription_amendments import rules
from odoo.addons.aircall_subscription_amendments.tools import (
    ConcurrentAmendmentError,
    company_today,
    rule_today,
)
from odoo.addons.queue_job.exception import RetryableJobError

_logger = logging.getLogger(__name__)

#: contracts per job
CHUNK = 100
#: runs of a job before it fails: a held contract is retried after 10 s four times,
#: then every minute (the job functions' retry pattern), about 6 minutes in all
MAX_RETRIES = 10
#: what a job records for a contract
RESULT_STATES = [
    ("applied", "Applied"),
    ("refused", "Refused"),
    ("unchanged", "Unchanged"),
    ("failed", "Failed"),
]


def connection_lost(error):
    """Whether ``error`` says the job's database connection is gone (a failover,
    a ``pg_terminate_backend``, a server restart): nothing the job did is
    committed, so it must run again, not fail. psycopg2 raises an
    ``OperationalError`` without an SQL state when the server closes the
    connection, one of class 08 (connection) or 57 (operator intervention) when
    it says why, and an ``InterfaceError`` for every use of the dead connection
    after that."""
    if isinstance(error, psycopg2.InterfaceError):
        return True
    return isinstance(error, psycopg2.OperationalError) and (
        error.pgcode is None or error.pgcode[:2] in ("08", "57")
    )


class SaleSubscriptionAmendmentBulk(models.Model):
    _name = "sale.subscription.amendment.bulk"
    _description = "Bulk amendment"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Reference", readonly=True, copy=False, default="/", required=True
    )
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        default=lambda self: self.env.company,
        readonly=True,
    )
    subscription_ids = fields.Many2many(
        comodel_name="sale.subscription",
        string="Subscriptions",
        check_company=True,
        help="The contracts to amend.",
    )
    subscription_count = fields.Integer(compute="_compute_counts")
    effective_date = fields.Date(
        required=True,
        default=lambda self: rule_today(self),
        help="The first day the change applies, on every contract.",
    )
    operation_ids = fields.One2many(
        comodel_name="sale.subscription.amendment.bulk.operation",
        inverse_name="bulk_id",
        string="Operations",
    )
    state = fields.Selection(
        selection=[("draft", "Draft"), ("running", "Running")],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        help="Running once confirmed: its jobs amend the contracts; the results "
        "say which are done.",
    )
    result_ids = fields.One2many(
        comodel_name="sale.subscription.amendment.bulk.result",
        inverse_name="bulk_id",
        string="Results",
        readonly=True,
    )
    applied_count = fields.Integer(compute="_compute_counts")
    refused_count = fields.Integer(compute="_compute_counts")
    unchanged_count = fields.Integer(
        compute="_compute_counts",
        help="Contracts the operations leave as they are (e.g. already at that "
        "quantity).",
    )
    failed_count = fields.Integer(compute="_compute_counts")
    pending_count = fields.Integer(
        compute="_compute_counts", help="Contracts no job has run yet."
    )
    preview_html = fields.Html(
        string="Preview",
        compute="_compute_preview_html",
        sanitize=False,
        help="What confirming will do, contract by contract, computed now.",
    )

    @api.depends("subscription_ids", "result_ids.state")
    def _compute_counts(self):
        counts = {
            (bulk.id, state): count
            for bulk, state, count in self.env[
                "sale.subscription.amendment.bulk.result"
            ]._read_group(
                [("bulk_id", "in", self.ids)],
                groupby=["bulk_id", "state"],
                aggregates=["__count"],
            )
        }
        for bulk in self:
            bulk.subscription_count = len(bulk.subscription_ids)
            bulk.applied_count = counts.get((bulk.id, "applied"), 0)
            bulk.refused_count = counts.get((bulk.id, "refused"), 0)
            bulk.unchanged_count = counts.get((bulk.id, "unchanged"), 0)
            bulk.failed_count = counts.get((bulk.id, "failed"), 0)
            bulk.pending_count = bulk.subscription_count - sum(
                counts.get((bulk.id, state), 0) for state, _label in RESULT_STATES
            )

    @api.model
    def default_get(self, fields_list):
        """The contracts selected in the list: its ids, or its domain when the
        whole list is selected (more records than the ids it sends)."""
        values = super().default_get(fields_list)
        context = self.env.context
        if "subscription_ids" in fields_list and (
            context.get("active_model") == "sale.subscription"
        ):
            subscriptions = self.env["sale.subscription"]
            if context.get("active_domain") is not None:
                subscriptions = subscriptions.search(context["active_domain"])
            else:
                subscriptions = subscriptions.browse(context.get("active_ids") or [])
            values["subscription_ids"] = [Command.set(subscriptions.ids)]
        return values

    @api.model_create_multi
    def create(self, vals_list):
        self.env["sale.subscription.amendment"]._ensure_amendment_user()
        for vals in vals_list:
            if vals.get("state", "draft") != "draft":
                raise UserError(
                    self.env._("A bulk amendment is created as a draft; confirm it.")
                )
        bulks = super().create(vals_list)
        for bulk in bulks:
            bulk.name = (
                self.env["ir.sequence"].next_by_code("sale.subscription.amendment.bulk")
                or "/"
            )
        return bulks

    def _ensure_draft(self):
        if any(bulk.state != "draft" for bulk in self):
            raise UserError(self.env._("Only a draft bulk amendment can change."))

    def write(self, vals):
        if "state" in vals:
            raise UserError(
                self.env._("A bulk amendment starts running when it is confirmed.")
            )
        if set(vals) - {"message_main_attachment_id"}:
            self._ensure_draft()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_running(self):
        """A running bulk amendment keeps its results: its jobs record them."""
        self._ensure_draft()

    # -- what it does to each contract ---------------------------------------------

    def _amendment_values(self, subscription):
        """The values of ``subscription``'s amendment (``create_and_apply``)."""
        self.ensure_one()
        changes, added, cancel = {}, [], False
        for operation in self.operation_ids:
            lines = subscription.sale_subscription_line_ids.filtered(
                lambda line, op=operation: line.product_id == op.product_id
            )
            for line in lines:
                change = changes.setdefault(line, {})
                if operation.action == "set_quantity":
                    change["new_quantity"] = operation.quantity
                elif operation.action == "remove":
                    change["new_quantity"] = 0.0
                elif operation.action == "set_price":
                    change.update(
                        new_price_unit=operation.price_unit,
                        new_discount=operation.discount,
                    )
            if operation.action == "add" and not lines:
                added.append(operation)
            elif operation.action == "cancel_renewal":
                cancel = True
        return {
            "subscription_id": subscription.id,
            "effective_date": self.effective_date,
            "cancel_renewal": cancel,
            "line_ids": [
                Command.create(
                    {
                        "subscription_line_id": line.id,
                        **change,
                        "new_quantity": change.get(
                            "new_quantity", line.product_uom_qty
                        ),
                    }
                )
                for line, change in changes.items()
                if self._changes_line(line, change)
            ]
            + [
                Command.create(
                    {
                        "product_id": operation.product_id.id,
                        "new_quantity": operation.quantity,
                        "price_unit": operation.price_unit,
                    }
                )
                for operation in added
            ],
        }

    @api.model
    def _changes_line(self, line, change):
        """Whether ``change`` (new quantity, price, discount) changes ``line``."""
        return (
            change.get("new_quantity", line.product_uom_qty),
            change.get("new_price_unit", line.price_unit),
            change.get("new_discount", line.discount),
        ) != (line.product_uom_qty, line.price_unit, line.discount)

    def _forecast(self, subscription, today=None):
        """What confirming would do to ``subscription`` on ``today`` (by
        default, its company's day): (kind, accepted), kind None when it
        changes nothing. The kind by value, as the amendment judges it."""
        values = self._amendment_values(subscription)
        old, new = {}, {}
        for line in subscription.sale_subscription_line_ids:
            old[line.id] = new[line.id] = line._rule_line()
        for index, (_command, _id, line_values) in enumerate(values["line_ids"]):
            key = line_values.get("subscription_line_id") or ("new", index)
            line = subscription.sale_subscription_line_ids.browse(key)
            new[key] = rules.Line(
                key,
                None,
                rules.to_decimal(line_values["new_quantity"]),
                rules.to_decimal(
                    line_values.get("new_price_unit")
                    or line_values.get("price_unit")
                    or (line.price_unit if isinstance(key, int) else 0)
                ),
                rules.to_decimal(
                    line_values.get(
                        "new_discount", line.discount if isinstance(key, int) else 0
                    )
                ),
            )
        kind = rules.classify(*rules.value_deltas(old, new), values["cancel_renewal"])
        if kind is rules.AmendmentKind.NOOP:
            return None, False
        today = today or company_today(subscription.company_id)
        return kind, subscription._notice_decision(kind, today).accepted

    @api.depends(
        "subscription_ids",
        "effective_date",
        "operation_ids.action",
        "operation_ids.product_id",
        "operation_ids.quantity",
        "operation_ids.price_unit",
        "operation_ids.discount",
    )
    def _compute_preview_html(self):
        for bulk in self:
            rows = []
            for operation in bulk.operation_ids:
                touched = bulk.subscription_ids.filtered(operation._touches)
                refused = sum(
                    1 for subscription in touched if not bulk._forecast(subscription)[1]
                )
                rows.append((operation._summary(), len(touched), refused))
            forecasts = [bulk._forecast(sub) for sub in bulk.subscription_ids]
            summary = self.env._(
                "Effective %(date)s: %(changed)s of the %(total)s contract(s) change; "
                "the notice rule refuses %(refused)s of them.",
                date=format_date(self.env, bulk.effective_date),
                changed=sum(1 for kind, _ok in forecasts if kind),
                total=len(bulk.subscription_ids),
                refused=sum(1 for kind, ok in forecasts if kind and not ok),
            )
            bulk.preview_html = self.env["ir.qweb"]._render(
                "aircall_subscription_amendments_queue.bulk_preview",
                {"rows": rows, "summary": summary},
            )

    # -- confirming: the jobs ------------------------------------------------------

    def action_confirm(self):
        """Start the jobs, once: the row is locked (``NOWAIT``: a double click
        fails at once), the state moves from draft to running, and each chunk's
        job has an identity key of its own."""
        self.ensure_one()
        self.env["sale.subscription.amendment"]._ensure_amendment_user()
        self.check_access("write")
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM %s WHERE id = %s FOR NO KEY UPDATE NOWAIT",
                        SQL.identifier(self._table),
                        self.id,
                    )
                )
        except psycopg2.errors.LockNotAvailable:
            raise UserError(
                self.env._("This bulk amendment is being confirmed already.")
            ) from None
        self.invalidate_recordset(["state"])
        if self.state != "draft":
            raise UserError(self.env._("This bulk amendment was confirmed already."))
        if not self.operation_ids or not self.subscription_ids:
            raise UserError(
                self.env._("Choose the contracts and at least one operation.")
            )
        super().write({"state": "running"})
        subscriptions = self.subscription_ids
        for index in range(0, len(subscriptions), CHUNK):
            chunk = subscriptions[index : index + CHUNK]
            self.with_delay(
                description=self.env._(
                    "%(bulk)s: %(count)s contract(s)", bulk=self.name, count=len(chunk)
                ),
                max_retries=MAX_RETRIES,
                identity_key=f"aircall-bulk-{self.id}-{index}",
            )._run_chunk(chunk.ids)
        self.message_post(
            body=self.env._(
                "Confirmed: %(count)s contract(s) in %(jobs)s job(s).",
                count=len(subscriptions),
                jobs=-(-len(subscriptions) // CHUNK),
            )
        )
        return True

    def _run_chunk(self, subscription_ids):
        """A job: amend those of ``subscription_ids`` that have no result yet.

        A contract held by someone else makes the whole job retry later
        (``RetryableJobError``: what it did is rolled back, and done again), and
        so does a lost database connection. An unexpected error enqueues the
        chunk again, one job per contract, so that only the faulty one fails.

        Whatever a try did is committed with the job or not at all: a try that
        dies (a killed worker, a dropped connection) leaves no result, and the
        next one skips the contracts an earlier committed try recorded.
        """
        self.ensure_one()
        for subscription in self._without_result(subscription_ids):
            try:
                self._amend_one(subscription)
            except ConcurrentAmendmentError as error:
                raise RetryableJobError(str(error)) from error
            except Exception as error:
                if connection_lost(error):
                    raise RetryableJobError(
                        f"database connection lost: {error}"
                    ) from error
                _logger.exception(
                    "%s: unexpected error on %s: one job per contract",
                    self.name,
                    subscription.display_name,
                )
                for single in self._without_result(subscription_ids):
                    self.with_delay(
                        max_retries=MAX_RETRIES,
                        identity_key=f"aircall-bulk-{self.id}-one-{single.id}",
                    )._run_one(single.id)
                return True
        return True

    def _run_one(self, subscription_id):
        """A job: amend one contract (the chunk it was in met an unexpected
        error). Its own unexpected error is recorded as its result: failed."""
        self.ensure_one()
        for subscription in self._without_result([subscription_id]):
            try:
                self._amend_one(subscription)
            except ConcurrentAmendmentError as error:
                raise RetryableJobError(str(error)) from error
            except Exception as error:
                if connection_lost(error):
                    raise RetryableJobError(
                        f"database connection lost: {error}"
                    ) from error
                _logger.exception("%s: %s failed", self.name, subscription.display_name)
                self._record(subscription, "failed", message=repr(error))
        return True

    def _without_result(self, subscription_ids):
        done = self.result_ids.subscription_id
        return self.env["sale.subscription"].browse(subscription_ids) - done

    def _amend_one(self, subscription):
        """Amend ``subscription`` in a savepoint and record what happened; a
        refusal (the notice rule, an access rule) is a result, not an error, and
        so is a contract the operations leave as it is. Concurrency and
        unexpected errors propagate."""
        self._hold(subscription)
        try:
            with self.env.cr.savepoint():
                if self._forecast(subscription)[0] is None:
                    self._record(subscription, "unchanged")
                    return
                amendment = self.env["sale.subscription.amendment"].create_and_apply(
                    self._amendment_values(subscription)
                )
        except ConcurrentAmendmentError:
            raise
        except (UserError, ValidationError, AccessError) as error:
            self._record(subscription, "refused", message=str(error.args[0]))
            return
        self._record(subscription, "applied", amendment=amendment)

    def _hold(self, subscription):
        """Hold ``subscription`` for this job's transaction, or raise
        ``ConcurrentAmendmentError`` at once if another transaction holds it
        (``NOWAIT``): a user applying an amendment, a ``SELECT … FOR UPDATE``.
        Without it, the job would wait behind a ``FOR UPDATE`` as long as it is
        held (the amendment's insert checks its foreign key on the contract),
        instead of retrying later."""
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM sale_subscription WHERE id = %s "
                        "FOR NO KEY UPDATE NOWAIT",
                        subscription.id,
                    )
                )
        except psycopg2.errors.LockNotAvailable:
            raise ConcurrentAmendmentError(
                self.env._(
                    "This subscription is being amended by someone else. "
                    "Try again in a moment."
                )
            ) from None

    def _record(self, subscription, state, message=False, amendment=False):
        """A job's one write: a contract's result (sudo: users only read them)."""
        self.env["sale.subscription.amendment.bulk.result"].sudo().create(
            {
                "bulk_id": self.id,
                "subscription_id": subscription.id,
                "state": state,
                "message": message,
                "amendment_id": amendment and amendment.id,
            }
        )

    def action_view_results(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Results of %(bulk)s", bulk=self.name),
            "res_model": "sale.subscription.amendment.bulk.result",
            "view_mode": "list,form",
            "domain": [("bulk_id", "=", self.id)],
            "context": {"create": False},
        }
