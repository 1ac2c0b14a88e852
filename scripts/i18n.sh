#!/usr/bin/env bash
# Regenerates i18n/aircall_subscription_amendments.pot from the module (installed into a
# scratch database copied from the test template) and merges it into i18n/fr.po.
# Translate the new entries of fr.po afterwards; `make test` checks none is left.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bash "$ROOT/scripts/setup.sh"
ensure_postgres
conf="$(write_odoo_conf)"
db="aircall_i18n_$$"
trap 'dropdb --if-exists "$db"' EXIT
create_db_from_template "$conf" "$db"
odoo=("$VENV/bin/odoo" -c "$conf" -d "$db" --stop-after-init --no-http --log-level=warn)
"${odoo[@]}" -i "$ADDON" --without-demo=all
pot="$ROOT/$ADDON/i18n/$ADDON.pot"
"${odoo[@]}" --i18n-export="$pot" --modules="$ADDON"
"$VENV/bin/python" - "$pot" "$ROOT/$ADDON/i18n/fr.po" <<'PY'
import sys

import polib

pot_path, po_path = sys.argv[1:]
pot = polib.pofile(pot_path)
try:
    po = polib.pofile(po_path)
except OSError:
    po = polib.POFile()
    po.metadata = dict(pot.metadata, Language="fr", **{"Plural-Forms": "nplurals=2; plural=(n > 1);"})
po.merge(pot)
# entries in the .pot's order (obsolete ones last), as Odoo's own .po files are
order = {(entry.msgctxt, entry.msgid): i for i, entry in enumerate(pot)}
po.sort(key=lambda entry: order.get((entry.msgctxt, entry.msgid), len(order)))
po.save(po_path)
print(f"{po_path}: {len(po.untranslated_entries())} untranslated, {len(po.fuzzy_entries())} fuzzy")
PY
