#!/usr/bin/env bash
# `make validate-einvoice MOVE=<id> [DB=<database>]`: the Factur-X (CII) and UBL
# (BIS 3) exports of a posted invoice or credit note checked against the XSDs and
# the official schematrons (scripts/validate_einvoice.py). DB defaults to the demo
# database, aircall_demo. EINVOICE_ARGS passes more options (--details, --save DIR).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
move="${1:-}" db="${2:-}"
if [ -z "$move" ]; then
    echo "usage: make validate-einvoice MOVE=<account.move id> [DB=<database>]" >&2
    exit 2
fi
bash "$ROOT/scripts/setup.sh"
ensure_postgres
conf="$(write_odoo_conf)"
# shellcheck disable=SC2086
"$VENV/bin/python" "$ROOT/scripts/validate_einvoice.py" --config "$conf" \
    --database "${db:-aircall_demo}" --move "$move" ${EINVOICE_ARGS:-}
