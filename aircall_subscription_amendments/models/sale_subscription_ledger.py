# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The ledger: what a subscription's documents billed and credited.

Read from the accounting, whatever accountants did to the documents: posted and
draft billing documents count, cancelled ones do not. Per billed period, per
document, per subscription line: the units and the amount it billed, net of
the credit notes against it (``reversed_entry_id``), by amount from any of
them, by units from the amendments' own only:

- an amendment's credit note (``amendment_id``) counts in draft or posted; its
  lines with ``subscription_price_unit`` remove the units they credit, its
  rounding lines an amount;
- any other credit note (Odoo's *Credit Note* button, edited or typed, a
  reverse-and-replace) counts once posted, by amount only: a goodwill credit
  removes no unit. A line linked to a subscription line the document billed
  lowers that line's amount; any other line lowers the document's amounts in
  proportion to what remains of them;
- the reversal of a credit note (an invoice whose ``reversed_entry_id`` is the
  credit note, posted) gives back what the credit note took.

The rules get these as plain values.
"""

from collections import defaultdict
from decimal import Decimal

from odoo import api, fields, models

from .. import rules
from ..tools import DERIVED_WRITE, internal

#: the bucket of a document's lines that bill no subscription line (a fee)
OTHER = "other"


class SaleSubscriptionLedger(models.AbstractModel):
    _name = "sale.subscription.ledger"
    _description = "What subscriptions billed and credited"

    # -- reading ---------------------------------------------------------------

    @api.model
    def _documents(self, subscriptions, from_date):
        """The documents of the periods of ``subscriptions`` that end after
        ``from_date``: the billing documents stamped with their period, and
        every credit note against them, and the reversals of those. Read whole
        (sudo): the ledger does not depend on who asks. Not cancelled."""
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
                    # an amendment's 0.00 credit note, cancelled, still
                    # removed its units (``_counts_in_ledger``)
                    "|",
                    ("state", "!=", "cancel"),
                    "&",
                    ("amendment_id", "!=", False),
                    ("amount_total", "=", 0),
                ],
                order="id",
            )
            if billing
            else moves
        )
        # the reversals of those credit notes, which give back what they took
        credits |= (
            moves.search(
                [
                    ("reversed_entry_id", "in", credits.ids),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                ],
                order="id",
            )
            if credits
            else moves
        )
        (billing | credits).invoice_line_ids.fetch(
            [
                "move_id",
                "subscription_line_id",
                "subscription_price_unit",
                "subscription_rounding",
                "subscription_price_difference",
                "subscription_repriced_line_id",
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
        # the new prices of the units the documents bill
        repriced = self._price_changes(billing, credits_by_document)
        by_period = defaultdict(lambda: billing.browse())
        for move in billing:
            by_period[
                move.subscription_period_start, move.subscription_period_next_start
            ] |= move
        periods = []
        for (start, next_start), documents in sorted(by_period.items()):
            # an invoice and the ones that replaced it (reverse and create)
            # are one document: the replacement bills again what the reversal
            # took, and takes over its credit notes
            chains = defaultdict(documents.browse)
            for move in documents:
                chains[move._replacement_chain_root()] |= move
            roots = sorted(chains, key=lambda root: root.id)
            issuers = {root: root._issuing_amendment() for root in roots}
            # the period's invoice: the newest one that no amendment issued
            invoices = [root for root in roots if not issuers[root]]
            invoice_root = (invoices or roots)[-1]
            invoice = chains[invoice_root][-1]
            periods.append(
                rules.BilledPeriod(
                    invoice_ref=invoice.id,
                    start=start,
                    next_start=next_start,
                    lines=self._invoiced_lines(
                        chains[invoice_root], credits_by_document, repriced
                    ),
                    # newest first
                    documents=tuple(
                        rules.BilledDocument(
                            ref=chains[root][-1].id,
                            billed_from=issuers[root].effective_date or None,
                            lines=self._invoiced_lines(
                                chains[root], credits_by_document, repriced
                            ),
                        )
                        for root in reversed(roots)
                        if root != invoice_root
                    ),
                    # at the rate of the day the documents are issued, never
                    # before the invoice they correct
                    rate=self._rate(
                        subscription,
                        invoice,
                        currency_date
                        and max(currency_date, invoice.invoice_date or currency_date),
                    ),
                    # amounts in the period's currency, rounded to its cents
                    digits=invoice.currency_id.decimal_places,
                )
            )
        return periods

    @api.model
    def _invoiced_lines(self, documents, credits_by_document, repriced=None):
        """What ``documents`` billed per subscription line, net of their
        credits (``credits_by_document``: the credit notes by the document they
        reverse, and their reversals by the credit note), in their currency:
        one document, or an invoice and the ones that replaced it, as one
        (their units, prices and references the newest one's). ``repriced``:
        the price changes of their units (``_price_changes``, by the newest).

        The lines that bill no subscription line (a one-off fee) are a bucket
        of their own, ``OTHER``: a credit of them is theirs, and they take
        their share of a credit spread over the document.
        """
        documents = documents.sorted("id", reverse=True)
        units, amounts = defaultdict(Decimal), defaultdict(Decimal)
        prices, discounts, refs, keys_of_product = {}, {}, {}, defaultdict(set)
        # an amendment's document, or its replacement (same lines, same prices)
        ours = bool(documents[:1]._issuing_amendment())
        billed = {}
        for document in documents:
            doc_units, doc_amounts = defaultdict(Decimal), defaultdict(Decimal)
            for line in document.invoice_line_ids.filtered(
                lambda line: line.display_type == "product"
            ):
                key = line.subscription_line_id.id or OTHER
                if line.product_id:
                    keys_of_product[line.product_id.id].add(key)
                doc_amounts[key] += line._amendment_net_amount()
                if not line._bills_units():
                    continue
                doc_units[key] += rules.to_decimal(line.quantity)
                if key is not OTHER and key not in prices:
                    prices[key] = line._amendment_full_price(ours)
                    discounts[key] = rules.to_decimal(line.discount)
                    refs[key] = line.id
            billed[document] = (doc_units, doc_amounts)
        for document in documents:
            self._amount_only_lines(document, prices, discounts, refs)
        bucket = self._bucketing(prices, keys_of_product)
        unlinked = Decimal(0)
        newest = documents[:1]
        for document, (doc_units, doc_amounts) in billed.items():
            left = self._take_credits(
                document, credits_by_document, bucket, doc_units, doc_amounts
            )
            # a replacement in another currency: what the replaced one has
            # left, in the replacement's, at the rate of its day
            unlinked += self._converted(left, document, newest)
            for key, value in doc_units.items():
                units[key] += value
            for key, value in doc_amounts.items():
                amounts[key] += self._converted(value, document, newest)
        if unlinked and amounts:
            self._spread(amounts, unlinked, documents[:1].currency_id.decimal_places)
        return tuple(
            rules.InvoicedLine(
                key=key,
                price_unit=prices[key],
                quantity=units[key],
                remaining_amount=amounts[key],
                ref=refs[key],
                discount=discounts[key],
                price_changes=tuple((repriced or {}).get((documents[:1].id, key), ())),
            )
            for key in prices
        )

    @api.model
    def _bucketing(self, prices, keys_of_product):
        """``bucket(line)``: the bucket a credit line takes from: the
        subscription line it is linked to, if the document billed it (its key
        is in ``prices``); else the one bucket that billed its product
        (``keys_of_product``); else None (spread over the document)."""

        def bucket(line):
            if line.subscription_line_id.id in prices:
                return line.subscription_line_id.id
            candidates = keys_of_product.get(line.product_id.id, ())
            return next(iter(candidates)) if len(candidates) == 1 else None

        return bucket

    @api.model
    def _take_credits(self, document, credits_by_document, bucket, units, amounts):
        """Take off ``units`` and ``amounts`` (what ``document`` billed, by
        bucket) what its credit notes that count credited, and add back what
        their reversals gave back. Returns the amount no bucket takes (to
        spread)."""
        billed = (dict(units), dict(amounts))
        unlinked = Decimal(0)
        for credit in credits_by_document.get(document, document.browse()):
            if not credit._counts_in_ledger():
                continue
            issuer = credit._issuing_amendment()
            # a credit note that reverses the document whole cancels it: its
            # units go, as an amendment's do; any other is an amount
            whole = not issuer and self._reverses_whole(
                credit, document, bucket, *billed
            )
            reversals = credits_by_document.get(credit, credit.browse())
            for move, sign in (
                (credit, -1),
                *((reversal, 1) for reversal in reversals),
            ):
                for line in move.invoice_line_ids.filtered(
                    lambda line: line.display_type == "product"
                ):
                    amount = sign * self._in_currency_of(line, document)
                    key = bucket(line)
                    if key is None:
                        unlinked += amount
                        continue
                    amounts[key] += amount
                    # a whole reversal's rounding line and price differences
                    # are amounts
                    removes = line._removes_units(issuer) or (
                        whole and line._bills_units()
                    )
                    if key is not OTHER and removes:
                        units[key] += sign * rules.to_decimal(line.quantity)
        return unlinked

    @api.model
    def _in_currency_of(self, line, document):
        """What ``line`` charged (``_amendment_net_amount``), in ``document``'s
        currency: a credit note may be in another one, converted on its day."""
        amount = line._amendment_net_amount()
        move = line.move_id
        if move.currency_id == document.currency_id:
            return amount
        converted = move.currency_id._convert(
            float(amount),
            document.currency_id,
            document.company_id,
            move.invoice_date or move.date,
        )
        return rules.round_amount(
            rules.to_decimal(converted), document.currency_id.decimal_places
        )

    @api.model
    def _converted(self, amount, document, target):
        """``amount`` (Decimal, in ``document``'s currency) in ``target``'s
        currency, at the rate of ``target``'s day, to its cents."""
        if not amount or document.currency_id == target.currency_id:
            return amount
        converted = document.currency_id._convert(
            float(amount),
            target.currency_id,
            target.company_id,
            target.invoice_date or target.date or fields.Date.context_today(self),
        )
        return rules.round_amount(
            rules.to_decimal(converted), target.currency_id.decimal_places
        )

    @api.model
    def _reverses_whole(self, credit, document, bucket, units, amounts):
        """Whether ``credit`` (not an amendment's) credits ``document`` whole:
        per bucket (``bucket(line)``), the units and the amount the document
        billed (``units``, ``amounts``), and nothing else (Odoo's reversal as
        it is, the reverse half of a reverse-and-replace)."""
        credited_units, credited = defaultdict(Decimal), defaultdict(Decimal)
        for line in credit.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        ):
            key = bucket(line)
            amount = self._in_currency_of(line, document)
            if key is None:
                if amount:
                    return False
                continue
            credited[key] += amount
            if line._bills_units():
                credited_units[key] += rules.to_decimal(line.quantity)
        return all(
            credited[key] == amounts[key]
            and credited_units[key] == units.get(key, Decimal(0))
            for key in amounts
        )

    @api.model
    def _spread(self, amounts, total, digits):
        """Add ``total`` to ``amounts`` ({key: Decimal}) in proportion to what
        remains of each (the positive ones), to the cent, the last of them
        taking what the rounding leaves."""
        shares = {key: amount for key, amount in amounts.items() if amount > 0}
        if not shares:
            # nothing left to take it from: an over-credit, on the first line
            amounts[next(iter(amounts))] += total
            return
        base, left = sum(shares.values()), total
        *firsts, last = shares
        for key in firsts:
            part = rules.round_amount(total * shares[key] / base, digits)
            amounts[key] += part
            left -= part
        amounts[last] += left

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
    def _rate(self, subscription, invoice, day=None):
        """Units of ``invoice``'s currency per unit of the subscription's."""
        source, target = subscription.currency_id, invoice.currency_id
        if not source or not target or source == target:
            return Decimal(1)
        rate = source._get_conversion_rate(
            source, target, invoice.company_id, day or fields.Date.context_today(self)
        )
        return rules.to_decimal(rate)
