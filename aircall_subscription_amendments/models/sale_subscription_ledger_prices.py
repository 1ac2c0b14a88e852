# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The ledger's price changes: the new prices of the units a document bills.

An amendment that changes a line's price issues, per document that billed the
line's units, a price difference (``subscription_price_difference``) linked
to the billed line it re-prices (``subscription_repriced_line_id``): a cut is
a credit note against that document, a rise an invoice of the period. They
are amounts, never units. The rules read them as ``rules.PriceChange`` on the
billed line: a later reduction credits the units it removes at what the
period billed for them from then on, net of both (a cut on the document's own
credit note, a rise on the invoice that billed it).
"""

from collections import defaultdict

from odoo import api, models

from .. import rules


class SaleSubscriptionLedger(models.AbstractModel):
    _inherit = "sale.subscription.ledger"

    @api.model
    def _price_changes(self, billing, credits_by_document):
        """{(document id, subscription line id): [rules.PriceChange]}: the
        price changes of what the ``billing`` documents bill, in the order of
        their first day: the rises the period's invoices bill (``ref``: that
        invoice), the cuts the amendments' credit notes credit (``ref``: the
        document they correct, None when it is the re-priced one), given back
        by their reversals. An accountant's credit note, even one copied
        from a price difference, lowers amounts only (``_invoiced_lines``).

        An invoice and the ones that replaced it (reverse and create) are one
        document, the newest one's id (``_billed_periods``): the cuts against
        any of them are that document's, a rise is billed by the newest only
        (the replaced one's is reversed with it, its replacement bills it
        again)."""
        newest = {}
        for chain in billing.grouped(
            lambda move: move._replacement_chain_root()
        ).values():
            newest.update(dict.fromkeys(chain.ids, chain[-1].id))
        changes = defaultdict(list)
        for move in billing:
            # a price difference is trusted on an amendment's own documents only
            if newest[move.id] != move.id or not move._issuing_amendment():
                continue
            for line, target in self._repricing_lines(move):
                if target.move_id in billing and newest[target.move_id.id] != move.id:
                    changes[
                        newest[target.move_id.id], target.subscription_line_id.id
                    ].append(self._price_change(line, 1, move.id))
        for document in billing:
            for credit in credits_by_document.get(document, document.browse()):
                # an accountant's own credit note is an amount, whatever it copied
                if not credit._counts_in_ledger() or not credit._issuing_amendment():
                    continue
                reversals = credits_by_document.get(credit, credit.browse())
                credited = self._repricing_lines(credit)
                for move, sign in ((credit, -1), *((r, 1) for r in reversals)):
                    for line, target in self._repricing_lines(move):
                        if target.move_id not in billing:
                            continue
                        repriced = newest[target.move_id.id]
                        ref = newest[document.id]
                        changes[repriced, target.subscription_line_id.id].append(
                            self._price_change(
                                line,
                                sign,
                                None if ref == repriced else ref,
                                share=self._reversed_share(line, credited)
                                if move != credit
                                else 1,
                            )
                        )
        return {
            key: sorted(found, key=lambda change: change.since)
            for key, found in changes.items()
        }

    @api.model
    def _repricing_lines(self, move):
        """(line, the billed line it re-prices) of ``move``'s price differences."""
        return [
            (line, line.subscription_repriced_line_id)
            for line in move.invoice_line_ids
            if line.display_type == "product"
            and line.subscription_repriced_line_id
            and not line.subscription_rounding
        ]

    @api.model
    def _price_change(self, line, sign, ref, share=1):
        """The price change ``line`` records: its unit price difference for
        the whole period, from its first day; ``ref``: the document that bills
        it (None: the re-priced document itself); ``share``: the part of it
        a reversal gives back (``_reversed_share``)."""
        return rules.PriceChange(
            since=line.subscription_period_start
            or line.move_id.subscription_period_start,
            delta=sign
            * rules.to_decimal(line.subscription_price_unit)
            * rules.to_decimal(share),
            ref=ref,
        )

    @api.model
    def _reversed_share(self, line, credited):
        """The part of a cut that ``line`` of a reversal gives back: its
        amount over the amount of the line of the credit note it copies
        (``credited``: that credit note's price differences); an edited,
        partial reversal gives back that part of the cut, never more than
        all of it."""
        for other, target in credited:
            if (
                target == line.subscription_repriced_line_id
                and other.subscription_price_unit == line.subscription_price_unit
                and other.price_subtotal
            ):
                return min(
                    rules.to_decimal(line.price_subtotal)
                    / rules.to_decimal(other.price_subtotal),
                    rules.to_decimal(1),
                )
        return 1

    @api.model
    def _amount_only_lines(self, document, prices, discounts, refs):
        """A subscription line ``document`` bills only amounts of (the price
        rise of an amendment's invoice): no unit, at no price of its own, its
        first line the reference (what a credit of it copies). Completes
        ``prices``, ``discounts`` and ``refs``."""
        for line in document.invoice_line_ids:
            key = line.subscription_line_id.id
            if (
                line.display_type == "product"
                and key
                and key not in prices
                and line.subscription_price_difference
                and not line.subscription_rounding
            ):
                prices[key] = rules.to_decimal(0)
                discounts[key] = rules.to_decimal(0)
                refs[key] = line.id
