#!/usr/bin/env bash
# `make e2e`: a bulk amendment processed end to end by a real queue_job runner
# (scripts/e2e.py): odoo --workers=2 --max-cron-threads=0 --load=base,web,queue_job,
# channel capacity 2, on a committed copy of the test database.
# Environment: E2E_N contracts (default 500; `make test` runs it with 50);
# E2E_SOURCE_DB, a database with the addon and queue_job installed to copy
# (`make test` passes its queue tier's); without it, a copy of the test template
# with both installed. The copy is dropped at the end (E2E_KEEP_DB=1 keeps it).
# E2E_FAULTS=1 (`make e2e-faults`) runs scripts/e2e_faults.py instead: the same
# server and runner with faults injected (E2E_SEED replays one run's faults).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

E2E_N="${E2E_N:-500}"
E2E_DB="${E2E_DB:-aircall_e2e_$$}"

if [ -z "${E2E_SOURCE_DB:-}" ]; then
    bash "$ROOT/scripts/setup.sh" || {
        echo "make e2e needs Odoo in $VENV (scripts/setup.sh failed)" >&2
        exit 1
    }
fi
ensure_postgres
conf="$(write_odoo_conf)"
mkdir -p "$CACHE/e2e"

dropdb --if-exists "$E2E_DB" >/dev/null 2>&1
if [ "${E2E_KEEP_DB:-0}" != 1 ]; then
    trap 'dropdb --if-exists "$E2E_DB" >/dev/null 2>&1' EXIT
fi
if [ -n "${E2E_SOURCE_DB:-}" ]; then
    say "Copying $E2E_SOURCE_DB to $E2E_DB"
    createdb -T "$E2E_SOURCE_DB" "$E2E_DB"
else
    create_db_from_template "$conf" "$E2E_DB"
    say "Installing $ADDON and queue_job into $E2E_DB (the bridge installs itself)"
    "$VENV/bin/odoo" -c "$conf" --stop-after-init --no-http -d "$E2E_DB" \
        -i "$ADDON,queue_job" --log-level=warn >"$CACHE/e2e/install.log" 2>&1 || {
        tail -50 "$CACHE/e2e/install.log"
        exit 1
    }
fi
if [ "${E2E_FAULTS:-0}" = 1 ]; then
    # scripts/e2e_faults.py: the same run under faults (killed workers, a dropped
    # connection, a held and a faulty contract), then the daily cron killed and rerun
    say "End to end under faults: $E2E_N contracts amended in bulk, then the daily cron"
    "$VENV/bin/python" "$ROOT/scripts/e2e_faults.py" --config "$conf" \
        --database "$E2E_DB" --n "$E2E_N" --cache "$CACHE/e2e" ${E2E_SEED:+--seed "$E2E_SEED"}
else
    say "End to end: $E2E_N contracts amended in bulk through the job runner"
    "$VENV/bin/python" "$ROOT/scripts/e2e.py" --config "$conf" --database "$E2E_DB" \
        --n "$E2E_N" --cache "$CACHE/e2e"
fi
