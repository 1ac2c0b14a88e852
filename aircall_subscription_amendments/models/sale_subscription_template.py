# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

TERM_UNITS = [
    ("day", "Day(s)"),
    ("week", "Week(s)"),
    ("month", "Month(s)"),
    ("year", "Year(s)"),
]


class SaleSubscriptionTemplate(models.Model):
    _inherit = "sale.subscription.template"

    term_interval = fields.Integer(
        string="Contract term",
        help="Commitment length, e.g. 12 months. The contract renews automatically "
        "at the end of each term. 0: no term, subscription_oca's behaviour is kept "
        "(no renewal date, no notice rule).",
    )
    term_unit = fields.Selection(
        selection=TERM_UNITS, string="Term unit", default="month", required=True
    )
    notice_days = fields.Integer(
        help="Notice period of the contracts of this template. 0: the company default."
    )

    @api.constrains("term_interval", "notice_days")
    def _check_term_and_notice(self):
        for template in self:
            if template.term_interval < 0 or template.notice_days < 0:
                raise ValidationError(
                    self.env._(
                        "The contract term and the notice days of %(template)s "
                        "cannot be negative.",
                        template=template.name,
                    )
                )
