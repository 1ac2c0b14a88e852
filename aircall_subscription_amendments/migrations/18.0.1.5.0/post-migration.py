# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tools import SQL


def migrate(cr, version):
    """From 18.0.1.4.0: the changed lines made before prices could change keep
    their price and discount (``new_price_unit``, ``new_discount``: the
    line's own). Running it twice changes nothing."""
    if not version:
        return
    for table in (
        "sale_subscription_amendment_line",
        "sale_subscription_amendment_wizard_line",
    ):
        cr.execute(
            SQL(
                """
                UPDATE %s
                   SET new_price_unit = COALESCE(new_price_unit, price_unit),
                       new_discount = COALESCE(new_discount, discount)
                 WHERE new_price_unit IS NULL OR new_discount IS NULL
                """,
                SQL.identifier(table),
            )
        )
