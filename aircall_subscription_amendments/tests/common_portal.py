# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A customer with a portal login, and another customer with one.

- ``customer_user``: Camille Durand, a contact of the customer "Customer SAS"
  (``partner``), a portal user in Europe/Paris;
- ``outsider``: the *portal* role of the access matrix, a portal user of another
  customer, who has a subscription of their own (``outsider_subscription``);
- ``manager``: the account manager (*amendment user* role), the salesperson of
  the customer's subscriptions.
"""

from odoo.tests import new_test_user

from .common_security import RolesCase


class PortalCase(RolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner.is_company = True
        cls.customer_user = new_test_user(
            cls.env,
            login="portal_customer",
            name="Camille Durand",
            email="camille@customer.example.com",
            groups="base.group_portal",
            tz="Europe/Paris",
        )
        cls.customer_user.partner_id.parent_id = cls.partner
        cls.manager = cls.users["amendment user"]
        cls.outsider = cls.users["portal"]

    @classmethod
    def _customer_subscription(cls, **values):
        return cls._start(cls._create_subscription(user_id=cls.manager.id, **values))

    @classmethod
    def _outsider_subscription(cls, **values):
        return cls._start(
            cls._create_subscription(partner_id=cls.outsider.partner_id.id, **values)
        )

    @staticmethod
    def _line(subscription, product):
        return subscription.sale_subscription_line_ids.filtered(
            lambda line: line.product_id == product
        )

    def _request_values(self, subscription, quantities, **values):
        """``portal_request_amendment``'s values: ``quantities`` by product."""
        return {
            "lines": [
                {
                    "subscription_line_id": self._line(subscription, product).id,
                    "new_quantity": quantity,
                }
                for product, quantity in quantities.items()
            ],
            **values,
        }

    def _answers(self, amendment):
        """The mails the customer received about ``amendment``."""
        return amendment.message_ids.filtered(
            lambda message: self.customer_user.partner_id in message.partner_ids
        )
