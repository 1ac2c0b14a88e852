#!/usr/bin/env bash
# Regenerates i18n/aircall_subscription_amendments.pot from the module (installed into a
# scratch database copied from the test template) and merges it into i18n/fr.po, with
# click-odoo-makepot: the .pot without its creation dates, then gettext's msgmerge
# (fr.po's entries in the .pot's order, obsolete ones last as #~, a changed msgid
# offered its old translation as fuzzy). Prints each .po's counts (msgfmt --statistics).
# Translate the new and fuzzy entries of fr.po afterwards; `make test` checks none is left.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bash "$ROOT/scripts/setup.sh"
ensure_postgres
ensure_gettext
conf="$(write_odoo_conf)"
db="aircall_i18n_$$"
trap 'dropdb --if-exists "$db"' EXIT
create_db_from_template "$conf" "$db"
"$VENV/bin/odoo" -c "$conf" -d "$db" --stop-after-init --no-http --log-level=warn \
    -i "$ADDON" --without-demo=all
# VERSION_CONTROL=off: msgmerge -U leaves no fr.po~ backup behind
VERSION_CONTROL=off "$VENV/bin/click-odoo-makepot" -c "$conf" -d "$db" \
    --addons-dir "$ROOT" --modules "$ADDON" --msgmerge
for po in "$ROOT/$ADDON"/i18n/*.po; do
    printf '%s: %s\n' "${po#"$ROOT"/}" "$(msgfmt --statistics -o /dev/null "$po" 2>&1)"
done
