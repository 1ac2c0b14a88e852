# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models

from ..tools import ADMIN_GROUP, USER_GROUP


class ResUsers(models.Model):
    _inherit = "res.users"

    def _is_amendment_admin(self, companies=None):
        """The one answer to "is this user an amendment administrator?" (of
        ``companies``, when given: they must all be among the user's).

        Membership of the group only: superuser mode (``sudo()``, which crons
        and internal code use) makes no one an administrator. The scheduler
        runs as OdooBot, a member of the group.
        """
        self.ensure_one()
        if companies and companies - self.company_ids:
            return False
        return self.has_group(ADMIN_GROUP)

    def _is_amendment_user(self):
        """Whether this user may amend subscriptions (account managers and up)."""
        self.ensure_one()
        return self.has_group(USER_GROUP)
