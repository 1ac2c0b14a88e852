# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from . import (
    account_move,
    account_move_line,
    res_company,
    res_config_settings,
    res_users,
    sale_subscription,
    sale_subscription_amendment,
    sale_subscription_amendment_line,
    sale_subscription_ledger,
    sale_subscription_line,
    sale_subscription_template,
)
