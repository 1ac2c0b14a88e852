# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The account manager's amendment wizard: prefill, preview, one model call.

Every rule lives in ``sale.subscription.amendment``: the preview asks it what
applying would do (``_preview``), confirming asks it to do it
(``create_and_apply``).
"""

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.tools import float_compare
from odoo.tools.misc import format_amount, format_date

from ..tools import format_quantity, user_today


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
        default=lambda self: user_today(self),
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
                    "request_date": wizard.request_date or user_today(self),
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
    )
    def _compute_preview_html(self):
        amendments = self.env["sale.subscription.amendment"]
        for wizard in self:
            if not (wizard.subscription_id and wizard.effective_date):
                wizard.preview_html = False
                continue
            values = wizard._prepare_amendment_values()
            if not (values["line_ids"] or values["cancel_renewal"]):
                wizard.preview_html = Markup("<p>%s</p>") % self.env._(
                    "Change a quantity, add a product or tick “Do not renew”: "
                    "what confirming will do shows here."
                )
                continue
            preview = amendments._preview(values)
            wizard.preview_html = self.env["ir.qweb"]._render(
                "aircall_subscription_amendments.sale_subscription_amendment_wizard_preview",
                wizard._preview_values(preview),
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

    def _preview_values(self, preview):
        """The preview template's values: plain strings, formatted here."""
        amendment, plan = preview["amendment"], preview["plan"]
        currency = self.currency_id

        def amount(value):
            return format_amount(self.env, float(value), currency)

        def day(value):
            return format_date(self.env, value) if value else ""

        def change(old, new):
            return self.env._(
                "%(old)s → %(new)s",
                old=format_quantity(self.env, old),
                new=format_quantity(self.env, new),
            )

        rows, documented = [], set()
        for line in plan.credit_lines + plan.invoice_lines if plan else ():
            documented.add(line.key)
            rows.append(
                {
                    "product": line.name,
                    "change": change(line.old_quantity, line.new_quantity),
                    "period": self.env._(
                        "%(start)s – %(end)s",
                        start=day(line.since),
                        end=day(line.period_end),
                    ),
                    "share": self.env._("%(percent)s %%", percent=line.percent),
                    "document": self.env._("Credit note")
                    if line.direction == "credit"
                    else self.env._("Invoice"),
                    "amount": amount(line.amount),
                }
            )
        # changes without a document: inside a period not invoiced yet (the next
        # invoice uses them), or a line the period's documents no longer bill
        billed = bool(
            plan
            and self.env["sale.subscription.ledger"]._billed_periods(
                amendment.subscription_id, amendment.effective_date
            )
        )
        for line in amendment.line_ids if plan else ():
            if line._rule_key() in documented or not float_compare(
                line.old_quantity, line.new_quantity, precision_digits=6
            ):
                continue
            rows.append(
                {
                    "product": line.product_id.display_name,
                    "change": change(line.old_quantity, line.new_quantity),
                    "period": self.env._("nothing billed left")
                    if billed
                    else self.env._("not invoiced yet"),
                    "share": "",
                    "document": self.env._("no document")
                    if billed
                    else self.env._("next recurring invoice"),
                    "amount": "",
                }
            )
        return {
            "error": preview["error"],
            "summary": self._preview_summary(amendment),
            "rows": rows,
            "total_credit": amount(plan.total_credit) if plan else "",
            "total_invoice": amount(plan.total_invoice) if plan else "",
            "notices": self._preview_notices(amendment, preview["decision"]),
        }

    def _preview_summary(self, amendment):
        kind = dict(
            amendment._fields["amendment_type"]._description_selection(self.env)
        ).get(amendment.amendment_type, "")
        date = format_date(self.env, amendment.effective_date)
        if amendment._is_effective_later(user_today(self)):
            return self.env._(
                "%(kind)s effective %(date)s: scheduled, applied automatically on "
                "that day.",
                kind=kind,
                date=date,
            )
        return self.env._("%(kind)s effective %(date)s.", kind=kind, date=date)

    def _preview_notices(self, amendment, decision):
        notices = []
        renewal = format_date(self.env, amendment.renewal_date)
        if amendment.cancel_renewal:
            notices.append(
                self.env._(
                    "The contract will not renew: it ends at its renewal date "
                    "%(renewal)s.",
                    renewal=renewal,
                )
            )
        if amendment.notice_deadline:
            notices.append(
                self.env._(
                    "Renewal date %(renewal)s. Reductions and cancellations are "
                    "accepted until the notice deadline %(deadline)s.",
                    renewal=renewal,
                    deadline=format_date(self.env, amendment.notice_deadline),
                )
            )
        if amendment.amendment_type == "upgrade":
            notices.append(self.env._("Upgrades are accepted at any time."))
        elif decision and not decision.accepted:
            notices.append(
                self.env._(
                    "Past the notice deadline: applied as an override by an "
                    "administrator, with the reason given."
                )
            )
        return notices

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
