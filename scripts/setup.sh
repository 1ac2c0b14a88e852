#!/usr/bin/env bash
# Creates .venv with the test tools and, when an Odoo 18.0 source can be had,
# Odoo (+ its requirements, pinned for this Python) and the OCA addons of
# requirements-addons.txt (subscription_oca; queue_job for the bridge). This
# repository's two addons are on Odoo's addons path (.cache/odoo.conf), not installed.
# Idempotent: a stamp skips what is already installed.
# Exit status: 0 = Odoo installed; 3 = no Odoo source (reason on stderr); other = error.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PY="$(python_bin)" || { echo "python3 not found" >&2; exit 1; }
if [ ! -x "$VENV/bin/python" ]; then
    say "Creating $VENV with $PY"
    "$PY" -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip setuptools wheel >/dev/null
fi
PIP=("$VENV/bin/pip" install -q --disable-pip-version-check)
LOG="$CACHE/setup.log"
: >"$LOG"
# pip's (and setuptools') chatter goes to .cache/setup.log, shown when a step fails
quietly() {
    "$@" >>"$LOG" 2>&1 || {
        cat "$LOG" >&2
        echo "setup failed: $*" >&2
        return 1
    }
}

dev_stamp="$VENV/.stamp-dev-$(sha1sum "$ROOT/requirements-dev.txt" | cut -c1-12)"
if [ ! -f "$dev_stamp" ]; then
    say "Installing test tools"
    # the lines marked `# no-deps` are installed without their dependencies
    { grep -v '# no-deps' "$ROOT/requirements-dev.txt" || true; } >"$CACHE/requirements-dev.txt"
    { grep '# no-deps' "$ROOT/requirements-dev.txt" || true; } | sed 's/#.*//' \
        >"$CACHE/requirements-dev-nodeps.txt"
    quietly "${PIP[@]}" -r "$CACHE/requirements-dev.txt"
    quietly "${PIP[@]}" --no-deps -r "$CACHE/requirements-dev-nodeps.txt"
    touch "$dev_stamp"
fi

if ! source_dir="$(resolve_odoo_source)"; then
    odoo_importable && exit 0
    exit 3
fi

odoo_stamp="$VENV/.stamp-odoo-$(cat "$source_dir/requirements.txt" "$ROOT/scripts/odoo_requirements.py" "$ROOT/requirements-addons.txt" | sha1sum | cut -c1-12)-$(printf '%s' "$source_dir" | sha1sum | cut -c1-8)"
if [ ! -f "$odoo_stamp" ]; then
    say "Installing Odoo from $source_dir"
    "$VENV/bin/python" "$ROOT/scripts/odoo_requirements.py" "$source_dir/requirements.txt" >"$CACHE/odoo-pins.txt"
    quietly "${PIP[@]}" -r "$CACHE/odoo-pins.txt"
    # compat mode: a plain .pth entry, so that odoo.addons stays a namespace shared
    # with the OCA wheels (a setuptools editable finder would shadow it)
    quietly "${PIP[@]}" --no-deps --no-build-isolation -e "$source_dir" --config-settings editable_mode=compat
    quietly "${PIP[@]}" -r "$ROOT/requirements-addons.txt"
    rm -f "$VENV"/.stamp-odoo-*
    touch "$odoo_stamp"
fi
