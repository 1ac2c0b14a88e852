# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from . import (
    test_accounting,
    test_article,
    test_billed_periods,
    test_install,
    test_ledger,
    test_renewal_cron,
    test_security,
    test_terms,
)
