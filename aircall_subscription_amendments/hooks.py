# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).


def post_init_hook(env):
    """Installed on a database full of running contracts: their invoices get
    the billed periods the ledger reads (``sale.subscription.ledger._adopt``),
    and their revenue movements are replayed from their starts, amendments and
    closes (``sale.subscription.mrr.history._adopt``). The upgrades to
    18.0.1.1.0 and 18.0.1.2.0 run the same in their migration scripts."""
    env["sale.subscription.ledger"]._adopt()
    env["sale.subscription.mrr.history"]._adopt()
