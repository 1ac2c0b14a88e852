# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from . import (
    test_article,
    test_install,
    test_renewal_cron,
    test_report,
    test_security,
    test_terms,
    test_tour,
)
