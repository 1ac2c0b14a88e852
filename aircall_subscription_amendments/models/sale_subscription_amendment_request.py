# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A customer's change request: an amendment in the state ``requested``.

The portal creates it through ``sale.subscription.portal_request_amendment``
(sale_subscription_portal.py), which checked the customer and their values; it
is judged at once by the amendment's own checks (``_validate_and_plan``, the
notice rule on its ``request_date``), so a late reduction is refused before
anything is created. The salesperson confirms it (``action_apply``, the usual
path) or refuses it with a reason (``action_refuse``); the customer is told by
a mail template, in their language.
"""

import psycopg2.errors

from odoo import api, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, mute_logger

from ..tools import (
    APPLY_CONTEXT,
    REQUEST_ACTIVITY,
    REQUEST_CONTEXT,
    internal,
)

#: the mail a customer gets when their request is answered
ANSWER_TEMPLATES = {
    "confirmed": "aircall_subscription_amendments.mail_template_amendment_request_confirmed",
    "refused": "aircall_subscription_amendments.mail_template_amendment_request_refused",
}
#: at most one open request per subscription, whatever runs concurrently
OPEN_REQUEST_INDEX = "sale_subscription_amendment_one_open_request"


class SaleSubscriptionAmendment(models.Model):
    # one model, split by job on purpose (README, Architecture)
    _inherit = "sale.subscription.amendment"  # pylint: disable=consider-merging-classes-inherited

    def init(self):
        result = super().init()
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (subscription_id) "
                "WHERE state = 'requested'",
                SQL.identifier(OPEN_REQUEST_INDEX),
                SQL.identifier(self._table),
            )
        )
        return result

    @api.model
    def _create_request(self, vals):
        """Create the request ``vals`` describes, as its customer sent it.

        ``vals``: values of ``create`` that ``sale.subscription.
        _portal_amendment_values`` made (no request date, state or submitter:
        today in the customer's timezone, ``requested``, the customer). Judged
        now, all or nothing; an upgrade applies at once if the company says so.
        Called as superuser (a portal user has no write access): the customer
        was checked, and is checked again when the amendment is created.
        """
        with self.env.cr.savepoint():
            amendment = internal(self, REQUEST_CONTEXT).create(vals).with_env(self.env)
            self._ensure_prepared_quantities(vals)
            amendment._validate_and_plan()
            amendment._mark_requested()
        if amendment._applies_at_once():
            amendment._apply()
            amendment._answer_request()
        else:
            self.env["sale.subscription.notes"]._log_request(amendment)
        return amendment

    def _mark_requested(self):
        """A draft amendment becomes a request; a second open request of the
        same subscription is refused (by a unique index when two race)."""
        self.subscription_id._ensure_no_open_request()
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                internal(self, APPLY_CONTEXT).write({"state": "requested"})
                self.flush_recordset(["state"])
        except psycopg2.errors.UniqueViolation:
            raise UserError(self.subscription_id._open_request_message()) from None

    def _applies_at_once(self):
        """An upgrade requested from the portal, in a company that applies
        them without waiting for a confirmation."""
        self.ensure_one()
        return bool(
            self.amendment_type == "upgrade"
            and self.company_id.amendment_portal_apply_upgrades
        )

    def action_refuse(self, reason):
        """Refuse customers' requests, with ``reason``: the customers read it."""
        self._ensure_amendment_user()
        self.check_access("write")
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError(
                self.env._("Give the customer the reason of the refusal.")
            )
        for amendment in self:
            if amendment.state != "requested":
                raise UserError(
                    self.env._(
                        "Only a customer's open request can be refused; "
                        "%(name)s is not one.",
                        name=amendment.name,
                    )
                )
        internal(self, APPLY_CONTEXT).write(
            {"state": "refused", "refusal_reason": reason.strip()}
        )
        self._answer_request()
        return True

    def _answer_request(self):
        """Tell the customers their requests were answered: confirmed (done or
        scheduled) or refused, by mail, and close the salesperson's activity."""
        for amendment in self:
            answer = "refused" if amendment.state == "refused" else "confirmed"
            amendment.activity_feedback([REQUEST_ACTIVITY])
            amendment.message_post_with_source(
                ANSWER_TEMPLATES[answer], subtype_xmlid="mail.mt_comment"
            )
