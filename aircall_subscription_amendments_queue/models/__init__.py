# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from . import (
    sale_subscription,
    sale_subscription_amendment_bulk,
    sale_subscription_amendment_bulk_operation,
    sale_subscription_amendment_bulk_result,
)
