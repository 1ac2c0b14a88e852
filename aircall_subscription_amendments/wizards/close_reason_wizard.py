# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

from ..tools import CANCELLATION_CHECKED, internal


class CloseReasonWizard(models.TransientModel):
    """subscription_oca's "Close subscription": closing a running contract is a
    cancellation, so it obeys the notice period (checked by the subscription)."""

    _inherit = "close.reason.wizard"

    override_reason = fields.Text(
        help="An administrator may close a contract after its notice deadline, "
        "with a reason (logged in the subscription's chatter).",
    )

    def button_confirm(self):
        subscription = self.env["sale.subscription"].browse(
            self.env.context["active_id"]
        )
        # the cancellation checked here, with the reason, for the contract that
        # subscription_oca's button closes
        subscription._ensure_not_stopped_late(
            {"in_progress": False}, self.override_reason
        )
        return super(
            CloseReasonWizard, internal(self, CANCELLATION_CHECKED)
        ).button_confirm()
