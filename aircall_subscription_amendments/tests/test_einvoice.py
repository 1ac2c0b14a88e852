# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Amendment documents as e-invoices (issue 22): Factur-X (CII) and UBL
(Peppol BIS 3), exported by Odoo's own builders (``_export_invoice``), checked
against the XSDs, the schematron of the CII's profile (Factur-X EXTENDED), the
CEN rules for UBL (EN 16931) and the French rules (BR-FR, both syntaxes); and
the values the addon adds, read by XPath.

The French rules that concern every invoice of a company, which core's export
does not meet, are listed in ``FRENCH_LEFT`` (README, *E-invoices*): each test
asserts exactly its list, so that a new failure shows.
"""

from collections import Counter
from datetime import date

from odoo.tools.misc import file_path

from .common_einvoice import JULY, EInvoiceCase

#: French rules left to a French localisation, per syntax (README, E-invoices)
FRENCH_LEFT = {
    "cii": {
        # the mandatory notes: recovery costs, late penalties, early payment
        "BR-FR-05_BT-22_PMT": 1,
        "BR-FR-05_BT-22_PMD": 1,
        "BR-FR-05_BT-22_AAB": 1,
        # the business process (B1, S1, M1…)
        "BR-FR-08_BT-23": 1,
        # the SIREN: core writes the SIRET (company_registry) with scheme 0002
        "BR-FR-10_BT-30": 1,
        "BR-FR-32-LEGALID": 2,
        # the buyer's and the seller's electronic addresses
        "BR-FR-12_BT-49": 1,
        "BR-FR-13_BT-34": 1,
    },
    "ubl": {
        "BR-FR-05_BT-22-1": 1,
        "BR-FR-05_BT-22-2": 1,
        "BR-FR-05_BT-22-3": 1,
        # BIS 3's profile (cbc:ProfileID) is Peppol's: never a French process
        "BR-FR-08_BT-23": 1,
        "BR-FR-10_BT-30": 1,
    },
}
#: BR-FR-CO-12 (BT-6, BT-111): an invoice in a currency other than EUR
FOREIGN_CURRENCY = {"cii": {"BR-FR-CO-12_BT-5": 1}, "ubl": {"BR-FR-CO-12_BT-5": 1}}


def _left(syntax, *extra):
    left = Counter(FRENCH_LEFT[syntax])
    for more in extra:
        left.update(more[syntax])
    return dict(left)


class TestArticleCreditNote(EInvoiceCase):
    """(a) The help-centre example: 10 → 6 users from 10 July 2024 on the
    invoice of 6 July – 5 August 2024; and that invoice itself."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.subscription = cls._start(cls._create_subscription(start=date(2024, 1, 6)))
        cls.invoice = cls._invoice_period(cls.subscription, JULY)
        cls.amendment = cls._apply(
            cls.subscription, {cls.product_users: 6}, date(2024, 7, 10)
        )
        cls.credit_note = cls.amendment.move_ids
        cls.cii = cls._export(cls.credit_note, "cii")
        cls.ubl = cls._export(cls.credit_note, "ubl")

    def test_the_period_is_stored_on_the_lines(self):
        self.assertRecordValues(
            self.invoice.invoice_line_ids,
            [
                {
                    "subscription_period_start": date(2024, 7, 6),
                    "subscription_period_end": date(2024, 8, 5),
                }
            ],
        )
        line, rounding = self.credit_note.invoice_line_ids.sorted(
            "subscription_rounding"
        )
        self.assertEqual(
            (line.subscription_period_start, line.subscription_period_end),
            (date(2024, 7, 10), date(2024, 8, 5)),
        )
        # the rounding line: the document's period
        self.assertTrue(rounding.subscription_rounding)
        self.assertEqual(
            (rounding.subscription_period_start, rounding.subscription_period_end),
            (date(2024, 7, 6), date(2024, 8, 5)),
        )

    def test_documents_made_before_get_the_same_periods(self):
        """Upgrading fills the lines of earlier documents as the amendment path
        and the stamp fill them."""
        lines = (self.invoice | self.credit_note).invoice_line_ids
        expected = lines.read(["subscription_period_start", "subscription_period_end"])
        self.env.cr.execute(
            "UPDATE account_move_line SET subscription_period_start = NULL, "
            "subscription_period_end = NULL WHERE id = ANY(%s)",
            [lines.ids],
        )
        lines.invalidate_recordset()
        self.assertFalse(any(lines.mapped("subscription_period_start")))
        lines._fill_subscription_periods()
        lines.invalidate_recordset()
        self.assertEqual(
            lines.read(["subscription_period_start", "subscription_period_end"]),
            expected,
        )

    def test_cii_names_the_corrected_invoice_and_the_periods(self):
        settlement = "//ram:ApplicableHeaderTradeSettlement"
        reference = f"{settlement}/ram:InvoiceReferencedDocument"
        self.assertEqual(
            self._xpath(self.cii, f"{reference}/ram:IssuerAssignedID"),
            [self.invoice.name],
        )
        self.assertEqual(
            self._xpath(
                self.cii,
                f"{reference}/ram:FormattedIssueDateTime/qdt:DateTimeString"
                "[@format='102']",
            ),
            ["20240706"],
        )
        # BG-14, the billed period
        period = f"{settlement}/ram:BillingSpecifiedPeriod"
        self.assertEqual(
            self._xpath(
                self.cii,
                f"{period}/ram:StartDateTime/udt:DateTimeString | "
                f"{period}/ram:EndDateTime/udt:DateTimeString",
            ),
            ["20240706", "20240805"],
        )
        # BG-26: the credited days, then the rounding line's (the period)
        lines = (
            "//ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeSettlement"
            "/ram:BillingSpecifiedPeriod/*/udt:DateTimeString"
        )
        self.assertEqual(
            self._xpath(self.cii, lines),
            ["20240710", "20240805", "20240706", "20240805"],
        )

    def test_cii_references_are_the_invoice_s_and_the_amendment_a_note(self):
        # BT-13: what the invoice exports (subscription_oca's has no ref: its number)
        self.assertEqual(
            self._xpath(
                self.cii, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"
            ),
            [self.invoice.name],
        )
        self.assertEqual(
            self._xpath(
                self._export(self.invoice, "cii"),
                "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
            ),
            [self.invoice.name],
        )
        self.assertIn("Reversal of", self.credit_note.ref)
        self.assertNotIn(b"Reversal of", self.cii)
        # BT-22, without a subject code
        notes = self._xpath(
            self.cii,
            "//rsm:ExchangedDocument/ram:IncludedNote[not(ram:SubjectCode)]"
            "/ram:Content",
        )
        self.assertEqual(len(notes), 1)
        self.assertIn(self.amendment.name, notes[0])
        self.assertIn("87 %", notes[0])

    def test_ubl_names_the_corrected_invoice_and_the_periods(self):
        reference = "//cac:BillingReference/cac:InvoiceDocumentReference"
        self.assertEqual(
            self._xpath(self.ubl, f"{reference}/cbc:ID"), [self.invoice.name]
        )
        self.assertEqual(
            self._xpath(self.ubl, f"{reference}/cbc:IssueDate"), ["2024-07-06"]
        )
        self.assertEqual(
            self._xpath(
                self.ubl,
                "/*/cac:InvoicePeriod/cbc:StartDate | /*/cac:InvoicePeriod/cbc:EndDate",
            ),
            ["2024-07-06", "2024-08-05"],
        )
        self.assertEqual(
            self._xpath(
                self.ubl,
                "//cac:CreditNoteLine/cac:InvoicePeriod/cbc:StartDate"
                " | //cac:CreditNoteLine/cac:InvoicePeriod/cbc:EndDate",
            ),
            ["2024-07-10", "2024-08-05", "2024-07-06", "2024-08-05"],
        )
        self.assertEqual(
            self._xpath(self.ubl, "//cac:OrderReference/cbc:ID"), [self.invoice.name]
        )
        self.assertNotIn(b"Reversal of", self.ubl)
        [note] = self._xpath(self.ubl, "/*/cbc:Note")
        self.assertIn(self.amendment.name, note)

    def test_credit_note_conforms(self):
        self.assertConforms(self.credit_note, "cii", _left("cii"))
        self.assertConforms(self.credit_note, "ubl", _left("ubl"))

    def test_period_invoice_conforms_and_says_its_period(self):
        for syntax in ("cii", "ubl"):
            self.assertConforms(self.invoice, syntax, _left(syntax))
        ubl = self._export(self.invoice, "ubl")
        self.assertEqual(
            self._xpath(
                ubl,
                "//cac:InvoiceLine/cac:InvoicePeriod/cbc:StartDate"
                " | //cac:InvoiceLine/cac:InvoicePeriod/cbc:EndDate",
            ),
            ["2024-07-06", "2024-08-05"],
        )


