#!/usr/bin/env bash
# `make test`: the three tiers.
#   pure   pytest over tests/ (the rules package, packaging, translations), Odoo absent
#   static ruff + pylint-odoo's mandatory checks
#   odoo   the addon's TransactionCase tests, its browser tour (HttpCase, headless
#          Chromium) and subscription_oca's own tests with pytest-odoo, in a fresh
#          database with the addon installed; the install log must have no WARNING
#          or ERROR line
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
    "$PY" -m pylint --rcfile=.pylintrc-mandatory "$ADDON"; } || failed+=(static)

run_odoo_tier() {
    ensure_postgres || return 1
    local conf db log
    conf="$(write_odoo_conf)"
    local odoo=("$VENV/bin/odoo" -c "$conf" --stop-after-init --no-http)
    db="aircall_test_$$"
    trap 'dropdb --if-exists "$db" >/dev/null 2>&1' RETURN
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
    log="$CACHE/install.log"
    say "Installing $ADDON into $db"
    "${odoo[@]}" -d "$db" -i "$ADDON" --log-level=info >"$log" 2>&1
    local status=$?
    # as OCA's CI does: any WARNING/ERROR in the install log fails the run
    # (Odoo warns when run as root, which CI does: that line alone is tolerated)
    if grep -E ' (WARNING|ERROR|CRITICAL) ' "$log" | grep -v "Running as user 'root'"; then
        echo "the install log above has WARNING/ERROR lines (full log: $log)" >&2
        return 1
    fi
    [ "$status" = 0 ] || { tail -50 "$log"; return 1; }
    local oca_tests
    oca_tests="$("$PY" -c 'import odoo.addons.subscription_oca as m, os; print(os.path.join(os.path.dirname(m.__file__), "tests"))')"
    # the tour (an HttpCase) needs headless Chromium and an HTTP server
    # (--odoo-http, harmless for the TransactionCase tests); without Chromium it skips
    # and -rs prints why
    ensure_chromium || true
    # pytest-odoo imports odoo.tests before test mode is on, so Odoo logs an
    # "Importing test framework" ERROR with a stack at collection: the root
    # conftest.py filters exactly that record, and the run fails if it shows up
    say "Running the Odoo tests in $db"
    local output="$CACHE/odoo-tests.log"
    "$PY" -m pytest -p no:cacheprovider -q --odoo-database="$db" --odoo-config="$conf" \
        --odoo-log-level=warn --odoo-http -rs "${ODOO_TEST_ARGS[@]}" "$ADDON/tests" "$oca_tests" \
        2>&1 | tee "$output"
    local status=$?
    if grep -q "Importing test framework" "$output"; then
        echo "the Odoo tests logged 'Importing test framework' (see conftest.py)" >&2
        return 1
    fi
    return "$status"
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
    run_odoo_tier || failed+=(odoo)
fi

if [ "${#failed[@]}" -gt 0 ]; then
    echo "FAILED tiers: ${failed[*]}" >&2
    exit 1
fi
say "All tiers passed"
