#!/usr/bin/env bash
# `make bench`: the benchmarks of bench/, never part of `make test`.
#   B1-B3, B5  bench/odoo_bench.py against a real Odoo 18 database (aircall_bench, copied
#          from the test template, the addon installed), dropped at the end
#   B4     bench/bench_rules.py (pytest-benchmark of the pure rules engine)
# Writes bench/RESULTS.md (machine, date, command, tables) and prints it.
# Environment: BENCH_N (default 1000) scales B1; BENCH_DB names the database
# (default aircall_bench); BENCH_KEEP_DB=1 keeps it afterwards; BENCH_PROFILE=1
# profiles B1's own path and the floor with pyinstrument instead of measuring.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

started=$(date +%s)
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
BENCH_N="${BENCH_N:-1000}"
BENCH_DB="${BENCH_DB:-aircall_bench}"
OUT="$CACHE/bench"
RESULTS="$ROOT/bench/RESULTS.md"

bash "$ROOT/scripts/setup.sh" || {
    echo "make bench needs Odoo in $VENV (scripts/setup.sh failed)" >&2
    exit 1
}
PY="$VENV/bin/python"
ensure_postgres
conf="$(write_odoo_conf)"
odoo=("$VENV/bin/odoo" -c "$conf" --stop-after-init --no-http)

mkdir -p "$OUT"
dropdb --if-exists "$BENCH_DB"
# a copy of the same template database as scripts/test.sh
create_db_from_template "$conf" "$BENCH_DB"
if [ "${BENCH_KEEP_DB:-0}" != 1 ]; then
    trap 'dropdb --if-exists "$BENCH_DB" >/dev/null 2>&1' EXIT
fi
say "Installing $ADDON into $BENCH_DB"
"${odoo[@]}" -d "$BENCH_DB" -i "$ADDON" --log-level=warn >"$OUT/install.log" 2>&1 || {
    tail -50 "$OUT/install.log"
    exit 1
}

if [ "${BENCH_PROFILE:-0}" = 1 ]; then
    "$PY" -c "import pyinstrument" 2>/dev/null || {
        echo "BENCH_PROFILE=1 needs pyinstrument: $VENV/bin/pip install pyinstrument" >&2
        exit 1
    }
    say "Profiling B1 (ours, floor) against $BENCH_DB (BENCH_N=$BENCH_N)"
    "$PY" "$ROOT/bench/odoo_bench.py" --config "$conf" --database "$BENCH_DB" \
        --n "$BENCH_N" --only b1 --paths ours,floor --profile "$OUT/profiles"
    exit 0
fi

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
    echo "| machine | |"
    echo "| --- | --- |"
    echo "| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') |"
    echo "| cores (\`nproc\`) | $(nproc) |"
    echo "| memory (\`free -h\`) | $(free -h | awk '/^Mem:/ {print $2 " total, " $7 " available"}') |"
    echo "| load average (1, 5, 15 min) at the start, at the end | $load_start; $(cut -d' ' -f1-3 /proc/loadavg) |"
    echo "| duration of \`make bench\` | $((($(date +%s) - started) / 60)) min |"
    echo "| PostgreSQL | $(psql -d postgres -Atqc 'show server_version') |"
    echo "| Odoo | $("$PY" -c 'import odoo.release as r; print(r.version)'), subscription_oca $("$PY" -c 'import importlib.metadata as m; print(m.version("odoo-addon-subscription_oca"))') |"
    echo
    echo "The machine is shared: other jobs may run during the measure (see the load)."
    echo "\`BENCH_PROFILE=1 make bench\` profiles B1's own path and the floor with"
    echo "pyinstrument instead (.cache/bench/profiles/, no figures written)."
    echo
    cat "$OUT/odoo.md"
    echo
    cat "$OUT/rules.md"
} >"$RESULTS"
say "Results written to ${RESULTS#"$ROOT"/}"
cat "$RESULTS"
