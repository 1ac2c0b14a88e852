"""Pure business rules of subscription amendments (no Odoo import, see API.md)."""

from .calendar import (
    UNITS,
    Term,
    notice_deadline,
    renewal_date,
    term_boundary,
    term_bounds,
)
from .errors import RuleError
from .invariant import (
    CANCELLATIONS,
    Breach,
    Breaches,
    Contract,
    breaches,
    contract,
    line_value,
)
from .mrr import (
    MONTHS_PER_UNIT,
    Movement,
    MovementKind,
    State,
    monthly_factor,
    movement,
    movement_kind,
    mrr,
    mrr_movement,
    replay,
)
from .notice import AmendmentKind, NoticeDecision, classify, decide, value_deltas
from .plan import make_plan
from .proration import (
    ACTUAL_DAYS,
    CONVENTIONS,
    THIRTY_E_360,
    day_count,
    prorate,
    round_amount,
    share,
)
from .timing import (
    TIMED_KINDS,
    ReductionTiming,
    check_timing,
    is_timed,
    timed_effective_date,
)
from .values import (
    MAX_QUANTITY,
    BilledDocument,
    BilledPeriod,
    DocumentLine,
    InvoicedLine,
    Line,
    Plan,
    PriceChange,
    net_price,
    to_decimal,
)

__all__ = [
    # errors
    "RuleError",
    # calendar
    "UNITS",
    "Term",
    "notice_deadline",
    "renewal_date",
    "term_boundary",
    "term_bounds",
    # proration
    "ACTUAL_DAYS",
    "CONVENTIONS",
    "THIRTY_E_360",
    "day_count",
    "prorate",
    "round_amount",
    "share",
    # notice
    "AmendmentKind",
    "NoticeDecision",
    "classify",
    "decide",
    "value_deltas",
    # timing
    "TIMED_KINDS",
    "ReductionTiming",
    "check_timing",
    "is_timed",
    "timed_effective_date",
    # plan
    "MAX_QUANTITY",
    "BilledDocument",
    "BilledPeriod",
    "DocumentLine",
    "InvoicedLine",
    "Line",
    "Plan",
    "PriceChange",
    "make_plan",
    "net_price",
    "to_decimal",
    # mrr
    "MONTHS_PER_UNIT",
    "Movement",
    "MovementKind",
    "State",
    "monthly_factor",
    "movement",
    "movement_kind",
    "mrr",
    "mrr_movement",
    "replay",
    # invariant
    "CANCELLATIONS",
    "Breach",
    "Breaches",
    "Contract",
    "breaches",
    "contract",
    "line_value",
]
