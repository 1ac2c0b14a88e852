# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The customer portal's subscription pages, on Odoo's ``CustomerPortal``.

- ``/my/subscriptions``: the subscriptions of the customer (their commercial
  partner), searched in the portal user's environment;
- ``/my/subscriptions/<id>``: one subscription, read-only; an access token
  opens it too;
- ``/my/subscriptions/<id>/request``: the change request form (a logged-in
  portal user, and CSRF on its POST). It turns the form into values and calls
  ``portal_preview_amendment`` or ``portal_request_amendment`` in the user's
  environment: the model decides everything, the controller writes nothing.

Records are read as superuser (``.sudo()``, or ``_document_check_access``) only
to be displayed, once the user's own access or the token was checked.
"""

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..tools import company_today, format_quantity

HISTORY = "my_subscriptions_history"


class SubscriptionPortal(CustomerPortal):
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "subscription_count" in counters:
            subscriptions = request.env["sale.subscription"]
            values["subscription_count"] = (
                subscriptions.search_count(self._subscriptions_domain())
                if subscriptions.has_access("read")
                else 0
            )
        return values

    def _subscriptions_domain(self):
        partner = request.env.user.partner_id
        return [("partner_id", "child_of", [partner.commercial_partner_id.id])]

    def _subscription_searchbar_sortings(self):
        return {
            "renewal": {
                "label": request.env._("Renewal date"),
                "order": "renewal_date, id desc",
            },
            "name": {"label": request.env._("Reference"), "order": "name, id desc"},
        }

    # -- the list ----------------------------------------------------------------

    @http.route(
        ["/my/subscriptions", "/my/subscriptions/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_subscriptions(self, page=1, sortby=None, **kw):
        values = self._prepare_portal_layout_values()
        subscriptions = request.env["sale.subscription"]
        domain = self._subscriptions_domain()
        sortings = self._subscription_searchbar_sortings()
        sortby = sortby if sortby in sortings else "renewal"
        readable = subscriptions.has_access("read")
        pager = portal_pager(
            url="/my/subscriptions",
            url_args={"sortby": sortby},
            total=subscriptions.search_count(domain) if readable else 0,
            page=page,
            step=self._items_per_page,
        )
        if readable:
            subscriptions = subscriptions.search(
                domain,
                order=sortings[sortby]["order"],
                limit=self._items_per_page,
                offset=pager["offset"],
            )
        request.session[HISTORY] = subscriptions.ids[:100]
        values.update(
            {
                "subscriptions": subscriptions.sudo(),
                "facts": {
                    subscription.id: subscription._portal_notice_facts()
                    for subscription in subscriptions.sudo()
                },
                "page_name": "subscription",
                "quantity": self._quantity_formatter(),
                "pager": pager,
                "default_url": "/my/subscriptions",
                "searchbar_sortings": sortings,
                "sortby": sortby,
            }
        )
        return request.render(
            "aircall_subscription_amendments.portal_my_subscriptions", values
        )

    # -- one subscription, read-only ---------------------------------------------

    @http.route(
        ["/my/subscriptions/<int:subscription_id>"],
        type="http",
        auth="public",
        website=True,
    )
    def portal_subscription_page(
        self, subscription_id, access_token=None, message=None, **kw
    ):
        try:
            subscription_sudo = self._document_check_access(
                "sale.subscription", subscription_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        subscription = request.env["sale.subscription"].browse(subscription_sudo.id)
        documents = request.env["account.move"]
        if documents.has_access("read"):
            # the user's own documents (posted, of their customer): not the token's
            documents = documents.search(
                [
                    ("subscription_id", "=", subscription.id),
                    ("state", "=", "posted"),
                    ("move_type", "in", ("out_invoice", "out_refund")),
                ],
                order="invoice_date desc, id desc",
            )
        values = self._subscription_values(subscription_sudo)
        values.update(
            {
                "documents": documents,
                "may_request": self._may_request(subscription),
                "message": message,
                "amendments": subscription_sudo.amendment_ids.filtered(
                    lambda amendment: amendment.state not in ("draft", "cancel")
                ),
            }
        )
        values = self._get_page_view_values(
            subscription_sudo, access_token, values, HISTORY, False
        )
        return request.render(
            "aircall_subscription_amendments.portal_subscription_page", values
        )

    def _subscription_values(self, subscription_sudo):
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "subscription",
                "quantity": self._quantity_formatter(),
                "subscription": subscription_sudo,
                "facts": subscription_sudo._portal_notice_facts(),
                "open_request": subscription_sudo.amendment_ids.filtered(
                    lambda amendment: amendment.state == "requested"
                ),
            }
        )
        return values

    @staticmethod
    def _quantity_formatter():
        """10, 2.5, or 2,5 in French: a quantity as the customer reads it."""
        return lambda value: format_quantity(request.env, value)

    def _may_request(self, subscription):
        """Whether the visitor may open the request form: a portal user of the
        customer, by their own rights (not a token's), on a running contract."""
        user = request.env.user
        return bool(
            user._is_portal()
            and subscription.has_access("read")
            and subscription.sudo().in_progress
        )

    # -- the change request --------------------------------------------------------

    @http.route(
        ["/my/subscriptions/<int:subscription_id>/request"],
        type="http",
        auth="user",
        website=True,
        methods=["GET", "POST"],
    )
    def portal_subscription_request(self, subscription_id, **post):
        subscription = request.env["sale.subscription"].browse(subscription_id)
        try:
            subscription.check_access("read")
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._subscription_values(subscription.sudo())
        values.update(
            {
                "may_request": self._may_request(subscription),
                "form": post,
                "today": company_today(subscription.sudo().company_id),
                "preview": None,
                "error": None,
            }
        )
        if request.httprequest.method == "POST":
            action = post.get("action")
            if action == "schedule" and post.get("schedule_date"):
                # the next renewal the change is on time for: previewed for it
                post = dict(post, effective_date=post["schedule_date"])
                values["form"] = post
                action = "preview"
            request_values = self._request_values_from_form(post)
            try:
                if action == "send":
                    amendment = request.env["sale.subscription.amendment"].browse(
                        subscription.portal_request_amendment(request_values)
                    )
                    answered = amendment.state in ("done", "scheduled")
                    return request.redirect(
                        f"{subscription.access_url}?message="
                        + ("applied" if answered else "sent")
                    )
                if action == "preview":
                    values["preview"] = subscription.portal_preview_amendment(
                        request_values
                    )
            except (AccessError, UserError, ValidationError) as error:
                values["error"] = error.args[0]
        return request.render(
            "aircall_subscription_amendments.portal_subscription_request", values
        )

    @http.route(
        ["/my/subscriptions/<int:subscription_id>/withdraw"],
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def portal_subscription_withdraw(self, subscription_id, amendment_id=None, **post):
        """Withdraw one of the customer's own waiting changes (the model
        checks who and which)."""
        subscription = request.env["sale.subscription"].browse(subscription_id)
        try:
            subscription.check_access("read")
        except (AccessError, MissingError):
            return request.redirect("/my")
        try:
            subscription.portal_withdraw_amendment(
                int(amendment_id) if (amendment_id or "").isdigit() else None
            )
        except (AccessError, UserError, ValidationError):
            return request.redirect(f"{subscription.access_url}?message=not_withdrawn")
        return request.redirect(f"{subscription.access_url}?message=withdrawn")

    def _request_values_from_form(self, post):
        """The form's fields as ``portal_request_amendment`` takes them:
        ``quantity_<line id>``, ``remove_<line id>``, ``old_quantity_<line
        id>``, ``cancel_renewal``, ``effective_date``. Only the shape changes
        here; what is allowed is the model's to say."""
        lines = []
        for key, value in post.items():
            line_id = key.removeprefix("quantity_")
            if line_id == key or not line_id.isdigit():
                continue
            line = {
                "subscription_line_id": int(line_id),
                "new_quantity": 0.0
                if post.get(f"remove_{line_id}")
                else self._form_number(value),
            }
            if f"old_quantity_{line_id}" in post:
                line["old_quantity"] = self._form_number(
                    post[f"old_quantity_{line_id}"]
                )
            lines.append(line)
        return {
            "effective_date": post.get("effective_date") or False,
            "cancel_renewal": bool(post.get("cancel_renewal")),
            "lines": lines,
        }

    @staticmethod
    def _form_number(text):
        """A number typed in the form (a decimal comma too), or the text itself
        when it is none: the model refuses it, with its message."""
        try:
            return float(text.strip().replace(",", "."))
        except ValueError:
            return text
