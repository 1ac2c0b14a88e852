# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A database full of running contracts, before the addon is installed.

Run by scripts/test.sh with ``odoo shell`` on the test database before it
installs the addon: subscriptions billed by subscription_oca alone for three
months, the current month posted, in its invoice mode and in its sale order
and invoice mode; and one with an extra invoice off the recurrence, whose
period cannot be told. aircall_subscription_amendments/tests/test_adoption.py
checks what the installation made of them.
"""

from datetime import date

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import Command

CUSTOMER = "Adoption customer (invoiced before the addon)"

first = (date.today() - relativedelta(months=2)).replace(day=1)
boundaries = [first + relativedelta(months=index) for index in range(3)]
product = env["product.product"].create(  # noqa: F821 (odoo shell's env)
    {"name": "Adoption users", "type": "service", "list_price": 25.0}
)
partner = env["res.partner"].create({"name": CUSTOMER})  # noqa: F821
pricelist = env["product.pricelist"].create({"name": "Adoption"})  # noqa: F821
# subscription_oca's "invoice" mode posts and mails each invoice (a PDF needs
# wkhtmltopdf): the draft mode, posted here, makes the same invoices
for mode, name in (
    ("draft", "Adoption: invoices"),
    ("sale_and_invoice", "Adoption: sale orders"),
    ("draft", "Adoption: off the recurrence"),
):
    template = env["sale.subscription.template"].create(  # noqa: F821
        {
            "name": name,
            "recurring_interval": 1,
            "recurring_rule_type": "months",
            "recurring_rule_boundary": "unlimited",
            "invoicing_mode": mode,
        }
    )
    with freeze_time(first):
        subscription = env["sale.subscription"].create(  # noqa: F821
            {
                "partner_id": partner.id,
                "pricelist_id": pricelist.id,
                "template_id": template.id,
                "date_start": first,
                "recurring_next_date": first,
                "sale_subscription_line_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": 10,
                            "price_unit": 25.0,
                        }
                    )
                ],
            }
        )
        subscription.action_start_subscription()
    for boundary in boundaries:
        with freeze_time(boundary):
            subscription.recurring_next_date = boundary
            subscription.generate_invoice()
            subscription.invoice_ids.filtered(
                lambda move: move.state == "draft"
            ).action_post()
    if name == "Adoption: off the recurrence":
        extra = subscription.create_invoice()
        extra.invoice_date = boundaries[-1] + relativedelta(days=14)
        extra.action_post()
    assert len(subscription.invoice_ids | subscription.sale_order_ids.invoice_ids) >= 3
env.cr.commit()  # noqa: F821
print(f"seeded {CUSTOMER}: periods from {first}")
