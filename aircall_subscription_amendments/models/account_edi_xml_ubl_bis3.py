# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""UBL (Peppol BIS 3 and the formats built on it): a subscription's documents
say their period and what they correct, through the values core's UBL
templates already have elements for. The values come from ``account.move``'s
``_einvoice_*`` methods."""

from odoo import fields, models


def _period_vals(period):
    return {
        "start_date": fields.Date.to_string(period[0]),
        "end_date": fields.Date.to_string(period[1]),
    }


class AccountEdiXmlUblBis3(models.AbstractModel):
    _inherit = "account.edi.xml.ubl_bis3"

    def _get_invoice_period_vals_list(self, invoice):
        # BG-14 (core's returns [])
        period = invoice._einvoice_billing_period()
        if period:
            return [_period_vals(period)]
        return super()._get_invoice_period_vals_list(invoice)

    def _get_invoice_line_vals(self, line, line_id, taxes_vals):
        vals = super()._get_invoice_line_vals(line, line_id, taxes_vals)
        period = line._einvoice_period()
        if period:
            # BG-26
            vals["invoice_period_vals_list"] = [_period_vals(period)]
        return vals

    def _export_invoice_vals(self, invoice):
        vals = super()._export_invoice_vals(invoice)
        document = vals["vals"]
        preceding = invoice._einvoice_preceding_invoice()
        if preceding:
            # BT-25/BT-26 (core fills them only for Dutch suppliers, from ref)
            document["billing_reference_vals"] = {
                "id": preceding[0],
                "issue_date": fields.Date.to_string(preceding[1]),
            }
        reference = invoice._einvoice_reference_invoice()
        if reference != invoice:
            # BT-10 and BT-13 as the corrected invoice exports them
            document["order_reference"] = reference.ref or reference.name
            if "buyer_reference" in document:
                document["buyer_reference"] = reference.commercial_partner_id.ref
        note = invoice._einvoice_amendment_note()
        if note:
            # BT-22: one note, as Peppol allows (PEPPOL-EN16931-R002)
            notes = document.get("note_vals") or []
            if notes:
                notes[0] = {"note": f"{notes[0]['note']}\n{note}"}
            else:
                notes.append({"note": note})
            document["note_vals"] = notes
        return vals
