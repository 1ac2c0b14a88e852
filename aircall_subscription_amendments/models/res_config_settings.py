# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    amendment_notice_days = fields.Integer(
        related="company_id.amendment_notice_days", readonly=False
    )
    amendment_reminder_days = fields.Integer(
        related="company_id.amendment_reminder_days", readonly=False
    )
    amendment_proration_convention = fields.Selection(
        related="company_id.amendment_proration_convention", readonly=False
    )
    amendment_journal_id = fields.Many2one(
        related="company_id.amendment_journal_id", readonly=False
    )
    amendment_auto_post = fields.Boolean(
        related="company_id.amendment_auto_post", readonly=False
    )
