# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The revenue movements of subscriptions that existed before they were recorded.

What the install hook and the upgrade to 18.0.1.2.0 run (``_adopt``): for each
subscription that ran and has no movement yet, its start, its done amendments
and its close are replayed through ``rules.replay``:

- the lines before each amendment are today's lines with the later amendments
  undone (each changed line back to its old quantity), at today's prices and
  recurrence: a direct edit made before is counted in the start;
- the start is dated the start date, each amendment its effective date;
- a subscription that no longer runs churns on the day its stage last changed
  (the chatter's tracking), else its end date, else the day it was last
  written. Earlier closings and reopenings are not replayed.

The sum of each subscription's deltas is its MRR today, exactly.
"""

import logging

from odoo import api, fields, models
from odoo.tools import SQL

from .. import rules

_logger = logging.getLogger(__name__)


class SaleSubscriptionMrrHistory(models.AbstractModel):
    _name = "sale.subscription.mrr.history"
    _description = "Revenue movements of existing subscriptions"

    @api.model
    def _adopt(self, subscriptions=None):
        """Record the history of the subscriptions (default: all) that have no
        revenue movement yet. Returns the movements made."""
        model = self.env["sale.subscription"].sudo().with_context(active_test=False)
        subscriptions = (
            model.search([])
            if subscriptions is None
            else model.browse(subscriptions.ids)
        )
        recorded = subscriptions._mrr_recorded()
        todo = subscriptions.filtered(lambda sub: sub.id not in recorded)
        stopped = self._stage_change_dates(
            todo.filtered(lambda sub: not sub._mrr_running())
        )
        vals_list = []
        for subscription in todo:
            vals_list += self._replay(subscription, stopped.get(subscription.id))
        movements = self.env["sale.subscription.mrr.movement"]._record(vals_list)
        _logger.info(
            "Subscription amendments: %s revenue movement(s) recorded for %s "
            "subscription(s) without any",
            len(movements),
            len(todo),
        )
        return movements

    @api.model
    def _replay(self, subscription, stopped_on=None):
        """The values of the movements of ``subscription``'s past (see the
        module's docstring)."""
        if not self._has_run(subscription):
            return []
        template = subscription.template_id
        today = fields.Date.context_today(subscription)
        start = subscription.date_start or subscription.create_date.date()
        done = subscription.amendment_ids.filtered(
            lambda amendment: amendment.state == "done"
        ).sorted(lambda amendment: (amendment.effective_date, amendment.id))
        # from today's lines back: the lines before each amendment
        quantities = {
            line: line.product_uom_qty
            for line in subscription.sale_subscription_line_ids
        }
        after = [dict(quantities)]
        for amendment in reversed(done):
            for change in amendment.line_ids:
                quantities[change.subscription_line_id or change] = change.old_quantity
            after.append(dict(quantities))
        after.reverse()  # after[0]: at the start; after[k]: after the k-th amendment
        events = [(start, None, after[0])]
        events += [
            (amendment.effective_date, amendment, after[index + 1])
            for index, amendment in enumerate(done)
        ]

        def state(quantities, running=True):
            return rules.State(
                lines=tuple(
                    self._rule_line(key, quantity)
                    for key, quantity in quantities.items()
                ),
                unit=template.recurring_rule_type,
                interval=template.recurring_interval,
                running=running,
                digits=subscription.currency_id.decimal_places,
            )

        states = [state(quantities) for _day, _amendment, quantities in events]
        if not subscription._mrr_running():
            day = stopped_on or (
                subscription.date
                if subscription.date and subscription.date <= today
                else subscription.write_date.date()
            )
            events.append((max(day, events[-1][0]), None, after[-1]))
            states.append(state(after[-1], running=False))
        try:
            steps = rules.replay(states)
        except rules.RuleError as error:
            _logger.warning(
                "Subscription %s: no revenue history (%s)",
                subscription.display_name,
                error,
            )
            return []
        return [
            subscription._mrr_movement_values(step, day, amendment)
            for (day, amendment, _quantities), step in zip(events, steps, strict=True)
            if step is not None
        ]

    @api.model
    def _rule_line(self, key, quantity):
        """A line of the past as ``rules.mrr`` takes it: a subscription line
        with another quantity, or the amendment line of an add-on whose
        subscription line is gone (at its price)."""
        if key._name == "sale.subscription.line":
            return key._mrr_line(quantity)
        return rules.Line(
            key=("amendment line", key.id),
            product=key.product_id.id,
            quantity=rules.to_decimal(quantity),
            price_unit=rules.to_decimal(key.price_unit),
        )

    @api.model
    def _has_run(self, subscription):
        """It runs, or it ran: it is closed or was archived running, an
        amendment was applied to it, or it was invoiced."""
        return bool(
            subscription.in_progress
            or subscription.stage_id.type == "post"
            or "done" in subscription.amendment_ids.mapped("state")
            or subscription.invoice_ids
            or subscription.sale_order_ids.invoice_ids
        )

    @api.model
    def _stage_change_dates(self, subscriptions):
        """{subscription id: the day its stage last changed}, from the chatter's
        tracking values (none when tracking was off)."""
        if not subscriptions:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT message.res_id, max(message.date)::date
                  FROM mail_tracking_value value
                  JOIN mail_message message ON message.id = value.mail_message_id
                  JOIN ir_model_fields field ON field.id = value.field_id
                 WHERE message.model = 'sale.subscription'
                   AND message.res_id IN %s
                   AND field.model = 'sale.subscription'
                   AND field.name = 'stage_id'
              GROUP BY message.res_id
                """,
                tuple(subscriptions.ids),
            )
        )
        return dict(self.env.cr.fetchall())