class TestUpgradeInvoice(EInvoiceCase):
    """(b) An upgrade invoice: 10 → 12 users from 10 July 2024."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.subscription = cls._start(cls._create_subscription(start=date(2024, 1, 6)))
        cls.invoice = cls._invoice_period(cls.subscription, JULY)
        cls.amendment = cls._apply(
            cls.subscription, {cls.product_users: 12}, date(2024, 7, 10)
        )
        cls.upgrade = cls.amendment.move_ids
        assert cls.upgrade.move_type == "out_invoice"

    def test_references_and_periods(self):
        cii = self._export(self.upgrade, "cii")
        ubl = self._export(self.upgrade, "ubl")
        # an invoice: no preceding invoice; BT-13 the period invoice's
        self.assertFalse(self._xpath(cii, "//ram:InvoiceReferencedDocument"))
        self.assertFalse(self._xpath(ubl, "//cac:BillingReference"))
        self.assertEqual(
            self._xpath(cii, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"),
            [self.invoice.name],
        )
        self.assertEqual(
            self._xpath(ubl, "//cac:OrderReference/cbc:ID"), [self.invoice.name]
        )
        self.assertEqual(
            self._xpath(ubl, "//cac:InvoiceLine/cac:InvoicePeriod/cbc:StartDate")[0],
            "2024-07-10",
        )
        self.assertEqual(
            self._xpath(
                cii,
                "//ram:ApplicableHeaderTradeSettlement/ram:BillingSpecifiedPeriod"
                "/ram:StartDateTime/udt:DateTimeString",
            ),
            ["20240706"],
        )

    def test_conforms(self):
        self.assertConforms(self.upgrade, "cii", _left("cii"))
        self.assertConforms(self.upgrade, "ubl", _left("ubl"))


class TestSeveralLinesAndFixedTax(EInvoiceCase):
    """(c) A credit note of two lines, each with a rounding line, one with a
    fixed tax (a levy per user, in the VAT's base)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.levy = cls.env["account.tax"].create(
            {
                "name": "Telecom levy 1.00 per user",
                "amount_type": "fixed",
                "amount": 1.0,
                "type_tax_use": "sale",
                # computed first, in the VAT's base; outside of it, core's
                # export fails BR-S-08 (the levy is a charge of the line, but
                # not in the VAT's taxable amount)
                "include_base_amount": True,
                "sequence": 0,
            }
        )
        cls.product_users.taxes_id = cls.levy | cls.tax
        cls.subscription = cls._start(
            cls._create_subscription(
                start=date(2024, 1, 6),
                lines=[(cls.product_users, 10), (cls.product_numbers, 3)],
            )
        )
        cls.invoice = cls._invoice_period(cls.subscription, JULY)
        cls.amendment = cls._apply(
            cls.subscription,
            {cls.product_users: 6, cls.product_numbers: 1},
            date(2024, 7, 10),
        )
        cls.credit_note = cls.amendment.move_ids

    def test_the_document(self):
        lines = self.credit_note.invoice_line_ids
        self.assertEqual(len(lines), 4)
        self.assertEqual(len(lines.filtered("subscription_rounding")), 2)
        self.assertIn(self.levy, lines.tax_ids)

    def test_conforms(self):
        self.assertConforms(self.credit_note, "cii", _left("cii"))
        self.assertConforms(self.credit_note, "ubl", _left("ubl"))


