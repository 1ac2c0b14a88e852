#!/usr/bin/env bash
# `make test`: the three tiers.
#   pure   pytest over tests/ (the rules package, packaging, translations), Odoo absent
#   static ruff + pylint-odoo's mandatory checks
#   odoo   the addon's TransactionCase tests, its browser tour (HttpCase, headless
#          Chromium) and subscription_oca's own tests with pytest-odoo, in a fresh
#          database with the addon installed (and no queue_job); the install log must
#          have no WARNING or ERROR line
#   queue  the bridge's tests (aircall_subscription_amendments_queue) and
#          subscription_oca's own in a second database where queue_job is installed
#          too (the bridge installs itself); queue_job's trap_jobs() runs the jobs,
#          no job runner is loaded; then scripts/e2e.sh (`make e2e`) on a copy of
#          that database: a real job runner (odoo --workers=2, channel capacity 2)
#          processes a bulk amendment of 50 contracts over XML-RPC; then the same
#          with E2E_FAULTS=1 (scripts/e2e_faults.py, 60 contracts): killed worker,
#          terminated connection, held and faulty contracts, the cron killed and rerun
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

failed=()
setup_status=0
bash "$ROOT/scripts/setup.sh" 2>"$CACHE/setup.err" || setup_status=$?
cat "$CACHE/setup.err" >&2
if [ "$setup_status" != 0 ] && [ "$setup_status" != 3 ]; then
    echo "setup failed (exit $setup_status)" >&2
    exit 1
fi
PY="$VENV/bin/python"

say "Tier pure"
"$PY" -m pytest tests -p no:odoo -p no:cacheprovider -q || failed+=(pure)

say "Tier static"
{ "$VENV/bin/ruff" check . && "$VENV/bin/ruff" format --check . &&
    "$PY" -m pylint --rcfile=.pylintrc-mandatory "$ADDON" "$BRIDGE"; } || failed+=(static)

# Installs $3 into database $2 with config $1; as OCA's CI does, any WARNING/ERROR
# in the install log fails the run (Odoo warns when run as root, which CI does:
# that line alone is tolerated).
install_clean() {
    local conf="$1" db="$2" modules="$3" log="$CACHE/install-$2.log"
    say "Installing $modules into $db"
    "$VENV/bin/odoo" -c "$conf" --stop-after-init --no-http -d "$db" -i "$modules" \
        --log-level=info >"$log" 2>&1
    local status=$?
    if grep -E ' (WARNING|ERROR|CRITICAL) ' "$log" | grep -v "Running as user 'root'"; then
        echo "the install log above has WARNING/ERROR lines (full log: $log)" >&2
        return 1
    fi
    [ "$status" = 0 ] || { tail -50 "$log"; return 1; }
}

# pytest-odoo imports odoo.tests before test mode is on, so Odoo logs an
# "Importing test framework" ERROR with a stack at collection: the root
# conftest.py filters exactly that record, and the run fails if it shows up.
# Runs pytest on database $1 with the rest of the arguments; output in $CACHE/$db.log.
run_pytest_odoo() {
    local db="$1" conf output="$CACHE/tests-$1.log"
    shift
    conf="$CACHE/odoo.conf"
    "$PY" -m pytest -p no:cacheprovider -q --odoo-database="$db" --odoo-config="$conf" \
        --odoo-log-level=warn -rs "$@" 2>&1 | tee "$output"
    local status=${PIPESTATUS[0]}
    if grep -q "Importing test framework" "$output"; then
        echo "the Odoo tests logged 'Importing test framework' (see conftest.py)" >&2
        return 1
    fi
    return "$status"
}

# Runs "$2 $1": a tier in a fresh database named $1, dropped afterwards.
with_scratch_db() {
    local db="$1" status=0
    ensure_postgres || return 1
    "$2" "$db" || status=$?
    dropdb --if-exists "$db" >/dev/null 2>&1
    return "$status"
}

