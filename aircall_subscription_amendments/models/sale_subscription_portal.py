# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A subscription in its customer's portal: its page (``portal.mixin``), what
the customer is told of the notice rule, and the one way a customer asks for a
change.

``portal_request_amendment(values)`` sends a request, ``portal_preview_amendment
(values)`` says what sending it would do (the wizard's preview). Both are
public: the portal's controller calls them in the customer's environment, and
an RPC client of a portal user gets the same answers. Both check the caller
(a portal user who reads the subscription through the record rules of
``base.group_portal``) and accept only ``REQUEST_KEYS``; the rest is the
amendment's own checks and plan, computed as superuser because a customer may
not read the accounting those read.
"""

from odoo import Command, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare
from odoo.tools.misc import format_date

from ..tools import APPLY_CONTEXT, check_dates, check_numbers, company_today, internal

#: what a customer's request may say: new quantities of the subscription's own
#: lines (0 removes one), not renewing, and the effective date
REQUEST_KEYS = ("effective_date", "cancel_renewal", "lines")
#: what each of its lines may say (``old_quantity``: the quantity the customer
#: saw; if the line changed since, the request is refused)
REQUEST_LINE_KEYS = ("subscription_line_id", "new_quantity", "old_quantity")
#: what customers never set: prices are negotiated with their account manager
PRICE_KEYS = ("price_unit", "discount", "new_price_unit", "new_discount")


class SaleSubscription(models.Model):
    _name = "sale.subscription"
    _inherit = ["sale.subscription", "portal.mixin"]

    def _compute_access_url(self):  # pylint: disable=missing-return
        super()._compute_access_url()
        for subscription in self:
            subscription.access_url = f"/my/subscriptions/{subscription.id}"

    # -- the customer's requests -----------------------------------------------

    def portal_request_amendment(self, values):
        """Send the customer's change request ``values`` on this subscription.

        ``values``: ``effective_date`` (default today), ``cancel_renewal``,
        ``lines``: ``[{"subscription_line_id": id, "new_quantity": q}]``. It
        becomes an amendment in the state ``requested``, dated today in the
        customer's timezone and submitted by them, which the salesperson
        confirms or refuses. Refused at once, and nothing is created, if
        applying it today would be (a late reduction, say). Returns its id.
        """
        vals = self._portal_amendment_values(values)
        amendments = self.env["sale.subscription.amendment"].sudo()
        return amendments._create_request(vals).id

    def portal_preview_amendment(self, values):
        """What sending ``portal_request_amendment(values)`` would do, as the
        wizard's preview says it: ``error`` (the refusal, or False),
        ``summary``, ``rows`` (per billed period: the change, the share, the
        document and its amount), ``total_credit``, ``total_invoice`` and
        ``notices`` (the notice rule in plain words), and ``applies_at_once``
        (an upgrade the company applies without waiting). Writes nothing."""
        vals = self._portal_amendment_values(values)
        preview = self.env["sale.subscription.amendment"].sudo()._preview(vals)
        words = self.env["sale.subscription.amendment.preview"].sudo()
        return dict(
            words._preview_values(preview),
            applies_at_once=not preview["error"]
            and preview["amendment"]._applies_at_once(),
        )

    def portal_withdraw_amendment(self, amendment_id):
        """Withdraw the customer's own change ``amendment_id`` of this
        subscription: a request not answered yet, or a change scheduled for a
        later day. Its customer's own: sent from the portal by one of the
        customer's users. Nothing was applied: it is cancelled."""
        self.ensure_one()
        self._ensure_portal_requester()
        amendment = self.sudo().amendment_ids.filtered(
            lambda amendment: type(amendment_id) is int and amendment.id == amendment_id
        )
        if not amendment or not self._is_customers_own(amendment):
            raise AccessError(
                self.env._(
                    "Only a change the customer sent from the portal can be "
                    "withdrawn here."
                )
            )
        if amendment.state not in ("requested", "scheduled"):
            raise UserError(
                self.env._(
                    "%(name)s is no longer waiting: only a request or a scheduled "
                    "change can be withdrawn.",
                    name=amendment.name,
                )
            )
        amendment._lock_for_apply()
        if amendment.state not in ("requested", "scheduled"):
            raise UserError(
                self.env._("%(name)s was applied meanwhile.", name=amendment.name)
            )
        internal(amendment, APPLY_CONTEXT).write({"state": "cancel"})
        self.env["sale.subscription.notes"].sudo()._log_withdrawn(
            amendment, self.env.user.partner_id.display_name
        )
        return True

    def _is_customers_own(self, amendment):
        """``amendment`` was sent by a portal user of this subscription's
        customer (the caller is one: ``_ensure_portal_requester``)."""
        submitter = amendment.sudo().user_id
        return bool(
            submitter._is_portal()
            and submitter.partner_id.commercial_partner_id
            == self.sudo().partner_id.commercial_partner_id
        )

    def _portal_amendment_values(self, values):
        """The amendment ``values`` asks for, as ``create`` takes it, once the
        caller and the shape of ``values`` are checked. The numbers, dates and
        the rest are the amendment's checks."""
        self.ensure_one()
        self._ensure_portal_requester()
        if not isinstance(values, dict):
            raise ValidationError(
                self.env._("A change request is a dictionary of values.")
            )
        self._ensure_known_keys(values, REQUEST_KEYS)
        cancel_renewal = values.get("cancel_renewal", False)
        if not isinstance(cancel_renewal, bool):
            raise ValidationError(self.env._("cancel_renewal must be true or false."))
        lines = values.get("lines") or []
        if not isinstance(lines, list | tuple):
            raise ValidationError(self.env._("lines must be a list."))
        vals = {
            "subscription_id": self.id,
            "cancel_renewal": cancel_renewal,
            "line_ids": [
                command
                for command in (self._portal_line_command(line) for line in lines)
                if command
            ],
        }
        if values.get("effective_date"):
            # as a client sent it: the preview builds a record from it
            check_dates(
                self.env["sale.subscription.amendment"], values, ("effective_date",)
            )
            vals["effective_date"] = values["effective_date"]
        self._ensure_no_open_request()
        return vals

    def _portal_line_command(self, line):
        """The amendment line of one requested line, or None if it changes
        nothing."""
        if not isinstance(line, dict):
            raise ValidationError(self.env._("Each line must be a dictionary."))
        if set(line) & set(PRICE_KEYS):
            raise AccessError(
                self.env._(
                    "Prices and discounts are not allowed in a change request: "
                    "ask your account manager."
                )
            )
        self._ensure_known_keys(line, REQUEST_LINE_KEYS)
        line_id = line.get("subscription_line_id")
        subscription_line = self.sudo().sale_subscription_line_ids.filtered(
            lambda sub_line: type(line_id) is int and sub_line.id == line_id
        )
        if not subscription_line or line.get("new_quantity") is None:
            raise ValidationError(
                self.env._(
                    "Each line gives the id of a line of %(subscription)s and its "
                    "new quantity.",
                    subscription=self.display_name,
                )
            )
        line_model = self.env["sale.subscription.amendment.line"]
        line_model._ensure_valid_input(line)
        check_numbers(line_model, line, ("old_quantity",))
        shown = line.get("old_quantity", subscription_line.product_uom_qty)
        if not float_compare(line["new_quantity"], shown, precision_digits=6):
            return None
        values = {
            "subscription_line_id": subscription_line.id,
            "new_quantity": line["new_quantity"],
        }
        if "old_quantity" in line:
            values["old_quantity"] = line["old_quantity"]
        return Command.create(values)

    def _ensure_known_keys(self, values, allowed):
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            raise AccessError(
                self.env._(
                    "A change request may only give %(allowed)s, not %(unknown)s.",
                    allowed=", ".join(allowed),
                    unknown=", ".join(map(str, unknown)),
                )
            )

    def _ensure_portal_requester(self):
        """The caller is a portal user who reads this subscription by their own
        rights: a user of the customer (the record rules of
        ``base.group_portal``), whatever record or superuser mode they hold."""
        self.ensure_one()
        user = self.env.user
        if not user._is_portal():
            raise AccessError(
                self.env._(
                    "Change requests are sent by the customer's portal users; "
                    "account managers amend the subscription."
                )
            )
        self.with_user(user).check_access("read")

    def _ensure_no_open_request(self):
        """At most one open request per subscription."""
        self.ensure_one()
        if (
            self.env["sale.subscription.amendment"]
            .sudo()
            .search_count(
                [("subscription_id", "=", self.id), ("state", "=", "requested")],
                limit=1,
            )
        ):
            raise UserError(self._open_request_message())

    def _open_request_message(self):
        return self.env._(
            "%(subscription)s already has an open change request: wait for its "
            "answer before sending another one.",
            subscription=self.display_name,
        )

    # -- what the customer is told -------------------------------------------

    def _portal_notice_facts(self):
        """The notice rule as it stands today, for the portal's pages:
        ``renewal_date`` and ``deadline`` (None without a contract term),
        ``days_left`` to reduce or cancel (None once the deadline has passed),
        ``reductions_from``: past the deadline, the renewal a reduction sent
        today can still be scheduled for, and ``notice``:
        all of it in a sentence, in the reader's language."""
        self.ensure_one()
        today = company_today(self.company_id)
        decision = self._notice_decision("downgrade", today)
        facts = {
            "renewal_date": decision.renewal_date,
            "deadline": decision.deadline,
            "timezone": self.sudo().company_id.amendment_timezone or "UTC",
            "days_left": None,
            "reductions_from": None,
        }
        if decision.deadline and decision.accepted:
            facts["days_left"] = (decision.deadline - today).days
        elif decision.deadline:
            # late for the coming renewal: on time for a later one
            facts["reductions_from"] = self._first_renewal_meeting(today)
        facts["notice"] = self._portal_notice_text(facts)
        return facts

    def _portal_notice_text(self, facts):
        env = self.env

        def day(value):
            return format_date(env, value)

        if not facts["deadline"]:
            return env._(
                "This subscription has no contract term: changes are accepted at "
                "any time."
            )
        if facts["days_left"] is not None:
            return env._(
                "Reductions and cancellations must be submitted by the end of "
                "%(deadline)s (%(timezone)s), the notice deadline, %(days)s days "
                "before the renewal date %(renewal)s: %(left)s day(s) left. "
                "Upgrades (more users or numbers) are accepted at any time.",
                deadline=day(facts["deadline"]),
                timezone=facts["timezone"],
                days=self.notice_days,
                renewal=day(facts["renewal_date"]),
                left=facts["days_left"],
            )
        text = env._(
            "The notice deadline, the end of %(deadline)s (%(timezone)s), has "
            "passed: until the renewal date %(renewal)s, only upgrades (more users "
            "or numbers) are accepted, and the contract renews under its current "
            "terms.",
            deadline=day(facts["deadline"]),
            timezone=facts["timezone"],
            renewal=day(facts["renewal_date"]),
        )
        if facts["reductions_from"]:
            text += " " + env._(
                "A reduction or a cancellation sent now can still be scheduled for "
                "the renewal of %(date)s.",
                date=day(facts["reductions_from"]),
            )
        return text
