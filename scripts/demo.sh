#!/usr/bin/env bash
# `make demo`: sets everything up, creates the demo database (once) with the addon,
# its demo data and queue_job (so the bridge too), and starts Odoo on
# http://localhost:${ODOO_HTTP_PORT:-8069} with queue_job's runner (a thread, as Odoo
# runs without workers here: fine for a demo, not for production).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

status=0
bash "$ROOT/scripts/setup.sh" || status=$?
if [ "$status" = 3 ]; then
    echo "make demo needs Odoo 18.0: set ODOO_SOURCE to a source folder or sdist URL, or put the source in $ODOO_DEFAULT_SOURCE" >&2
    exit 1
fi
[ "$status" = 0 ] || exit "$status"
ensure_postgres
conf="$(write_odoo_conf)"
db="${DEMO_DB:-aircall_demo}"
if ! psql -d postgres -Atqc "select 1 from pg_database where datname='$db'" | grep -q 1; then
    say "Creating demo database $db (a few minutes)"
    "$VENV/bin/odoo" -c "$conf" -d "$db" -i "$ADDON,queue_job" --stop-after-init --no-http --log-level=warn
fi
cat <<MSG

  Odoo is starting on http://localhost:${ODOO_HTTP_PORT:-8069}
  database: $db    login: admin    password: admin
  (Ctrl-C stops it; DEMO_DB=name make demo uses another database)

MSG
exec "$VENV/bin/odoo" -c "$conf" -d "$db" --db-filter="^$db\$" --load=base,web,queue_job
