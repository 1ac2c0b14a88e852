# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Revenue movements: one row per change of a subscription's MRR.

Written by the addon's code only (``sale.subscription._record_mrr_movements``
and the history of ``sale.subscription.mrr.history``), through ``_record``:
users read them (account managers, in their companies), nobody creates,
changes or deletes one. A row keeps the subscription's customer, salesperson,
company and template as they were on its date.
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools import MRR_KINDS, MRR_RECORD, internal, is_internal


class SaleSubscriptionMrrMovement(models.Model):
    _name = "sale.subscription.mrr.movement"
    _description = "Revenue movement"
    _order = "date desc, id desc"

    date = fields.Date(
        required=True,
        index=True,
        readonly=True,
        help="The day the change takes effect: an amendment's effective date, a "
        "contract's start date, the renewal date it was not renewed at, or the day "
        "of a direct edit.",
    )
    kind = fields.Selection(selection=MRR_KINDS, required=True, readonly=True)
    subscription_id = fields.Many2one(
        comodel_name="sale.subscription",
        required=True,
        index=True,
        readonly=True,
        ondelete="cascade",
    )
    amendment_id = fields.Many2one(
        comodel_name="sale.subscription.amendment",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The amendment that made this change, if an amendment did.",
    )
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        readonly=True,
        index=True,
        help="The subscription's customer (its commercial entity) on that day.",
    )
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="Salesperson",
        readonly=True,
        help="The subscription's salesperson on that day.",
    )
    company_id = fields.Many2one(
        comodel_name="res.company", required=True, index=True, readonly=True
    )
    template_id = fields.Many2one(
        comodel_name="sale.subscription.template",
        string="Subscription template",
        readonly=True,
    )
    currency_id = fields.Many2one(
        comodel_name="res.currency",
        required=True,
        readonly=True,
        help="The subscription's currency on that day.",
    )
    company_currency_id = fields.Many2one(
        comodel_name="res.currency",
        string="Company currency",
        required=True,
        readonly=True,
    )
    mrr_before = fields.Monetary(
        string="MRR before",
        readonly=True,
        aggregator=None,
        currency_field="currency_id",
    )
    mrr_after = fields.Monetary(
        string="MRR after", readonly=True, aggregator=None, currency_field="currency_id"
    )
    delta = fields.Monetary(
        string="Change",
        readonly=True,
        currency_field="currency_id",
        help="MRR after − MRR before, in the subscription's currency.",
    )
    delta_company = fields.Monetary(
        string="Change (company currency)",
        readonly=True,
        currency_field="company_currency_id",
        help="The change converted into the company's currency at the rate of its "
        "date. Later rate changes do not move it.",
    )

    @api.depends("subscription_id", "kind", "date")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for movement in self:
            movement.display_name = " · ".join(
                filter(
                    None,
                    [
                        movement.subscription_id.display_name,
                        kinds.get(movement.kind),
                        movement.date and fields.Date.to_string(movement.date),
                    ],
                )
            )

    # -- written by the addon's code only ----------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not is_internal(self, MRR_RECORD):
            raise AccessError(
                self.env._(
                    "Revenue movements are recorded by the subscriptions themselves: "
                    "they cannot be created."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        if not is_internal(self, MRR_RECORD):
            raise AccessError(
                self.env._(
                    "Revenue movements record what happened: they cannot be changed."
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            self.env._(
                "Revenue movements record what happened: they cannot be deleted. "
                "A later change of the subscription makes a movement of its own."
            )
        )

    @api.model
    def _record(self, vals_list):
        """Create movements: the one way in, for the addon's own code.

        As the superuser: whoever changed the subscription (an account manager,
        the cron, an integration) records what it did to the MRR, without any
        right on the movements themselves.
        """
        if not vals_list:
            return self.browse()
        movements = internal(self.sudo(), MRR_RECORD).create(vals_list)
        return self.browse(movements.ids)

    # -- the report ------------------------------------------------------------

    @api.model
    def action_open_report(self, layout="kind"):
        """Subscriptions → Reporting: the revenue movements by month and kind
        (``layout="kind"``), or by salesperson and quarter (``"salesperson"``,
        the pivot first).

        Figures in different currencies are never added up: when the selected
        companies do not share one currency, the graph and the pivot are
        grouped by company first (the graph: one bar per company, stacked by
        kind or salesperson); the list shows each row in its currency.
        """
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aircall_subscription_amendments.sale_subscription_mrr_movement_action"
        )
        rows, columns = ["kind"], ["date:month"]
        graph = ["date:month", "kind"]
        if layout == "salesperson":
            action["name"] = action["display_name"] = self.env._(
                "Revenue by salesperson"
            )
            action["views"] = [
                (view, mode) for view, mode in action["views"] if mode == "pivot"
            ] + [(view, mode) for view, mode in action["views"] if mode != "pivot"]
            rows, columns = ["user_id"], ["date:quarter"]
            graph = ["date:quarter", "user_id"]
        context = {
            "search_default_filter_this_year": 1,
            "pivot_measures": ["delta_company"],
            "pivot_row_groupby": rows,
            "pivot_column_groupby": columns,
            "graph_measure": "delta_company",
            "graph_groupbys": graph,
        }
        if len(self.env.companies.currency_id) > 1:
            context.update(
                pivot_row_groupby=["company_id", *rows],
                graph_groupbys=["company_id", graph[-1]],
            )
        action["context"] = context
        return action
