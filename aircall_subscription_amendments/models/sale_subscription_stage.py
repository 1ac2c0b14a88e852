# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A subscription stage that running contracts use: its type and its deletion
are for amendment administrators.

subscription_oca gives salesmen every right on stages, and its own code reads a
stage's type (a contract moved to a closed stage is closed). The invariant of
running contracts reads their own state, not their stage's type; this keeps the
stages they are in as they are.
"""

from odoo import api, models
from odoo.exceptions import AccessError


class SaleSubscriptionStage(models.Model):
    _inherit = "sale.subscription.stage"

    def write(self, vals):
        if "type" in vals:
            self.filtered(lambda stage: stage.type != vals["type"])._ensure_unused()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_running_contracts(self):
        self._ensure_unused()

    def _ensure_unused(self):
        """Refuse when running contracts are in one of these stages, unless the
        user is an amendment administrator of all their companies."""
        if not self:
            return
        running = (
            self.env["sale.subscription"]
            .sudo()
            .with_context(active_test=False)
            .search([("stage_id", "in", self.ids), ("in_progress", "=", True)])
        )
        if running and not self.env.user._is_amendment_admin(running.company_id):
            raise AccessError(
                self.env._(
                    "Running contracts, such as %(subscription)s, are in the stage "
                    "%(stage)s: only a subscription-amendment administrator of their "
                    "companies may change its type or delete it.",
                    subscription=running[0].display_name,
                    stage=running[0].stage_id.display_name,
                )
            )
