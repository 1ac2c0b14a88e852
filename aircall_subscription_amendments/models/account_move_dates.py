# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""No amendment document dated before the document it corrects.

At posting: the draft amendment documents follow the invoice they correct
(``_date_amendment_drafts``); an invoice is not posted on a date after the
posted amendment documents that correct it (``_ensure_not_after_corrections``).
"""

from odoo import fields, models
from odoo.exceptions import UserError

from ..tools import DERIVED_WRITE, internal


class AccountMove(models.Model):
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    def _post(self, soft=True):
        self._date_amendment_drafts()
        posted = super()._post(soft)
        posted._match_subscription_credit_notes()
        return posted

    def _date_amendment_drafts(self):
        """No amendment document is dated before the document it corrects.

        Before posting: the draft amendment documents that correct the period
        invoices posted now (dated today by Odoo if they had no date, or
        re-dated by the accountant) move to their date, and the drafts that
        correct those drafts (the credit notes of an upgrade invoice) follow;
        an amendment's draft posted now moves to the date of the one it
        corrects (an upgrade invoice, of its period's invoice). A draft that
        keeps the number it was posted with is not moved into another
        sequence period (its number would not match: the accountant re-dates
        it). An invoice dated after a posted amendment document that corrects
        it is refused (``_ensure_not_after_corrections``). No query unless
        subscription invoices or upgrade invoices are posted, one then.
        """
        drafts = self.filtered(lambda move: move.state == "draft")
        invoices = drafts.filtered(
            lambda move: (
                move.move_type == "out_invoice"
                and move.subscription_billed_id
                and not move.amendment_id
            )
        )
        corrections = drafts.filtered("amendment_id")
        if not invoices and not corrections:
            return
        today = fields.Date.context_today(self)
        posted = self.browse()
        if invoices:
            found = (
                self.sudo()
                .search(
                    [
                        ("amendment_id", "!=", False),
                        ("state", "in", ("draft", "posted")),
                        (
                            "subscription_billed_id",
                            "in",
                            invoices.subscription_billed_id.ids,
                        ),
                        (
                            "subscription_period_start",
                            "in",
                            invoices.mapped("subscription_period_start"),
                        ),
                    ],
                    order="id",
                )
                .with_env(self.env)
            )
            corrections |= found.filtered(lambda move: move.state == "draft")
            posted = found - corrections

        def dated(move):
            return move.invoice_date or (today if move in drafts else move.date)

        invoices._ensure_not_after_corrections(posted, dated)
        periods = {}
        upgrades = corrections.filtered(lambda move: move.move_type == "out_invoice")
        # an upgrade invoice posted without its period's invoice: that one's date
        for invoice in invoices | invoices._period_invoices_of(upgrades):
            key = (invoice.subscription_billed_id, invoice.subscription_period_start)
            periods[key] = max(periods.get(key, dated(invoice)), dated(invoice))
        # the upgrade invoices first: their credit notes follow them
        for move in corrections.sorted(lambda m: (m.move_type != "out_invoice", m.id)):
            if move.move_type == "out_invoice":
                floor = periods.get(
                    (move.subscription_billed_id, move.subscription_period_start)
                )
            else:
                floor = move.reversed_entry_id and dated(move.reversed_entry_id)
            if (
                floor
                and move.invoice_date
                and move.invoice_date < floor
                and move._keeps_sequence_on(floor)
            ):
                internal(move, DERIVED_WRITE).invoice_date = floor

    def _ensure_not_after_corrections(self, posted, dated):
        """Refuse to post these invoices (``dated(invoice)``: the date they
        are posted on) after a posted amendment document that corrects them
        (among ``posted``: a credit note of one, an upgrade invoice of the
        period of one that replaces none): the correction would be dated
        before the invoice it corrects. The accountant resets it to draft
        first (it then follows the invoice's date) or keeps the date."""
        for invoice in self:
            day = dated(invoice)
            early = posted.filtered(
                lambda move, invoice=invoice, day=day: (
                    move.invoice_date
                    and move.invoice_date < day
                    and (
                        move.reversed_entry_id == invoice
                        or (
                            move.move_type == "out_invoice"
                            and not move.reversed_entry_id
                            and not invoice.subscription_replaced_id
                            and move.subscription_billed_id
                            == invoice.subscription_billed_id
                            and move.subscription_period_start
                            == invoice.subscription_period_start
                        )
                    )
                )
            )
            if early:
                raise UserError(
                    self.env._(
                        "%(invoice)s cannot be dated %(date)s: posted amendment "
                        "documents that correct it are dated before (%(documents)s). "
                        "Reset them to draft first (they then take its date), or "
                        "date it on or before %(first)s.",
                        invoice=invoice.display_name,
                        date=day,
                        documents=", ".join(early.mapped("display_name")),
                        first=min(early.mapped("invoice_date")),
                    )
                )

    def _keeps_sequence_on(self, day):
        """Whether this move's number (if it has kept the one it was posted
        with) still matches its sequence once dated ``day``."""
        self.ensure_one()
        if not self.name or self.name == "/":
            return True
        values = self._get_sequence_format_param(self.name)[1]
        if values["year"] and not self._year_match(values["year"], day.year):
            return False
        if values["year_end"] and not self._year_match(values["year_end"], day.year):
            return False
        return not values["month"] or values["month"] == day.month

    def _period_invoices_of(self, upgrades):
        """The invoices of the periods of these upgrade invoices, but for the
        periods of ``self`` (invoices: one query, none when they cover all)."""

        def period(move):
            return move.subscription_billed_id, move.subscription_period_start

        known = {period(move) for move in self}
        upgrades = upgrades.filtered(lambda move: period(move) not in known)
        if not upgrades:
            return self.browse()
        domain = [
            ("move_type", "=", "out_invoice"),
            ("amendment_id", "=", False),
            ("state", "!=", "cancel"),
            ("subscription_billed_id", "in", upgrades.subscription_billed_id.ids),
            (
                "subscription_period_start",
                "in",
                upgrades.mapped("subscription_period_start"),
            ),
        ]
        return self.sudo().search(domain).with_env(self.env)._period_invoices()
