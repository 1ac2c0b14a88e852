"""Pure business rules of subscription amendments (no Odoo import, see API.md)."""

from .calendar import UNITS, notice_deadline, renewal_date, term_boundary, term_bounds
from .errors import RuleError

__all__ = [
    "UNITS",
    "RuleError",
    "notice_deadline",
    "renewal_date",
    "term_boundary",
    "term_bounds",
]
