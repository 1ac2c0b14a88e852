# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from . import (
    account_move_reversal,
    close_reason_wizard,
    sale_subscription_amendment_refuse_wizard,
    sale_subscription_amendment_wizard,
    sale_subscription_amendment_wizard_line,
)
