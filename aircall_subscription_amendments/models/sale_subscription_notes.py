# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What the addon writes in chatters, and the activities it schedules (the
notice reminder, a customer's request): every note's words in one place, in the
language of the one who reads them."""

from markupsafe import Markup

from odoo import api, models
from odoo.tools import float_compare
from odoo.tools.misc import format_date, formatLang

from ..tools import REMINDER_ACTIVITY, REQUEST_ACTIVITY, format_quantity


class SaleSubscriptionNotes(models.AbstractModel):
    _name = "sale.subscription.notes"
    _description = "Chatter notes of subscription amendments"

    # -- amendments --------------------------------------------------------------

    @api.model
    def _log_applied(self, amendments):
        """Who changed what, and when, on the amendments and their subscriptions.

        Logged in one batch per model (a note notifies no one, so
        ``message_post`` would only add queries).
        """
        amendments.move_ids.mapped("name")  # one read of the documents
        notes = {amendment: self._applied_note(amendment) for amendment in amendments}
        amendments._message_log_batch(
            bodies={amendment.id: note for amendment, note in notes.items()}
        )
        # a subscription amended twice in the batch gets one note per amendment
        rounds = []
        for amendment, note in notes.items():
            subscription_id = amendment.subscription_id.id
            body = Markup("%s<p>%s</p>") % (note, amendment._get_html_link())
            batch = next(
                (batch for batch in rounds if subscription_id not in batch), None
            )
            if batch is None:
                batch = {}
                rounds.append(batch)
            batch[subscription_id] = body
        for bodies in rounds:
            amendments.subscription_id.browse(list(bodies))._message_log_batch(
                bodies=bodies
            )

    @api.model
    def _applied_note(self, amendment):
        """What the amendment changed and which documents it made."""
        env = amendment.env
        changes = Markup("").join(
            Markup("<li>%s</li>") % line._change_label()
            for line in amendment.line_ids
            if float_compare(line.old_quantity, line.new_quantity, precision_digits=6)
            or line._reprices()
        )
        if amendment.cancel_renewal:
            changes += Markup("<li>%s</li>") % env._(
                "Does not renew at the end of the term"
            )
        documents = Markup(", ").join(
            move._get_html_link(
                title=move.name if move.name != "/" else move.display_name
            )
            for move in amendment.move_ids
        )
        body = Markup("<p>%s</p><ul>%s</ul>") % (
            env._(
                "Amendment %(amendment)s, submitted by %(submitter)s on "
                "%(request_date)s, applied by %(user)s, effective %(date)s.",
                amendment=amendment.name,
                submitter=amendment.user_id.name,
                request_date=format_date(env, amendment.request_date),
                user=env.user.name,
                date=format_date(env, amendment.effective_date),
            ),
            changes,
        )
        if documents:
            body += Markup("<p>%s %s</p>") % (env._("Documents:"), documents)
        if (
            amendment.override_reason
            and not amendment.subscription_id._notice_decision(
                amendment.amendment_type, amendment.request_date
            ).accepted
        ):
            body += Markup("<p>%s</p>") % env._(
                "Late change accepted by an administrator after the notice deadline "
                "%(deadline)s: %(reason)s",
                deadline=format_date(env, amendment.notice_deadline),
                reason=amendment.override_reason,
            )
        return body

    @api.model
    def _log_not_applied(self, amendment, day, error):
        """A scheduled amendment the cron could not apply, and why."""
        amendment.message_post(
            body=amendment.env._(
                "Not applied on %(date)s, and cancelled: %(error)s",
                date=format_date(amendment.env, day),
                error=str(error),
            )
        )

    @api.model
    def _log_request(self, amendment):
        """A customer's request from the portal: noted on the subscription, and
        an activity for its salesperson (in their language) to answer it."""
        customer = amendment.user_id.partner_id.display_name
        amendment.subscription_id._message_log(
            body=Markup("<p>%s</p><p>%s</p>")
            % (
                amendment.env._(
                    "Change request %(amendment)s sent by %(customer)s from the "
                    "customer portal on %(date)s.",
                    amendment=amendment.name,
                    customer=customer,
                    date=format_date(amendment.env, amendment.request_date),
                ),
                amendment._get_html_link(),
            )
        )
        user = amendment.subscription_id.user_id
        if not user:
            return
        amendment = amendment.with_context(lang=user.lang or self.env.lang)
        env = amendment.env
        amendment.activity_schedule(
            REQUEST_ACTIVITY,
            summary=env._("Change request from %(customer)s", customer=customer),
            note=Markup("<p>%s</p>")
            % env._(
                "%(customer)s asks for %(amendment)s on %(subscription)s, effective "
                "%(date)s. Confirm it to apply it (its request date, %(request)s, "
                "is the one the notice rule counts), or refuse it with a reason "
                "the customer will read.",
                customer=customer,
                amendment=amendment.name,
                subscription=amendment.subscription_id.display_name,
                date=format_date(env, amendment.effective_date),
                request=format_date(env, amendment.request_date),
            ),
            user_id=user.id,
        )

    @api.model
    def _log_withdrawn(self, amendment, customer):
        """``customer`` (a name) withdrew their request or scheduled change."""
        amendment.activity_unlink([REQUEST_ACTIVITY])
        amendment.subscription_id._message_log(
            body=Markup("<p>%s</p><p>%s</p>")
            % (
                amendment.env._(
                    "%(amendment)s, effective %(date)s, withdrawn by %(customer)s "
                    "from the customer portal.",
                    amendment=amendment.name,
                    date=format_date(amendment.env, amendment.effective_date),
                    customer=customer,
                ),
                amendment._get_html_link(),
            )
        )

    # -- running contracts -------------------------------------------------------

    @api.model
    def _log_direct_line_edit(self, subscription, changes):
        """An administrator's direct line edit; ``changes``: (product, old
        terms, new terms) tuples, terms being the line's ``_terms()`` or False
        (no line)."""
        if not changes:
            return
        env = subscription.env

        def terms(value, row_product):
            if not value:
                return "—"
            quantity, price, discount, product = value
            price = formatLang(env, price, currency_obj=subscription.currency_id)
            label = f"{format_quantity(env, quantity)} × {price}"
            if discount:
                label += f" (−{format_quantity(env, discount)} %)"
            if product != row_product:
                label += f" ({product.display_name})"
            return label

        items = Markup("").join(
            Markup("<li>%s: %s → %s</li>")
            % (product.display_name, terms(old, product), terms(new, product))
            for product, old, new in changes
        )
        subscription.message_post(
            body=Markup("<p>%s</p><ul>%s</ul>")
            % (
                env._(
                    "Lines changed directly by %(user)s, administrator, without an "
                    "amendment (no credit note or invoice was generated):",
                    user=env.user.name,
                ),
                items,
            )
        )

    @api.model
    def _log_override(self, subscription, changes, reason):
        """An administrator's direct change of a running contract that lowers
        what it is worth or moves its dates, with their reason; ``changes``:
        what it does, in words."""
        env = subscription.env
        subscription.message_post(
            body=Markup("<p>%s</p><ul>%s</ul>")
            % (
                env._(
                    "Changed directly by %(user)s, administrator, with the reason: "
                    "%(reason)s",
                    user=env.user.name,
                    reason=reason,
                ),
                Markup("").join(Markup("<li>%s</li>") % change for change in changes),
            )
        )

    @api.model
    def _log_posted_corrections(self, invoice, documents):
        """A cancelled period invoice still corrected by posted amendment
        documents: the accountant reverses them."""
        invoice.message_post(
            body=Markup("<p>%s</p><ul>%s</ul>")
            % (
                invoice.env._(
                    "This invoice is cancelled, but these amendment documents "
                    "correcting it are posted: reverse them if they no longer "
                    "stand (they are listed in Check invoices)."
                ),
                Markup("").join(
                    Markup("<li>%s</li>") % document._get_html_link()
                    for document in documents
                ),
            )
        )

    @api.model
    def _log_late_cancellation(self, subscription, decision, reason):
        env = subscription.env
        subscription.message_post(
            body=Markup("<p>%s</p>")
            % env._(
                "Late cancellation accepted by %(user)s, administrator, after the "
                "notice deadline %(deadline)s: %(reason)s",
                user=env.user.name,
                deadline=format_date(env, decision.deadline),
                reason=reason,
            )
        )

    # -- terms -------------------------------------------------------------------

    @api.model
    def _log_not_renewed(self, subscription, renewal):
        subscription.message_post(
            body=subscription.env._(
                "Not renewed: the contract was cancelled and is closed on its "
                "renewal date %(renewal)s.",
                renewal=format_date(subscription.env, renewal),
            )
        )

    @api.model
    def _log_renewed(self, subscription):
        subscription.message_post(
            body=subscription.env._(
                "New contract term under the current terms, until %(renewal)s.",
                renewal=format_date(subscription.env, subscription.renewal_date),
            )
        )

    @api.model
    def _schedule_notice_reminder(self, subscription):
        """The activity reminding the responsible user of the notice deadline,
        in their language."""
        user = subscription.user_id
        subscription = subscription.with_context(lang=user.lang or self.env.lang)
        env = subscription.env
        deadline = format_date(env, subscription.notice_deadline)
        subscription.activity_schedule(
            REMINDER_ACTIVITY,
            date_deadline=subscription.notice_deadline,
            summary=env._("Notice deadline on %(deadline)s", deadline=deadline),
            note=Markup("<p>%s</p>")
            % env._(
                "%(deadline)s is the last day to submit a reduction or a "
                "cancellation of %(subscription)s, until the end of the day "
                "(%(timezone)s). Without one, the contract renews under its current "
                "terms on %(renewal)s.",
                deadline=deadline,
                timezone=subscription.sudo().company_id.amendment_timezone or "UTC",
                subscription=subscription.display_name,
                renewal=format_date(env, subscription.renewal_date),
            ),
            user_id=user.id,
        )
