# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""An amendment's preview in words: what applying it would credit or invoice,
per billed period, and the notice rule. The amendment wizard and the customer
portal show the same preview (the template
``sale_subscription_amendment_wizard_preview``).

``preview``: what ``sale.subscription.amendment._preview(vals)`` returns.
"""

from odoo import api, fields, models
from odoo.tools import float_compare
from odoo.tools.misc import format_amount, format_date, formatLang

from .. import rules
from ..tools import company_today, format_quantity


class SaleSubscriptionAmendmentPreview(models.AbstractModel):
    _name = "sale.subscription.amendment.preview"
    _description = "Preview of a subscription amendment, in words"

    @api.model
    def _preview_values(self, preview):
        """The preview template's values: plain strings, formatted here."""
        amendment, plan = preview["amendment"], preview["plan"]
        currency = amendment.currency_id

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

        def price_change(line):
            digits = self.env["decimal.precision"].precision_get("Product Price")
            return self.env._(
                "%(old)s → %(new)s",
                old=formatLang(self.env, float(line.old_price), digits=digits),
                new=formatLang(self.env, float(line.new_price), digits=digits),
            )

        rows, documented = [], set()
        for line in plan.credit_lines + plan.invoice_lines if plan else ():
            documented.add(line.key)
            rows.append(
                {
                    "product": line.name,
                    "change": price_change(line)
                    if line.is_price_change
                    else change(line.old_quantity, line.new_quantity),
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
            if line._rule_key() in documented or (
                not float_compare(
                    line.old_quantity, line.new_quantity, precision_digits=6
                )
                and not line._reprices()
            ):
                continue
            rows.append(
                {
                    "product": line.product_id.display_name,
                    "change": line._change_words(),
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
            "notices": self._preview_notices(amendment, preview["decision"])
            + self._timing_notices(amendment, plan),
            # a string: the portal's RPC callers get it as JSON or XML-RPC
            "schedule_date": fields.Date.to_string(preview.get("schedule_date"))
            or False,
            "schedule_label": preview.get("schedule_date")
            and self.env._("Schedule for %(date)s", date=day(preview["schedule_date"]))
            or "",
        }

    @api.model
    def _preview_summary(self, amendment):
        kind = dict(
            amendment._fields["amendment_type"]._description_selection(self.env)
        ).get(amendment.amendment_type, "")
        date = format_date(self.env, amendment.effective_date)
        if amendment._is_effective_later(company_today(amendment.company_id)):
            return self.env._(
                "%(kind)s effective %(date)s: scheduled, applied automatically on "
                "that day.",
                kind=kind,
                date=date,
            )
        return self.env._("%(kind)s effective %(date)s.", kind=kind, date=date)

    @api.model
    def _timing_notices(self, amendment, plan):
        """When a timed reduction takes effect, and that nothing is credited."""
        if not plan or not amendment._is_timed():
            return []
        timing = amendment._timing_to_check()
        if timing == rules.ReductionTiming.IMMEDIATE:
            return []
        date = format_date(self.env, amendment.effective_date)
        notices = [
            self.env._(
                "Reductions of this contract take effect %(timing)s: this one from "
                "%(date)s.",
                timing=amendment._timing_words(),
                date=date,
            )
        ]
        if not plan.credit_lines:
            notices.append(
                self.env._(
                    "Nothing is credited: what was invoiced before %(date)s stays "
                    "as invoiced.",
                    date=date,
                )
            )
        if plan.kind == rules.AmendmentKind.MIXED:
            notices.append(
                self.env._(
                    "This change adds and removes: it takes effect as a whole on "
                    "%(date)s, as reductions do. To upgrade at once, make two "
                    "amendments: the upgrade now, then the reduction.",
                    date=date,
                )
            )
        return notices

    @api.model
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