class TestForeignCurrency(EInvoiceCase):
    """(d) A credit note in USD from the French EUR company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        usd = cls.env.ref("base.USD")
        usd.active = True
        cls.env["res.currency.rate"].create(
            {
                "name": date(2024, 1, 1),
                "currency_id": usd.id,
                "rate": 1.1,
                "company_id": cls.company.id,
            }
        )
        cls.pricelist = cls.env["product.pricelist"].create(
            {"name": "Subscriptions (USD)", "currency_id": usd.id}
        )
        cls.subscription = cls._start(
            cls._create_subscription(
                start=date(2024, 1, 6), pricelist_id=cls.pricelist.id
            )
        )
        cls.invoice = cls._invoice_period(cls.subscription, JULY)
        assert cls.invoice.currency_id == usd
        cls.credit_note = cls._apply(
            cls.subscription, {cls.product_users: 6}, date(2024, 7, 10)
        ).move_ids

    def test_conforms(self):
        self.assertEqual(self.credit_note.currency_id.name, "USD")
        self.assertConforms(self.credit_note, "cii", _left("cii", FOREIGN_CURRENCY))
        self.assertConforms(self.credit_note, "ubl", _left("ubl", FOREIGN_CURRENCY))


class TestCoreFixture(EInvoiceCase):
    """Core's own credit note (``l10n_account_edi_ubl_cii_tests``'s
    ``facturx_out_refund.xml``) names no preceding invoice: the gap this addon
    closes for its documents. Fails the day core closes it."""

    def test_core_credit_note_fails_br_fr_co_05(self):
        path = file_path(
            "l10n_account_edi_ubl_cii_tests/tests/test_files/from_odoo/"
            "facturx_out_refund.xml"
        )
        with open(path, "rb") as fixture:
            report = self.validators["cii"].validate(fixture.read())
        self.assertIn("BR-FR-CO-05_BT-3", report.fatal_rules("French CII rules"))
