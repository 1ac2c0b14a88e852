# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from . import (
    test_accounting,
    test_apply_batch,
    test_article,
    test_bad_input,
    test_billed_periods,
    test_concurrency,
    test_i18n,
    test_install,
    test_ledger,
    test_notice_enforcement,
    test_renewal_cron,
    test_report,
    test_security,
    test_terms,
    test_tour,
    test_wizard,
)
