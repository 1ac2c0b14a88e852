# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""An amendment's documents, built as Odoo's reversal wizard builds a credit
note (``account.move.reversal._prepare_default_reversal`` and a copy of the
invoice's header) with the lines of the amendment's plan, shaped as a
reversal shapes them (the unit price before the discount billed, and that
discount); created in the subscription's company, posted if it says so."""

import logging
from collections import defaultdict

from odoo import Command, api, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import format_date, formatLang

from ..tools import DERIVED_WRITE, format_quantity, internal

_logger = logging.getLogger(__name__)


class AccountMove(models.Model):
    # one model, split by job on purpose (README, Architecture)
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    # -- an amendment's documents ----------------------------------------------

    @api.model
    def _prepare_amendment_documents(self, amendment, plan):
        """(origin, values) pairs: one credit note per document the plan
        corrects, one invoice per billed period with additions, each built by
        the document it comes from, in its partner's language and the
        subscription's company. Runs after the subscription lines changed (a
        new add-on has its line).

        Each is dated the day it is issued, as Odoo's reversal dates a credit
        note, and never before the document it comes from; its billed period,
        share and labels keep the effective date."""
        amendment = amendment.with_company(amendment.company_id)
        issued = amendment._issue_date()
        documents = []
        for groups, build in (
            (plan.credits_by_invoice(), "_prepare_amendment_refund_values"),
            (plan.invoices_by_period(), "_prepare_amendment_invoice_values"),
        ):
            for ref, lines in groups.items():
                origin = self.sudo().browse(ref)
                lang = origin.partner_id.lang or self.env.lang or "en_US"
                invoice_date = max(issued, origin.invoice_date or origin.date)
                values = getattr(origin, build)(
                    amendment.with_context(lang=lang), lines, invoice_date
                )
                documents.append((origin, values))
        return documents

    @api.model
    def _create_amendment_documents(self, documents):
        """Create the documents (``(origin, values)`` pairs) in their company;
        post them if their company says so, unless their origin is a draft
        (they are matched with it when it is posted).

        The one sudo() that creates accounting documents: account managers
        amend contracts but may only read invoices. It runs after the
        amendment's group and record-rule checks (or in the cron), on values
        built from the amendment's own subscription and its documents. A
        document that cannot be posted stays in draft, with the reason in its
        chatter, for an accountant to post.
        """
        moves = to_post = internal(self.sudo().browse(), DERIVED_WRITE)
        by_company = defaultdict(list)
        for origin, vals in documents:
            by_company[origin.company_id].append((origin, vals))
        for company, pairs in by_company.items():
            created = moves.with_company(company).create([vals for _o, vals in pairs])
            moves |= created
            for move, (origin, _vals) in zip(created, pairs, strict=True):
                if (
                    company.amendment_auto_post
                    and move.auto_post == "no"
                    and origin.state == "posted"
                ):
                    to_post |= move
        to_post._post_amendment_documents()
        return moves

    def _post_amendment_documents(self):
        """Post these documents at once (credit notes reconciled in one plan)
        or, when one cannot be posted, one by one: the others are posted."""
        if not self:
            return
        try:
            with self.env.cr.savepoint():
                self.action_post()
            return
        except (UserError, ValidationError) as error:
            _logger.info("Posting the batch one by one: %s", error)
        for move in self:
            try:
                with self.env.cr.savepoint():
                    move.action_post()
            except (UserError, ValidationError) as error:
                _logger.warning(
                    "%s not posted automatically: %s", move.display_name, error
                )
                move.message_post(
                    body=self.env._(
                        "Not posted automatically: %(error)s", error=str(error)
                    )
                )

    def _amendment_journal(self):
        """The journal of an amendment's documents correcting this one."""
        return self.company_id.amendment_journal_id or self.journal_id

    def _prepare_amendment_refund_values(self, amendment, lines, invoice_date):
        """The values of the credit note ``amendment`` issues against this
        document for the plan's ``lines``: the header Odoo's reversal wizard
        gives a reversal of it (its defaults and a copy of its header, without
        its payment reference), in the journal the company chose."""
        self.ensure_one()
        reversal = (
            self.env["account.move.reversal"]
            .with_company(self.company_id)
            .new(
                {
                    "move_ids": [Command.set(self.ids)],
                    "journal_id": self._amendment_journal().id,
                    "date": invoice_date,
                    "reason": amendment.env._(
                        "amendment %(name)s", name=amendment.name
                    ),
                }
            )
        )
        default = reversal._prepare_default_reversal(self)
        default.update(
            move_type="out_refund",
            reversed_entry_id=self.id,
            partner_id=self.partner_id.id,
            partner_bank_id=self._amendment_refund_bank().id,
        )
        return self._prepare_amendment_document(amendment, lines, default)

    def _amendment_refund_bank(self):
        """The bank account a credit note of this invoice pays into: the
        customer's, as Odoo's reversal wizard chooses it (``reverse_moves``:
        the commercial partner's accounts of this company or of none, the
        first by sequence)."""
        self.ensure_one()
        banks = self.env["res.partner.bank"].search(
            [
                ("partner_id", "=", self.commercial_partner_id.id),
                ("company_id", "in", [self.company_id.id, False]),
            ],
            order="sequence DESC",
        )
        return banks[-1:]

    def _prepare_amendment_invoice_values(self, amendment, lines, invoice_date):
        """The values of the invoice ``amendment`` issues for the units it adds
        to the period this invoice bills: a copy of its header, dated
        ``invoice_date``."""
        self.ensure_one()
        default = {
            "move_type": "out_invoice",
            "journal_id": self._amendment_journal().id,
            "invoice_date": invoice_date,
            "invoice_user_id": self.invoice_user_id.id,
            "ref": amendment.env._("Amendment %(name)s", name=amendment.name),
        }
        return self._prepare_amendment_document(amendment, lines, default)

    def _prepare_amendment_document(self, amendment, lines, default):
        """A copy of this document's header with ``default``, the amendment's
        stamps and the lines; the accounting date is Odoo's (from the invoice
        date, out of a locked period)."""
        price_digits = self.env["decimal.precision"].precision_get("Product Price")
        if self.currency_id.decimal_places > price_digits:
            # the rounding line's unit price must hold an amount to the cent
            raise UserError(
                self.env._(
                    "Amounts in %(currency)s have %(digits)s decimals, more than "
                    "unit prices keep: raise the decimal accuracy of Product Price.",
                    currency=self.currency_id.name,
                    digits=self.currency_id.decimal_places,
                )
            )
        values = self.with_context(include_business_fields=True).copy_data(
            dict(default, line_ids=[])
        )[0]
        values.pop("date", None)
        values.pop("line_ids", None)
        # a total typed in quick encoding is the corrected document's, not this one's
        values.pop("quick_edit_total_amount", None)
        values.update(
            invoice_origin=self.name,
            subscription_id=amendment.subscription_id.id,
            subscription_billed_id=amendment.subscription_id.id,
            subscription_period_start=self.subscription_period_start,
            subscription_period_next_start=self.subscription_period_next_start,
            amendment_id=amendment.id,
            invoice_line_ids=[
                Command.create(values)
                for line in lines
                for values in self._prepare_amendment_lines(amendment, line)
            ],
        )
        return values

    def _prepare_amendment_lines(self, amendment, line):
        """The document lines of one line of the plan: its units at the
        prorated unit price and, when that price's rounding moves the total, a
        rounding line (the same taxes, less fixed ones) that makes it exact."""
        sub_line = amendment._subscription_line_for_key(line.key)
        taxes, accounting = self._amendment_line_accounting(line, sub_line)
        values = {
            "product_id": line.product,
            "name": self._amendment_line_label(amendment, line),
            "quantity": float(line.quantity),
            # shaped as Odoo's reversal: the unit price before the discount
            # billed, and that discount
            "price_unit": float(line.unit_amount),
            "discount": float(line.discount),
            "subscription_line_id": sub_line.id,
            "subscription_price_unit": float(line.price_unit),
            "subscription_period_start": line.since or line.period_start,
            "subscription_period_end": line.period_end,
            "tax_ids": [Command.set(taxes.ids)],
            **accounting,
        }
        if not line.moves_units:
            # an amount, no unit: per-unit taxes follow the units
            values.update(
                subscription_price_difference=True,
                tax_ids=[
                    Command.set(
                        taxes.filtered(lambda tax: tax.amount_type != "fixed").ids
                    )
                ],
            )
        if line.is_price_change:
            values["subscription_repriced_line_id"] = line.source_ref
        if not line.rounding:
            return [values]
        rounding = dict(
            values,
            name=amendment.env._("Rounding: %(line)s", line=values["name"]),
            quantity=1.0,
            price_unit=float(line.rounding),
            discount=0.0,
            subscription_price_unit=0.0,
            subscription_rounding=True,
            # the cents of the whole document: its period
            subscription_period_start=self.subscription_period_start,
            subscription_period_end=self.subscription_period_end,
            tax_ids=[
                Command.set(taxes.filtered(lambda tax: tax.amount_type != "fixed").ids)
            ],
        )
        return [values, rounding]

    def _amendment_line_accounting(self, line, sub_line):
        """(taxes, {account, unit, analytics}) of a document line: the billed
        line's; for units no document billed yet (an upgrade), the
        subscription line's, in this document's company, on the income
        account this document's fiscal position maps (the header's)."""
        source = self.env["account.move.line"].sudo().browse(line.source_ref or [])
        if source:
            return source.tax_ids, {
                "account_id": source.account_id.id,
                "product_uom_id": source.product_uom_id.id,
                "analytic_distribution": source.analytic_distribution,
            }
        sub_line = sub_line.with_company(self.company_id)
        base = sub_line._prepare_account_move_line()
        account = sub_line._income_account()
        if account:
            base["account_id"] = (
                self.fiscal_position_id.map_account(account)
                if self.fiscal_position_id
                else account
            ).id
        return sub_line.tax_ids, {
            key: base[key]
            for key in ("account_id", "product_uom_id", "analytic_distribution")
            if base.get(key)
        }

    def _amendment_line_label(self, amendment, line):
        """``Users: 10 → 6 (−4) · 10/07/2024 – 05/08/2024 (87 %)``, in the
        language of ``amendment``'s context (the partner's); a new price:
        ``Users: 30.00 → 27.00 · 10/07/2024 – 05/08/2024 (87 %)``."""
        env = amendment.env
        product = env["product.product"].browse(line.product)
        if line.is_price_change:
            digits = env["decimal.precision"].precision_get("Product Price")
            return env._(
                "%(product)s: %(old)s → %(new)s · %(start)s – %(end)s (%(percent)s %%)",
                product=product.with_context(lang=env.lang).name,
                old=formatLang(env, float(line.old_price), digits=digits),
                new=formatLang(env, float(line.new_price), digits=digits),
                start=format_date(env, line.since),
                end=format_date(env, line.period_end),
                percent=line.percent,
            )
        return env._(
            "%(product)s: %(old)s → %(new)s (%(delta)s) · %(start)s – %(end)s "
            "(%(percent)s %%)",
            product=product.with_context(lang=env.lang).name,
            old=format_quantity(env, line.old_quantity),
            new=format_quantity(env, line.new_quantity),
            delta=format_quantity(
                env, line.new_quantity - line.old_quantity, sign=True
            ),
            start=format_date(env, line.since),
            end=format_date(env, line.period_end),
            percent=line.percent,
        )
