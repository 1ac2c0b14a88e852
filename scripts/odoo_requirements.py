"""Turn Odoo's requirements.txt into pins that build on this Python.

Odoo 18.0 pins older releases for Python 3.11 (cbor2 5.4.2, cryptography 3.4.8, ...)
that no longer build from source here.  Each package's *newest* pin in the file
(the one marked for Python >= 3.11 or >= 3.12) installs and runs on 3.11 and 3.12,
so we keep that one and drop the environment marker.

python-ldap is left out: it only serves the optional ``auth_ldap`` addon and needs
the OpenLDAP headers to build.

Usage: python odoo_requirements.py ODOO_SOURCE/requirements.txt > pins.txt
"""

import re
import sys

SKIPPED = {"python-ldap", "pypiwin32", "rl-renderpm"}


def newest_pins(lines):
    pins = {}
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, _, marker = line.partition(";")
        if "win32" in marker and "!=" not in marker:
            continue
        requirement = requirement.strip()
        name = re.split(r"[=<>!~ \[]", requirement, maxsplit=1)[0].strip().lower()
        if name in SKIPPED:
            continue
        # later lines carry the pins for newer Pythons: the last one wins
        pins[name] = requirement
    return list(pins.values())


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        print("\n".join(newest_pins(handle)))
