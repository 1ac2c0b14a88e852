#!/usr/bin/env bash
# `make bench`: the benchmarks of bench/, never part of `make test`.
#   B1-B3, B5  bench/odoo_bench.py against a real Odoo 18 database (aircall_bench, copied
#          from the test template, the addon installed), dropped at the end
#   B4     bench/bench_rules.py (pytest-benchmark of the pure rules engine)
#   e2e    scripts/e2e.sh (`make e2e`): 500 contracts amended in bulk by a real job runner
#   B6     bench/queue_bench.py: 2,000 contracts amended in bulk, in process against the
#          job runner at channel capacity 1 and 2 (aircall_bench_queue: the addon and
#          queue_job installed, dropped at the end)
#   B7     bench/cron_bench.py: the daily cron over 100,000 contracts, 1,000 due, without
#          and with the bridge (aircall_bench_b7, aircall_bench_b7_queue, dropped)
# Writes bench/RESULTS.md (machine, date, command, tables of B1-B5) and
# bench/RESULTS-queue.md (e2e, B6, B7), and prints them.
# Environment: BENCH_N (default 1000) scales B1; BENCH_DB names the database
# (default aircall_bench); BENCH_KEEP_DB=1 keeps it afterwards; BENCH_PROFILE=1
# profiles B1's own path and the floor with pyinstrument instead of measuring;
# BENCH_ONLY=queue runs e2e, B6 and B7 only, BENCH_ONLY=odoo B1-B5 only.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

started=$(date +%s)
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
BENCH_N="${BENCH_N:-1000}"
BENCH_DB="${BENCH_DB:-aircall_bench}"
BENCH_ONLY="${BENCH_ONLY:-odoo,queue}"
OUT="$CACHE/bench"
RESULTS="$ROOT/bench/RESULTS.md"
RESULTS_QUEUE="$ROOT/bench/RESULTS-queue.md"
want() { [[ ",$BENCH_ONLY," == *",$1,"* ]]; }

bash "$ROOT/scripts/setup.sh" || {
    echo "make bench needs Odoo in $VENV (scripts/setup.sh failed)" >&2
    exit 1
}
PY="$VENV/bin/python"
ensure_postgres
conf="$(write_odoo_conf)"
odoo=("$VENV/bin/odoo" -c "$conf" --stop-after-init --no-http)
mkdir -p "$OUT"

# the databases of this run, dropped at the end unless BENCH_KEEP_DB=1
DBS=()
cleanup() {
    [ "${BENCH_KEEP_DB:-0}" = 1 ] && return
    local db
    for db in "${DBS[@]}"; do dropdb --if-exists "$db" >/dev/null 2>&1; done
}
trap cleanup EXIT
# new_db NAME MODULES: a copy of the same template database as scripts/test.sh,
# MODULES installed
new_db() {
    local db="$1" modules="$2"
    DBS+=("$db")
    dropdb --if-exists "$db"
    create_db_from_template "$conf" "$db"
    say "Installing $modules into $db"
    "${odoo[@]}" -d "$db" -i "$modules" --log-level=warn >"$OUT/install-$db.log" 2>&1 || {
        tail -50 "$OUT/install-$db.log"
        exit 1
    }
}

# machine_table: where and when the figures were taken
machine_table() {
    echo "| machine | |"
    echo "| --- | --- |"
    echo "| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') |"
    echo "| cores (\`nproc\`) | $(nproc) |"
    echo "| memory (\`free -h\`) | $(free -h | awk '/^Mem:/ {print $2 " total, " $7 " available"}') |"
    echo "| load average (1, 5, 15 min) at the start, at the end | $load_start; $(cut -d' ' -f1-3 /proc/loadavg) |"
    echo "| duration of \`make bench\` | $((($(date +%s) - started) / 60)) min |"
    echo "| PostgreSQL | $(psql -d postgres -Atqc 'show server_version') |"
    echo "| Odoo | $("$PY" -c 'import odoo.release as r; print(r.version)'), subscription_oca $("$PY" -c 'import importlib.metadata as m; print(m.version("odoo-addon-subscription_oca"))'), queue_job $("$PY" -c 'import importlib.metadata as m; print(m.version("odoo-addon-queue_job"))') |"
    echo
    echo "The machine is shared: other jobs may run during the measure (see the load)."
}

