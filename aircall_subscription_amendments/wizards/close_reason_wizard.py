# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

from ..tools import OVERRIDE, Override


class CloseReasonWizard(models.TransientModel):
    """subscription_oca's "Close subscription": closing a running contract is a
    cancellation, so it obeys the notice period (the subscription's invariant
    judges it, sale_subscription_invariant.py)."""

    _inherit = "close.reason.wizard"

    override_reason = fields.Text(
        help="An administrator may close a contract after its notice deadline, "
        "with a reason (logged in the subscription's chatter).",
    )

    def button_confirm(self):
        wizard = self
        if self.override_reason:
            # the reason reaches the close subscription_oca's button makes
            wizard = self.with_context(**{OVERRIDE: Override(self.override_reason)})
        return super(CloseReasonWizard, wizard).button_confirm()
