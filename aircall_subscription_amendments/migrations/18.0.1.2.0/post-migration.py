# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """From 18.0.1.1.0: the revenue movements of the subscriptions that existed
    before they were recorded, replayed from their starts, done amendments and
    closes (what the post-init hook does on a fresh install). Subscriptions
    that already have movements are left alone: running it twice adds nothing."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["sale.subscription.mrr.history"]._adopt()
