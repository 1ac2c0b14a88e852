# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from . import (
    test_article,
    test_bad_input,
    test_concurrency,
    test_install,
    test_notice_enforcement,
    test_renewal_cron,
    test_security,
    test_terms,
    test_wizard,
)
