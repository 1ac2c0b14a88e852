# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A subscription's monthly recurring revenue (MRR) and its movements.

``_record_mrr_movements`` is the one place that records them: it compares what
the subscription is worth now (``_mrr_now``, by ``rules.mrr``) with what its
movements recorded so far, and writes the movement between the two
(``rules.movement``). Every path that may change the MRR calls it after the
change: creating, starting, closing, archiving, reopening or editing a
subscription and its lines (dated today, a start at the start date), an
amendment (at its effective date, sale_subscription_amendment.py), the
renewal cron closing a contract not renewed (at the renewal date,
sale_subscription_cron.py), a template's recurrence edited
(sale_subscription_template.py).
"""

from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .. import rules
from ..tools import MRR_DEFERRED, USER_GROUP, company_days, internal, is_internal

#: what a subscription's MRR depends on, among its own fields: its running
#: state, its lines, its recurrence (template), its currency and the prices
#: and taxes subscription_oca recomputes from the partner and pricelist
MRR_FIELDS = frozenset(
    {
        "stage_id",
        "in_progress",
        "active",
        "template_id",
        "pricelist_id",
        "currency_id",
        "sale_subscription_line_ids",
        "partner_id",
        "fiscal_position_id",
        "company_id",
    }
)


class SaleSubscription(models.Model):
    # one job per file (README, "Architecture"): the model is extended in several
    _inherit = "sale.subscription"  # pylint: disable=consider-merging-classes-inherited

    mrr = fields.Monetary(
        string="MRR",
        compute="_compute_mrr",
        groups=USER_GROUP,
        help="Monthly recurring revenue: the recurring total without tax, "
        "normalised to a month, as its revenue movements recorded it (0 when the "
        "subscription does not run).",
    )
    mrr_movement_count = fields.Integer(
        string="Revenue movement count", compute="_compute_mrr", groups=USER_GROUP
    )

    def _compute_mrr(self):
        groups = self.env["sale.subscription.mrr.movement"]._read_group(
            [("subscription_id", "in", self._origin.ids)],
            groupby=["subscription_id", "currency_id"],
            aggregates=["delta:sum", "__count"],
        )
        totals, counts = {}, {}
        for subscription, currency, total, count in groups:
            totals[subscription, currency] = total
            counts[subscription] = counts.get(subscription, 0) + count
        for subscription in self:
            recorded = subscription._origin  # none for a subscription being created
            subscription.mrr = totals.get((recorded, subscription.currency_id), 0)
            subscription.mrr_movement_count = counts.get(recorded, 0)

    def action_view_mrr_movements(self):
        """The smart button: the contract's own revenue movements."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aircall_subscription_amendments.sale_subscription_mrr_movement_action"
        )
        action.update(
            domain=[("subscription_id", "=", self.id)],
            context={},  # its whole history, not only the last 12 months
            views=[(False, "list"), (False, "graph"), (False, "pivot")],
        )
        return action

    # -- what it is worth ----------------------------------------------------------

    def _mrr_running(self):
        """Whether its revenue counts: in progress and not archived (what
        subscription_oca's cron invoices)."""
        self.ensure_one()
        return bool(self.active and self.in_progress)

    def _mrr_now(self):
        """Its MRR now, in its currency (0 when it does not run), by ``rules.mrr``."""
        self.ensure_one()
        if not self._mrr_running():
            return rules.to_decimal(0)
        template = self.template_id
        try:
            return rules.mrr(
                [line._mrr_line() for line in self.sale_subscription_line_ids],
                template.recurring_rule_type,
                template.recurring_interval,
                self.currency_id.decimal_places,
            )
        except rules.RuleError as error:
            raise UserError(
                self.env._(
                    "The recurring revenue of %(subscription)s cannot be computed: "
                    "%(detail)s. Check the recurrence of the template %(template)s.",
                    subscription=self.display_name,
                    template=template.display_name,
                    detail=error.message,
                )
            ) from error

    # -- recording -----------------------------------------------------------------

    def _record_mrr_movements(self, date=None, was_running=None, amendment=None):
        """Record the change of these subscriptions' MRR since their last movement.

        ``date``: the day the change takes effect. None: today, except for a
        subscription that starts with this change (it did not run before, and
        has no movement yet: its start date) or stops at an end date it has
        reached (that end date). ``was_running``: {subscription: whether it ran
        before the change}, for those whose running state the change may have
        moved. ``amendment``: the amendment that made the change.

        No change, no row. A subscription whose currency changed sees its MRR
        leave the old currency and come in the new one (two rows).
        """
        subscriptions = self.sudo().with_context(active_test=False).exists()
        if not subscriptions:
            return self.env["sale.subscription.mrr.movement"]
        # one change at a time per subscription: what was recorded last is read
        # under the lock, so two transactions never both start from it
        self.env.cr.execute(
            SQL(
                "SELECT id FROM sale_subscription WHERE id IN %s FOR NO KEY UPDATE",
                tuple(subscriptions.ids),
            )
        )
        recorded = subscriptions._mrr_recorded()
        days = company_days(subscriptions.company_id)
        was_running = was_running or {}
        vals_list = []
        for subscription in subscriptions:
            before, currency, last_kind = recorded.get(
                subscription.id, (rules.to_decimal(0), None, None)
            )
            running = subscription._mrr_running()
            day = date or subscription._mrr_change_date(
                was_running.get(subscription, running),
                last_kind,
                days[subscription.company_id],
            )
            if currency and currency != subscription.currency_id.id:
                # its MRR leaves the old currency
                step = rules.movement(
                    before, rules.to_decimal(0), running=running, last_kind=last_kind
                )
                if step:
                    vals_list.append(
                        subscription._mrr_movement_values(
                            step,
                            day,
                            amendment,
                            self.env["res.currency"].browse(currency),
                        )
                    )
                    last_kind = step.kind
                before = rules.to_decimal(0)
            step = rules.movement(
                before, subscription._mrr_now(), running=running, last_kind=last_kind
            )
            if step:
                vals_list.append(
                    subscription._mrr_movement_values(step, day, amendment)
                )
        return self.env["sale.subscription.mrr.movement"]._record(vals_list)

    def _mrr_recorded(self):
        """{subscription id: (MRR after its last movement, its currency id, its
        kind)}, exact (``Decimal``)."""
        if not self:
            return {}
        self.env["sale.subscription.mrr.movement"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (subscription_id)
                       subscription_id, mrr_after::text, currency_id, kind
                  FROM sale_subscription_mrr_movement
                 WHERE subscription_id IN %s
              ORDER BY subscription_id, id DESC
                """,
                tuple(self.ids),
            )
        )
        return {
            # as text: Odoo's cursor reads numeric columns as floats
            row[0]: (Decimal(row[1]), row[2], row[3])
            for row in self.env.cr.fetchall()
        }

    def _mrr_change_date(self, was_running, last_kind, today):
        """The day a change made today takes effect, when no one says.

        A contract that starts (it did not run, it has no movement) starts on
        its start date; one that stops at an end date it has reached stops on
        that date; anything else is today's.
        """
        self.ensure_one()
        running = self._mrr_running()
        if running and not was_running and last_kind is None:
            return self.date_start or today
        if not running and was_running and self.date and self.date <= today:
            return self.date
        return today

    def _mrr_movement_values(self, step, day, amendment=None, currency=None):
        """The values of the movement ``step`` (a ``rules.Movement``) on ``day``,
        with what the subscription is on that day."""
        self.ensure_one()
        company = self.company_id
        currency = currency or self.currency_id
        delta = float(step.delta)
        return {
            "date": day,
            "kind": step.kind.value,
            "subscription_id": self.id,
            "amendment_id": amendment.id if amendment else False,
            "partner_id": self.partner_id.commercial_partner_id.id,
            "user_id": self.user_id.id,
            "company_id": company.id,
            "template_id": self.template_id.id,
            "currency_id": currency.id,
            "company_currency_id": company.currency_id.id,
            "mrr_before": float(step.mrr_before),
            "mrr_after": float(step.mrr_after),
            "delta": delta,
            "delta_company": currency._convert(
                delta, company.currency_id, company, day
            ),
        }

    # -- the changes made here ------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # the lines created with them are recorded once, with their subscription
        subscriptions = super(SaleSubscription, internal(self, MRR_DEFERRED)).create(
            vals_list
        )
        subscriptions = self.browse(subscriptions.ids)
        if not is_internal(self, MRR_DEFERRED):
            subscriptions._record_mrr_movements(
                was_running=dict.fromkeys(subscriptions, False)
            )
        return subscriptions

    def write(self, vals):
        if is_internal(self, MRR_DEFERRED) or not MRR_FIELDS & set(vals):
            return super().write(vals)
        was_running = {
            subscription: subscription._mrr_running()
            for subscription in self.with_context(active_test=False)
        }
        # lines written through the subscription are recorded once, with it
        result = super(SaleSubscription, internal(self, MRR_DEFERRED)).write(vals)
        self._record_mrr_movements(was_running=was_running)
        return result
