# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from . import test_bulk, test_bulk_prices, test_cron_jobs
