# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The ledger: what a subscription's documents billed and credited.

Read from the accounting, whatever accountants did to the documents: posted and
draft documents count, cancelled ones do not; a credit note counts against the
document it reverses (``reversed_entry_id``), be it an amendment's, one made
with Odoo's reversal, or the reversal of a reverse-and-replace. Per billed
period, per document, per subscription line: the units and the amount it
billed, net of the credits against it. The rules get these as plain values.
"""

import logging
from collections import defaultdict
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models

from .. import rules
from ..tools import DERIVED_WRITE, internal

_logger = logging.getLogger(__name__)


class SaleSubscriptionLedger(models.AbstractModel):
    _name = "sale.subscription.ledger"
    _description = "What subscriptions billed and credited"

    # -- reading ---------------------------------------------------------------

    @api.model
    def _documents(self, subscriptions, from_date):
        """The documents of the periods of ``subscriptions`` that end after
        ``from_date``: the billing documents stamped with their period, and
        every credit note against them. Read whole (sudo): the ledger does not
        depend on who asks. Not cancelled."""
        moves = self.env["account.move"].sudo()
        billing = moves.search(
            [
                ("subscription_billed_id", "in", subscriptions.ids),
                ("subscription_period_next_start", ">", from_date),
                ("move_type", "=", "out_invoice"),
                ("state", "!=", "cancel"),
            ],
            order="id",
        )
        credits = (
            moves.search(
                [
                    ("reversed_entry_id", "in", billing.ids),
                    ("move_type", "=", "out_refund"),
                    ("state", "!=", "cancel"),
                ],
                order="id",
            )
            if billing
            else moves
        )
        (billing | credits).invoice_line_ids.fetch(
            [
                "move_id",
                "subscription_line_id",
                "subscription_price_unit",
                "subscription_rounding",
                "quantity",
                "price_unit",
                "discount",
                # what an amendment's document line copies from the line it corrects
                "tax_ids",
                "account_id",
                "product_uom_id",
                "analytic_distribution",
            ]
        )
        return billing, credits

    @api.model
    def _billed_periods(self, subscription, from_date, currency_date=None):
        """The billed periods of ``subscription`` that end after ``from_date``,
        as the rules take them (``rules.BilledPeriod``), in the order of their
        start. ``currency_date``: the day new units are converted into a
        period's currency (default: today)."""
        billing, credits = self._documents(subscription, from_date)
        credits_by_document = credits.grouped("reversed_entry_id")
        by_period = defaultdict(lambda: billing.browse())
        for move in billing:
            by_period[
                move.subscription_period_start, move.subscription_period_next_start
            ] |= move
        periods = []
        for (start, next_start), documents in sorted(by_period.items()):
            # the period's invoice: the newest one that no amendment issued (a
            # replacement is newer than the invoice it replaces)
            issuers = {move: move._issuing_amendment() for move in documents}
            invoices = documents.filtered(
                lambda move, issuers=issuers: not issuers[move]
            )
            invoice = invoices[-1:] or documents[:1]
            later = (documents - invoice).sorted("id", reverse=True)
            periods.append(
                rules.BilledPeriod(
                    invoice_ref=invoice.id,
                    start=start,
                    next_start=next_start,
                    lines=self._invoiced_lines(invoice, credits_by_document),
                    documents=tuple(
                        rules.BilledDocument(
                            ref=document.id,
                            billed_from=issuers[document].effective_date or None,
                            lines=self._invoiced_lines(document, credits_by_document),
                        )
                        for document in later
                    ),
                    rate=self._rate(subscription, invoice, currency_date),
                )
            )
        return periods

    @api.model
    def _invoiced_lines(self, document, credits_by_document):
        """What ``document`` billed per subscription line, net of its credits."""
        units, amounts, prices, refs = (
            defaultdict(Decimal),
            defaultdict(Decimal),
            {},
            {},
        )
        credits = credits_by_document.get(document, document.browse())
        for move, sign in ((document, 1), *((credit, -1) for credit in credits)):
            for line in move.invoice_line_ids.filtered("subscription_line_id"):
                key = line.subscription_line_id.id
                amounts[key] += sign * line._amendment_net_amount()
                if line.subscription_rounding:
                    continue
                units[key] += sign * rules.to_decimal(line.quantity)
                if move == document and key not in prices:
                    prices[key] = line._amendment_full_price()
                    refs[key] = line.id
        return tuple(
            rules.InvoicedLine(
                key=key,
                price_unit=prices[key],
                quantity=units[key],
                remaining_amount=amounts[key],
                ref=refs[key],
            )
            for key in prices
        )

    @api.model
    def _rate(self, subscription, invoice, day=None):
        """Units of ``invoice``'s currency per unit of the subscription's."""
        source, target = subscription.currency_id, invoice.currency_id
        if not source or not target or source == target:
            return Decimal(1)
        rate = source._get_conversion_rate(
            source, target, invoice.company_id, day or fields.Date.context_today(self)
        )
        return rules.to_decimal(rate)

    # -- adoption: invoices billed before the addon ------------------------------

    @api.model
    def _adopt_invoices(self, subscriptions=None):
        """Stamp the billed period of the subscriptions' invoices that have none.

        subscription_oca's invoices (``account.move.subscription_id``, or those
        of the sale orders of its sale-and-invoice mode) made before this addon
        was installed say nothing of the period they bill. One is stamped when
        its period is unambiguous: its invoice date falls on a recurrence
        boundary counted back from the next invoice date, and no other invoice
        of the subscription falls on it. Its lines are linked to the
        subscription lines they bill. Returns the invoices left unstamped, for
        an administrator to look at.
        """
        if subscriptions is None:
            subscriptions = (
                self.env["sale.subscription"].with_context(active_test=False).search([])
            )
        subscriptions = subscriptions.sudo()
        unknown = self.env["account.move"].sudo()
        for subscription in subscriptions:
            invoices = subscription._billing_moves().filtered(
                lambda move: (
                    move.move_type == "out_invoice"
                    and move.state != "cancel"
                    and not move.subscription_billed_id
                    and not move.amendment_id
                )
            )
            if not invoices:
                continue
            periods = self._recurrence_periods(subscription, invoices)
            on_boundary = invoices.grouped(
                lambda move, periods=periods: periods.get(
                    move.invoice_date or move.date
                )
            )
            for period, moves in on_boundary.items():
                if period is None or len(moves) > 1:
                    unknown |= moves
                    continue
                self._stamp(subscription, moves, *period)
        return unknown

    @api.model
    def _stamp(self, subscription, moves, start, next_start):
        """Record on ``moves`` that they bill ``subscription``'s period ``[start,
        next_start)``, and link their lines to the subscription lines they bill."""
        internal(moves, DERIVED_WRITE).write(
            {
                "subscription_billed_id": subscription.id,
                "subscription_period_start": start,
                "subscription_period_next_start": next_start,
            }
        )
        for move in moves:
            # each subscription line is matched once per invoice
            move.invoice_line_ids._link_subscription_lines(
                subscription.sale_subscription_line_ids
            )
        moves.invoice_line_ids._stamp_subscription_period(
            start, fields.Date.subtract(next_start, days=1)
        )

    @api.model
    def _recurrence_periods(self, subscription, invoices):
        """{boundary: (boundary, next boundary)}, counted back from the next
        invoice date down to the oldest of ``invoices``."""
        next_date = subscription.recurring_next_date
        template = subscription.template_id
        if not next_date or not template.recurring_interval:
            return {}
        step = relativedelta(
            **{template.recurring_rule_type: int(template.recurring_interval)}
        )
        oldest = min(invoices.mapped(lambda move: move.invoice_date or move.date))
        periods, boundary = {}, next_date
        while boundary > oldest:
            previous = boundary - step
            periods[previous] = (previous, boundary)
            boundary = previous
        return periods

    @api.model
    def _repair_boundaries(self):
        """subscription_oca's unlimited subscriptions whose boundary flag was
        left empty (a form that sent an empty end date): its cron would compare
        that empty end date with today."""
        broken = (
            self.env["sale.subscription"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("template_id.recurring_rule_boundary", "=", "unlimited"),
                    ("recurring_rule_boundary", "=", False),
                    ("date", "=", False),
                ]
            )
        )
        # subscription_oca's computed flag: a derived value, written as bookkeeping
        internal(broken, DERIVED_WRITE).write({"recurring_rule_boundary": True})
        return broken

    # -- repair of what earlier versions generated -------------------------------

    @api.model
    def _repair_matching(self):
        """Match every posted amendment credit note with its own invoice.

        Earlier versions posted batches of credit notes through core's
        pairing by position, which could match one with another customer's
        invoice. Those matches are undone and made right; payments and other
        matches are left alone. Posted documents are not rewritten. Returns the
        credit notes that were matched wrongly.
        """
        refunds = self._amendment_credit_notes(["posted"])
        wrong = refunds.browse()
        partials = self.env["account.partial.reconcile"].sudo()
        by_invoice = refunds._by_matching_invoice()
        for invoice, reversals in by_invoice.items():
            for reversal in reversals:
                bad = reversal.line_ids.matched_debit_ids.filtered(
                    lambda partial, invoice=invoice: (
                        partial.debit_move_id.move_id.is_invoice()
                        and partial.debit_move_id.move_id != invoice
                    )
                )
                if bad:
                    partials |= bad
                    wrong |= reversal
        if partials:
            unmatched = partials.debit_move_id.move_id
            partials.unlink()
            # the invoices they were wrongly matched with have credit notes of
            # their own, left open by the shift
            again = wrong
            for invoice, reversals in by_invoice.items():
                if invoice in unmatched:
                    again |= reversals
            open_refunds = again.filtered(
                lambda refund: refund.payment_state in ("not_paid", "partial")
            )
            self.env["account.move"]._reconcile_reversed_moves(open_refunds, False)
        return wrong

    @api.model
    def _amendment_credit_notes(self, states):
        return (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("amendment_id", "!=", False),
                    ("move_type", "=", "out_refund"),
                    ("state", "in", states),
                ]
            )
        )

    @api.model
    def _over_credits(self):
        """The amendment credit notes (not cancelled) of documents credited
        beyond what they billed, for an accountant to reverse (never rewritten
        here)."""
        refunds = self._amendment_credit_notes(["draft", "posted"])
        documents = refunds.reversed_entry_id
        credits = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("reversed_entry_id", "in", documents.ids),
                    ("move_type", "=", "out_refund"),
                    ("state", "!=", "cancel"),
                ]
            )
        )
        credits_by_document = credits.grouped("reversed_entry_id")
        over = refunds.browse()
        for document in documents:
            lines = self._invoiced_lines(document, credits_by_document)
            keys = {line.key for line in lines if line.remaining_amount < 0}
            if keys:
                over |= credits_by_document[document].filtered(
                    lambda refund, keys=keys: (
                        refund.amendment_id
                        and set(refund.invoice_line_ids.subscription_line_id.ids) & keys
                    )
                )
        return over

    @api.model
    def _adopt(self):
        """What the install and the upgrade to this version run: repair
        subscription_oca's empty boundaries, stamp the billed periods of
        existing invoices, match earlier amendment credit notes right. Returns
        (invoices left unstamped, over-credited credit notes)."""
        self._repair_boundaries()
        unknown = self._adopt_invoices()
        wrong = self._repair_matching()
        over = self._over_credits()
        _logger.info(
            "Subscription amendments: %s invoice(s) left without a billed period "
            "%s, %s credit note(s) matched again %s, %s over-credit(s) %s",
            len(unknown),
            unknown.ids,
            len(wrong),
            wrong.ids,
            len(over),
            over.ids,
        )
        return unknown, over
