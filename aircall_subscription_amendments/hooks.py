# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).


def post_init_hook(env):
    """Installed on a database full of running contracts: their invoices get
    the billed periods the ledger reads (``sale.subscription.ledger._adopt``;
    the upgrade to 18.0.1.1.0 runs the same in its migration script)."""
    env["sale.subscription.ledger"]._adopt()
