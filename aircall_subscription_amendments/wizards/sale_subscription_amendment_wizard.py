# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The account manager's amendment wizard: prefill, preview, one model call.

Every rule lives in ``sale.subscription.amendment``: the preview asks it what
applying would do (``_preview``, put in words by
``sale.subscription.amendment.preview``, as the customer portal shows it too),
confirming asks it to do it (``create_and_apply``).
"""

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..tools import rule_today


class SaleSubscriptionAmendmentWizard(models.TransientModel):
    _name = "sale.subscription.amendment.wizard"
    _description = "Amend a subscription"
    _check_company_auto = True

    subscription_id = fields.Many2one(
        comodel_name="sale.subscription",
        required=True,
        readonly=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(related="subscription_id.company_id")
    currency_id = fields.Many2one(related="subscription_id.currency_id")
    partner_id = fields.Many2one(related="subscription_id.partner_id")
    request_date = fields.Date(
        help="Leave empty: today. Only an administrator may set another day.",
    )
    effective_date = fields.Date(
        required=True,
        default=lambda self: rule_today(self),
        help="The first day the change applies; a later day schedules it.",
    )
    cancel_renewal = fields.Boolean(
        string="Do not renew (cancel at renewal date)",
        help="The contract ends at its renewal date instead of renewing.",
    )
    line_ids = fields.One2many(
        comodel_name="sale.subscription.amendment.wizard.line",
        inverse_name="wizard_id",
        string="Lines",
    )
    override_reason = fields.Text(
        help="An administrator may apply a reduction or a cancellation after the "
        "notice deadline, with a reason (logged on the subscription and the "
        "amendment).",
    )
    note = fields.Text()
    renewal_date = fields.Date(compute="_compute_notice_dates")
    notice_deadline = fields.Date(compute="_compute_notice_dates")
    preview_html = fields.Html(
        string="Preview",
        compute="_compute_preview_html",
        sanitize=False,
        help="What confirming will do. Nothing is written until you confirm.",
    )
    schedule_date = fields.Date(
        string="Next renewal on time",
        compute="_compute_preview_html",
        help="A reduction or a cancellation too late for the coming renewal is on "
        "time for this one: Schedule applies it on that day.",
    )

    @api.model
    def default_get(self, fields_list):
        """Prefilled from the subscription the wizard is opened on."""
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") != "sale.subscription" or not context.get(
            "active_id"
        ):
            return values
        subscription = self.env["sale.subscription"].browse(context["active_id"])
        if "subscription_id" in fields_list:
            values["subscription_id"] = subscription.id
        if "line_ids" in fields_list:
            snapshot = self.env["sale.subscription.amendment.line"]._snapshot_values
            values["line_ids"] = [
                Command.create(
                    dict(
                        snapshot(line),
                        subscription_line_id=line.id,
                        new_quantity=line.product_uom_qty,
                        new_price_unit=line.price_unit,
                        new_discount=line.discount,
                    )
                )
                for line in subscription.sale_subscription_line_ids
            ]
        return values

    @api.depends("subscription_id", "request_date")
    def _compute_notice_dates(self):
        amendments = self.env["sale.subscription.amendment"]
        for wizard in self:
            dates = amendments.new(
                {
                    "subscription_id": wizard.subscription_id.id,
                    "request_date": wizard.request_date
                    or rule_today(self, wizard.subscription_id.company_id),
                }
            )
            wizard.renewal_date = dates.renewal_date
            wizard.notice_deadline = dates.notice_deadline

    @api.depends(
        "subscription_id",
        "request_date",
        "effective_date",
        "cancel_renewal",
        "override_reason",
        "line_ids.product_id",
        "line_ids.new_quantity",
        "line_ids.price_unit",
        "line_ids.new_price_unit",
        "line_ids.new_discount",
    )
    def _compute_preview_html(self):
        amendments = self.env["sale.subscription.amendment"]
        for wizard in self:
            wizard.schedule_date = False
            if not (wizard.subscription_id and wizard.effective_date):
                wizard.preview_html = False
                continue
            values = wizard._prepare_amendment_values()
            if not (values["line_ids"] or values["cancel_renewal"]):
                wizard.preview_html = Markup("<p>%s</p>") % self.env._(
                    "Change a quantity or a price, add a product or tick “Do not renew”: "
                    "what confirming will do shows here."
                )
                continue
            preview = amendments._preview(values)
            wizard.schedule_date = preview.get("schedule_date") or False
            wizard.preview_html = self.env["ir.qweb"]._render(
                "aircall_subscription_amendments.sale_subscription_amendment_wizard_preview",
                self.env["sale.subscription.amendment.preview"]._preview_values(
                    preview
                ),
            )

    @api.onchange("line_ids", "cancel_renewal")
    def _onchange_timing(self):
        """A template whose reductions take effect later: a reduction gets the
        effective date its timing gives it, an upgrade today's."""
        if (
            not self.subscription_id
            or (self.subscription_id.template_id.reduction_timing or "immediate")
            == "immediate"
        ):
            return
        values = self._prepare_amendment_values()
        values.pop("effective_date")
        amendment = self.env["sale.subscription.amendment"].new(
            self.env["sale.subscription.amendment"]._with_snapshots(values)
        )
        self.effective_date = amendment._timed_effective_date() or (
            self.request_date or rule_today(self, self.subscription_id.company_id)
        )

    def _prepare_amendment_values(self):
        """The wizard as ``sale.subscription.amendment.create_and_apply`` takes it."""
        self.ensure_one()
        values = {
            "subscription_id": self.subscription_id.id,
            "effective_date": self.effective_date,
            "cancel_renewal": self.cancel_renewal,
            "override_reason": self.override_reason or False,
            "note": self.note or False,
            "line_ids": [
                command
                for command in (
                    line._amendment_line_command() for line in self.line_ids
                )
                if command
            ],
        }
        if self.request_date:
            values["request_date"] = self.request_date
        return values

    def action_schedule(self):
        """Schedule the change for the next renewal it is on time for (the
        same lines), then open it."""
        self.ensure_one()
        if not self.schedule_date:
            raise UserError(
                self.env._("This change is not refused for being late: confirm it.")
            )
        self.effective_date = self.schedule_date
        return self.action_confirm()

    def action_confirm(self):
        """Create the amendment and apply it (or schedule it), then open it."""
        self.ensure_one()
        amendment = self.env["sale.subscription.amendment"].create_and_apply(
            self._prepare_amendment_values()
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.subscription.amendment",
            "res_id": amendment.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }
