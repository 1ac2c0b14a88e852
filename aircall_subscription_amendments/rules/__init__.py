"""Pure business rules of subscription amendments (no Odoo import, see API.md)."""

from .calendar import UNITS, notice_deadline, renewal_date, term_boundary, term_bounds
from .errors import RuleError
from .proration import (
    ACTUAL_DAYS,
    CONVENTIONS,
    THIRTY_E_360,
    day_count,
    prorate,
    round_amount,
    share,
)

__all__ = [
    "ACTUAL_DAYS",
    "CONVENTIONS",
    "THIRTY_E_360",
    "day_count",
    "prorate",
    "round_amount",
    "share",
    "UNITS",
    "RuleError",
    "notice_deadline",
    "renewal_date",
    "term_boundary",
    "term_bounds",
]
