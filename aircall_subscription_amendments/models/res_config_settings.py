# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models
from odoo.exceptions import AccessError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    amendment_notice_days = fields.Integer(
        related="company_id.amendment_notice_days", readonly=False
    )
    amendment_reminder_days = fields.Integer(
        related="company_id.amendment_reminder_days", readonly=False
    )
    amendment_timezone = fields.Selection(
        related="company_id.amendment_timezone", readonly=False
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
    amendment_portal_apply_upgrades = fields.Boolean(
        related="company_id.amendment_portal_apply_upgrades", readonly=False
    )

    def action_amendment_check_invoices(self):
        """Stamp the billed periods of invoices made before the addon and match
        earlier amendment credit notes right (what the install did); list
        what an administrator or an accountant should look at. For amendment
        administrators and accountants (the settings, and *Invoicing /
        Customers / Subscription invoices to check*)."""
        user = self.env.user
        if not (
            user._is_amendment_admin()
            or user.has_group("account.group_account_invoice")
        ):
            raise AccessError(
                self.env._(
                    "Only a subscription-amendment administrator or an accountant "
                    "may do this."
                )
            )
        ledger = self.env["sale.subscription.ledger"]
        unknown, over = ledger._adopt()
        orphans = ledger._orphaned_corrections()
        if not (unknown or over or orphans):
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "success",
                    "message": self.env._(
                        "Every subscription invoice has its billed period, no "
                        "credit note exceeds what its invoice billed, no posted "
                        "amendment document corrects a cancelled invoice, and no "
                        "amendment credit note of a posted invoice is cancelled."
                    ),
                },
            }
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Invoices and credit notes to check"),
            "res_model": "account.move",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", (unknown | over | orphans).ids)],
            "context": {"create": False},
            "help": self.env._(
                "Invoices whose billed period could not be told (stamp them by "
                "hand), credit notes that together exceed what their invoice billed, "
                "posted amendment documents of a cancelled invoice (reverse "
                "them), and cancelled amendment credit notes of a posted invoice "
                "(their credit was never given: issue it)."
            ),
        }