run_odoo_tier() {
    local db="$1" conf
    conf="$(write_odoo_conf)"
    # with demo data: subscription_oca's own tests need it (ours create their own records)
    create_db_from_template "$conf" "$db" || return 1
    # a database full of running contracts, billed by subscription_oca before
    # the addon is installed: tests/test_adoption.py checks what it made of them
    say "Seeding subscriptions invoiced before the addon"
    "$VENV/bin/odoo" shell -c "$conf" -d "$db" --no-http --log-level=warn \
        <"$ROOT/scripts/seed_adoption.py" >"$CACHE/seed.log" 2>&1 || {
        cat "$CACHE/seed.log"
        return 1
    }
    export AIRCALL_ADOPTION_SEEDED=1
    install_clean "$conf" "$db" "$ADDON" || return 1
    local oca_tests
    oca_tests="$("$PY" -c 'import odoo.addons.subscription_oca as m, os; print(os.path.join(os.path.dirname(m.__file__), "tests"))')"
    # the tour (an HttpCase) needs headless Chromium and an HTTP server
    # (--odoo-http, harmless for the TransactionCase tests); without Chromium it skips
    # and -rs prints why
    ensure_chromium || true
    say "Running the Odoo tests in $db"
    run_pytest_odoo "$db" --odoo-http "${ODOO_TEST_ARGS[@]}" "$ADDON/tests" "$oca_tests"
}

run_queue_tier() {
    local db="$1" conf state
    conf="$(write_odoo_conf)"
    create_db_from_template "$conf" "$db" || return 1
    # queue_job and the addon: the bridge must install itself (auto_install)
    install_clean "$conf" "$db" "$ADDON,queue_job" || return 1
    state="$(psql -d "$db" -Atqc "select state from ir_module_module where name='$BRIDGE'")"
    if [ "$state" != installed ]; then
        echo "$BRIDGE was not installed with queue_job (state: ${state:-absent})" >&2
        return 1
    fi
    # subscription_oca's own tests too: with the bridge, its cron keeps their contract
    local oca_tests
    oca_tests="$("$PY" -c 'import odoo.addons.subscription_oca as m, os; print(os.path.join(os.path.dirname(m.__file__), "tests"))')"
    say "Running the bridge's tests in $db"
    run_pytest_odoo "$db" "${ODOO_TEST_ARGS[@]}" "$BRIDGE/tests" "$oca_tests" || return 1
    # end to end: a real job runner processes a bulk amendment of 50 contracts,
    # on a copy of this database (`make e2e` runs the same script with 500)
    E2E_SOURCE_DB="$db" E2E_N=50 bash "$ROOT/scripts/e2e.sh" || return 1
    # the same under faults (`make e2e-faults` runs it with 500): 60 contracts, one
    # worker killed, one connection terminated, a held and a faulty contract, then
    # the daily cron killed and run again, without and with the bridge; fails on
    # any duplicate, lost or skipped contract
    E2E_FAULTS=1 E2E_SOURCE_DB="$db" E2E_N=60 bash "$ROOT/scripts/e2e.sh"
}

say "Tier odoo"
if [ "$setup_status" = 3 ] && ! odoo_importable; then
    reason="$(tail -n1 "$CACHE/setup.err")"
    if odoo_required; then
        echo "Odoo tier FAILED: Odoo is required here but could not be installed: $reason" >&2
        failed+=(odoo)
    else
        echo "Odoo tier SKIPPED: ${reason:-no Odoo 18.0 source}"
    fi
else
    ODOO_TEST_ARGS=("$@")
    with_scratch_db "aircall_test_$$" run_odoo_tier || failed+=(odoo)
    say "Tier queue"
    with_scratch_db "aircall_queue_test_$$" run_queue_tier || failed+=(queue)
fi

if [ "${#failed[@]}" -gt 0 ]; then
    echo "FAILED tiers: ${failed[*]}" >&2
    exit 1
fi
say "All tiers passed"