if [ "${BENCH_PROFILE:-0}" = 1 ]; then
    "$PY" -c "import pyinstrument" 2>/dev/null || {
        echo "BENCH_PROFILE=1 needs pyinstrument: $VENV/bin/pip install pyinstrument" >&2
        exit 1
    }
    new_db "$BENCH_DB" "$ADDON"
    say "Profiling B1 (ours, floor) against $BENCH_DB (BENCH_N=$BENCH_N)"
    "$PY" "$ROOT/bench/odoo_bench.py" --config "$conf" --database "$BENCH_DB" \
        --n "$BENCH_N" --only b1 --paths ours,floor --profile "$OUT/profiles"
    exit 0
fi

if want odoo; then
    new_db "$BENCH_DB" "$ADDON"
    say "B1-B3, B5 against $BENCH_DB (BENCH_N=$BENCH_N)"
    "$PY" "$ROOT/bench/odoo_bench.py" --config "$conf" --database "$BENCH_DB" \
        --n "$BENCH_N" --output "$OUT/odoo.md"

    say "B4: the rules engine (pytest-benchmark)"
    "$PY" -m pytest "$ROOT/bench/bench_rules.py" -p no:odoo -p no:cacheprovider -q \
        --benchmark-only --benchmark-json="$OUT/rules.json"
    "$PY" "$ROOT/bench/rules_table.py" "$OUT/rules.json" >"$OUT/rules.md"

    {
        echo "# Benchmark results"
        echo
        echo "Produced by \`make bench\` (\`bash scripts/bench.sh\`, BENCH_N=$BENCH_N) on"
        echo "$(date -u '+%Y-%m-%d %H:%M UTC'). Every figure below comes from that one run."
        echo
        machine_table
        echo "\`BENCH_PROFILE=1 make bench\` profiles B1's own path and the floor with"
        echo "pyinstrument instead (.cache/bench/profiles/, no figures written)."
        echo
        cat "$OUT/odoo.md"
        echo
        cat "$OUT/rules.md"
    } >"$RESULTS"
    say "Results written to ${RESULTS#"$ROOT"/}"
    cat "$RESULTS"
fi

if want queue; then
    say "make e2e: 500 contracts amended in bulk by a real job runner"
    E2E_N=500 bash "$ROOT/scripts/e2e.sh" | tee "$OUT/e2e.txt"

    new_db "${BENCH_DB}_queue" "$ADDON,queue_job"
    say "B6: 2,000 contracts in bulk, in process against the job runner"
    "$PY" "$ROOT/bench/queue_bench.py" --config "$conf" --database "${BENCH_DB}_queue" \
        --n 2000 --cache "$OUT/b6" --output "$OUT/b6.md"

    new_db "${BENCH_DB}_b7" "$ADDON"
    new_db "${BENCH_DB}_b7_queue" "$ADDON,queue_job"
    say "B7: the daily cron over 100,000 contracts, 1,000 due"
    "$PY" "$ROOT/bench/cron_bench.py" --config "$conf" --database "${BENCH_DB}_b7" \
        --queue-database "${BENCH_DB}_b7_queue" --rows 100000 --due 1000 \
        --output "$OUT/b7.md"

    {
        echo "# Benchmark results: the job queue"
        echo
        echo "Produced by \`make bench\` (\`bash scripts/bench.sh\`, BENCH_ONLY=$BENCH_ONLY) on"
        echo "$(date -u '+%Y-%m-%d %H:%M UTC'). Every figure below comes from that one run."
        echo
        machine_table
        echo
        echo "## make e2e: 500 contracts"
        echo
        echo "\`E2E_N=500 bash scripts/e2e.sh\` (one in ten contracts inside its notice period):"
        echo
        echo '```'
        grep '^e2e:' "$OUT/e2e.txt"
        echo '```'
        echo
        cat "$OUT/b6.md"
        echo
        echo "## B7: the daily cron over 100,000 contracts, 1,000 due"
        echo
        cat "$OUT/b7.md"
    } >"$RESULTS_QUEUE"
    say "Results written to ${RESULTS_QUEUE#"$ROOT"/}"
    cat "$RESULTS_QUEUE"
fi
