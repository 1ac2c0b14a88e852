# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """From 18.0.1.0.0: the billed periods of invoices made before the addon,
    and credit notes matched with another invoice by batch posting, made right
    (what the post-init hook does on a fresh install; it does not run on an
    upgrade). Posted documents are not rewritten."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["sale.subscription.ledger"]._adopt()
