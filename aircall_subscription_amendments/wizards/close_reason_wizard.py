# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

from ..models.sale_subscription import OVERRIDE_CONTEXT


class CloseReasonWizard(models.TransientModel):
    """subscription_oca's "Close subscription": closing a running contract is a
    cancellation, so it obeys the notice period (checked by the subscription)."""

    _inherit = "close.reason.wizard"

    override_reason = fields.Text(
        help="An administrator may close a contract after its notice deadline, "
        "with a reason (logged in the subscription's chatter).",
    )

    def button_confirm(self):
        overridden = self.with_context(**{OVERRIDE_CONTEXT: self.override_reason})
        return super(CloseReasonWizard, overridden).button_confirm()
