# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Factur-X (CII): a subscription's documents say their period and what they
correct. The values come from ``account.move``'s ``_einvoice_*`` methods; the
template ``data/account_edi_cii_templates.xml`` places the ones core's has no
element for."""

from odoo import models


class AccountEdiXmlCii(models.AbstractModel):
    _inherit = "account.edi.xml.cii"

    def _export_invoice_vals(self, invoice):
        vals = super()._export_invoice_vals(invoice)
        period = invoice._einvoice_billing_period()
        if period:
            # BG-14 (core fills it only for VAT category K without a delivery date)
            vals["billing_start"], vals["billing_end"] = period
        for line_vals in vals["invoice_line_vals_list"]:
            # BG-26
            line_vals["subscription_period"] = line_vals["line"]._einvoice_period()
        # BT-25/BT-26 (ram:InvoiceReferencedDocument)
        vals["subscription_preceding_invoice"] = invoice._einvoice_preceding_invoice()
        # BT-22, a note without a subject code
        note = invoice._einvoice_amendment_note()
        vals["subscription_notes"] = [note] if note else []
        reference = invoice._einvoice_reference_invoice()
        if reference != invoice:
            # BT-10 and BT-13 as the corrected invoice exports them
            vals.update(self._subscription_buyer_references(reference))
        return vals

    def _subscription_buyer_references(self, invoice):
        """BT-10 and BT-13 of ``invoice``, as core's ``_export_invoice_vals``
        computes them."""
        fields = invoice._fields
        return {
            "buyer_reference": invoice.buyer_reference
            if "buyer_reference" in fields and invoice.buyer_reference
            else invoice.commercial_partner_id.ref,
            "purchase_order_reference": invoice.purchase_order_reference
            if "purchase_order_reference" in fields and invoice.purchase_order_reference
            else invoice.ref or invoice.name,
        }
