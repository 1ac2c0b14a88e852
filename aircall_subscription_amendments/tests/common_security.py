# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The roles of the access matrix, and a fingerprint of what they may change.

One user per role, each with the groups its people have, and nothing more:

- *portal*: a customer's portal login;
- *salesman*: Sales / User: All Documents, no amendment group;
- *amendment user*: an account manager (Subscription amendments / User);
- *amendment admin*: Subscription amendments / Administrator (no accounting);
- *billing*: Invoicing / Billing, no sales group;
- *admin of another company*: every right above, and Invoicing / Administrator,
  in a second company only.
"""

from odoo import Command
from odoo.tests import new_test_user
from odoo.tools import SQL

from .common import SubscriptionCase

USER_GROUP = "aircall_subscription_amendments.group_amendment_user"
ADMIN_GROUP = "aircall_subscription_amendments.group_amendment_admin"
ALL_DOCUMENTS = "sales_team.group_sale_salesman_all_leads"

ROLES = (
    "portal",
    "salesman",
    "amendment user",
    "amendment admin",
    "billing",
    "admin of another company",
)
#: the tables an amendment may change, compared row by row before and after
FINGERPRINT_TABLES = (
    "sale_subscription",
    "sale_subscription_line",
    "sale_subscription_amendment",
    "sale_subscription_amendment_line",
    "sale_subscription_mrr_movement",
    "account_move",
    "account_move_line",
    "account_partial_reconcile",
    "mail_message",
    "mail_activity",
)


class RolesCase(SubscriptionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        groups = {
            "portal": "base.group_portal",
            "salesman": ALL_DOCUMENTS,
            "amendment user": f"{ALL_DOCUMENTS},{USER_GROUP}",
            "amendment admin": f"{ALL_DOCUMENTS},{ADMIN_GROUP}",
            "billing": "account.group_account_invoice",
            "admin of another company": (
                f"{ALL_DOCUMENTS},{ADMIN_GROUP},account.group_account_manager"
            ),
        }
        cls.users = {}
        for role in ROLES:
            values = {"tz": "Europe/Paris"}
            if role == "admin of another company":
                values.update(
                    company_id=cls.company_b.id,
                    company_ids=[Command.set(cls.company_b.ids)],
                )
            login = "sec_" + role.replace(" ", "_")
            cls.users[role] = new_test_user(
                cls.env, login=login, groups=groups[role], **values
            )

    def fingerprint(self):
        """Every row of the tables an amendment may change, as text."""
        self.env.flush_all()
        rows = {}
        for table in FINGERPRINT_TABLES:
            self.env.cr.execute(
                SQL(
                    "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) "
                    "FROM %s t",
                    SQL.identifier(table),
                )
            )
            rows[table] = self.env.cr.fetchone()[0]
        return rows

    def assertUnchanged(self, before, what):
        after = self.fingerprint()
        changed = [
            table for table in FINGERPRINT_TABLES if before[table] != after[table]
        ]
        self.assertFalse(changed, f"{what}: changed {', '.join(changed)}")
