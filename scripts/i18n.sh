#!/usr/bin/env bash
# Regenerates each addon's i18n/<addon>.pot (the addon and its queue_job bridge, installed
# into a scratch database copied from the test template) and merges it into i18n/fr.po, with
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
    -i "$ADDON,queue_job" --without-demo=all
# makepot only merges into the .po files that exist: an addon without fr.po gets
# an empty one first (msginit's header)
for addon in "$ADDON" "$BRIDGE"; do
    if [ ! -f "$ROOT/$addon/i18n/fr.po" ]; then
        mkdir -p "$ROOT/$addon/i18n"
        printf 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n' >"$ROOT/$addon/i18n/$addon.pot"
        msginit --no-translator -l fr -i "$ROOT/$addon/i18n/$addon.pot" -o "$ROOT/$addon/i18n/fr.po"
    fi
done
# VERSION_CONTROL=off: msgmerge -U leaves no fr.po~ backup behind
VERSION_CONTROL=off "$VENV/bin/click-odoo-makepot" -c "$conf" -d "$db" \
    --addons-dir "$ROOT" --modules "$ADDON,$BRIDGE" --msgmerge
for po in "$ROOT/$ADDON"/i18n/*.po "$ROOT/$BRIDGE"/i18n/*.po; do
    printf '%s: %s\n' "${po#"$ROOT"/}" "$(msgfmt --statistics -o /dev/null "$po" 2>&1)"
done
