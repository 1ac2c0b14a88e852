# Shared helpers for scripts/*.sh; source it, don't run it.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
CACHE="$ROOT/.cache"
ODOO_DEFAULT_SOURCE="${HOME}/odoo/18.0"
ODOO_NIGHTLY_URL="https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz"
ADDON=aircall_subscription_amendments
BRIDGE=aircall_subscription_amendments_queue
mkdir -p "$CACHE"

say() { printf '==> %s\n' "$*" >&2; }

python_bin() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3.12 python3; do
        [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && {
            command -v "$candidate"
            return
        }
    done
    return 1
}

# Prints the folder of an Odoo 18.0 source tree, or fails with the reason on stderr.
# ODOO_SOURCE (folder or sdist URL) > ~/odoo/18.0 > Odoo's nightly tarball.
resolve_odoo_source() {
    local source="${ODOO_SOURCE:-}" from_env=1
    if [ -z "$source" ]; then
        from_env=0
        if [ -f "$ODOO_DEFAULT_SOURCE/setup.py" ]; then
            source="$ODOO_DEFAULT_SOURCE"
        else
            source="$ODOO_NIGHTLY_URL"
        fi
    fi
    if [ -d "$source" ]; then
        if [ ! -f "$source/setup.py" ] || [ ! -f "$source/requirements.txt" ]; then
            echo "$source has no setup.py/requirements.txt: not an Odoo source tree" >&2
            return 1
        fi
        (cd "$source" && pwd)
        return
    fi
    case "$source" in
    http://* | https://* | file://*) ;;
    *)
        echo "ODOO_SOURCE=$source is neither a folder nor a URL" >&2
        return 1
        ;;
    esac
    local target
    target="$CACHE/odoo-src/$(printf '%s' "$source" | sha1sum | cut -c1-12)"
    if [ ! -f "$target/setup.py" ]; then
        say "Downloading Odoo source from $source"
        rm -rf "$target.tmp" && mkdir -p "$target.tmp"
        if ! curl -fsSL --connect-timeout 20 --max-time 900 "$source" |
            tar -xz -C "$target.tmp" --strip-components=1 2>/dev/null; then
            rm -rf "$target.tmp"
            if [ "$from_env" = 1 ]; then
                echo "could not download ODOO_SOURCE=$source" >&2
            else
                echo "no ODOO_SOURCE, no $ODOO_DEFAULT_SOURCE, and $source cannot be downloaded" >&2
            fi
            return 1
        fi
        mv "$target.tmp" "$target"
    fi
    echo "$target"
}

odoo_importable() {
    [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import odoo.release" >/dev/null 2>&1
}

# True when the project insists on the Odoo tier (ODOO_SOURCE set, default folder, odoo importable).
odoo_required() {
    [ -n "${ODOO_SOURCE:-}" ] || [ -f "$ODOO_DEFAULT_SOURCE/setup.py" ] || odoo_importable
}

# Writes .cache/odoo.conf: addons path = this repository + Odoo's own addons.
write_odoo_conf() {
    local odoo_addons
    odoo_addons="$("$VENV/bin/python" -c 'import odoo, os; print(os.path.join(os.path.dirname(odoo.__file__), "addons"))')"
    cat >"$CACHE/odoo.conf" <<CONF
[options]
addons_path = $ROOT,$odoo_addons
data_dir = $CACHE/odoo-data
admin_passwd = admin
http_port = ${ODOO_HTTP_PORT:-8069}
CONF
    echo "$CACHE/odoo.conf"
}

pg_answers() { psql -d postgres -Atqc 'select 1' >/dev/null 2>&1; }

# Uses the server reachable through PG* variables or the local socket; otherwise
# starts (and if needed installs) Debian's PostgreSQL and says so.
ensure_postgres() {
    command -v psql >/dev/null 2>&1 && pg_answers && return 0
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        say "No PostgreSQL answers: installing it from the system's packages"
        local sudo=""
        [ "$(id -u)" = 0 ] || sudo="sudo"
        $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-client libpq-dev >/dev/null
    fi
    local version
    version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)"
    if [ -n "$version" ]; then
        say "No PostgreSQL answers: starting cluster $version/main"
        local sudo=""
        [ "$(id -u)" = 0 ] || sudo="sudo"
        $sudo pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null ||
            $sudo pg_ctlcluster "$version" main start || true
        local i
        for i in $(seq 1 30); do
            pg_answers && break
            # a fresh cluster knows only the postgres role: add ours
            $sudo su postgres -c "createuser -s $(id -un)" >/dev/null 2>&1 || true
            sleep 1
        done
    fi
    pg_answers || {
        echo "PostgreSQL: no server answers through PG* variables or the local socket" >&2
        return 1
    }
    say "PostgreSQL started"
}

# Headless Chromium for the tour tests (HttpCase.start_tour). When no Chrome/Chromium
# is on PATH, installs Debian's `chromium` if we may (root, or sudo without a
# password); otherwise says why on stderr and returns 1, and the tour tests skip.
ensure_chromium() {
    local bin
    for bin in chromium chromium-browser google-chrome google-chrome-stable; do
        command -v "$bin" >/dev/null 2>&1 && return 0
    done
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo="sudo -n"
        else
            echo "no Chromium, and installing it needs root or sudo: the tour tests will skip" >&2
            return 1
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "no Chromium and no apt-get to install it: the tour tests will skip" >&2
        return 1
    fi
    say "Installing Debian's chromium for the tour tests"
    if ! { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; then
        echo "could not install Debian's chromium: the tour tests will skip" >&2
        return 1
    fi
}

# gettext's msgmerge and msgfmt, for `make i18n`: installs Debian's gettext when they
# are missing and we may (root, or sudo without a password).
ensure_gettext() {
    command -v msgmerge >/dev/null 2>&1 && command -v msgfmt >/dev/null 2>&1 && return 0
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        sudo -n true 2>/dev/null || {
            echo "make i18n needs gettext's msgmerge: install Debian's gettext" >&2
            return 1
        }
        sudo="sudo -n"
    fi
    say "Installing Debian's gettext (msgmerge) for make i18n"
    $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends gettext >/dev/null
}

# Creates database $2 as a copy of the template database that has account,
# sale_management and subscription_oca installed with demo data: test, bench and
# i18n databases are copies of it, which saves a minute each. The template is
# click-odoo-initdb's cache (`aircall-<last used>-<sha1>`, the sha1 of the files of
# those addons and of every addon they pull in): it is built the first time, and
# again when Odoo's or subscription_oca's files change; its attachments are stored
# in the database, so that copies have them; the 5 most recently used are kept.
TEMPLATE_ADDONS=account,sale_management,subscription_oca
create_db_from_template() {
    local conf="$1" db="$2" log="$CACHE/initdb-$2.log"
    say "Creating $db from the template database (built first when needed: about a minute)"
    "$VENV/bin/click-odoo-initdb" -c "$conf" -n "$db" -m "$TEMPLATE_ADDONS" \
        --cache-prefix aircall --log-level=warn >"$log" 2>&1 || {
        cat "$log" >&2
        return 1
    }
    rm -f "$log"
}
