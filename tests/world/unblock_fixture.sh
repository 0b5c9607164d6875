#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Helpers of module_unblock_test (world): cards and secrets for the unblock error rows.
#   unblock_fixture.sh card SERIAL        insert a fresh card with that serial, PIN 4711, locked
#   unblock_fixture.sh secret SERIAL      open a case for SERIAL, answer it, print the secret
#   unblock_fixture.sh module-conf        print the module config lines of the running service
#   unblock_fixture.sh age-secret SERIAL  make the secret issued for SERIAL 25 h old (expired):
#                                         the service's SQLite store is edited, as time would
#   unblock_fixture.sh last-audit         print the service's last audit decision (JSON)
# Needs the test world and the unblock world (scripts/test-world.sh, scripts/unblock-world.sh).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
WORLD="${IAS_WORLD_DIR:-$REPO/test-world}"
SIM="${IAS_SIM_BIN:-$REPO/build/release/sim/ias-card-sim}"
UNBLOCK_DIR="${IAS_UNBLOCK_WORLD_DIR:-$REPO/test-world/unblockd}"

case "${1:?}" in
card)
    serial=${2:?serial}
    template="$WORLD/templates/unblock-${IAS_SIM_PERSONALITY:-default}-$serial.json"
    if [[ ! -f "$template" || "$SIM" -nt "$template" ]]; then
        mkdir -p "$WORLD/templates"
        rm -f "$template.tmp"
        "$SIM" personalise --personality "${IAS_SIM_PERSONALITY:-default}" --state "$template.tmp" --serial "$serial" --pin 4711 --puk 12345678 \
            --ca-dir "$WORLD/templates/ca" --label "IAS-ECC SIM" >/dev/null
        mv "$template.tmp" "$template"
    fi
    mkdir -p "$WORLD/work/module-unblock"
    card="$WORLD/work/module-unblock/card-$serial.json"
    cp "$template" "$card"
    "$REPO/scripts/test-world.sh" insert "$card" 2>/dev/null
    ;;
secret)
    link=$("$REPO/scripts/unblock-world.sh" open-case "${2:?serial}" 2>/dev/null | tail -n 1)
    curl -s --cacert "$UNBLOCK_DIR/tls.crt" -H "Authorization: Bearer ${link##*/h/}" \
        -H 'Content-Type: application/json' -d '{"answers":["Lyon","Rex"]}' \
        "${link%%/h/*}/v1/holder/answers" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])'
    ;;
module-conf)
    cat "$UNBLOCK_DIR/module.conf"
    ;;
age-secret)
    serial=${2:?serial}
    [[ "$serial" =~ ^[0-9A-F]+$ ]] || { echo "bad serial" >&2; exit 2; }
    sqlite3 -cmd '.timeout 5000' "$UNBLOCK_DIR/unblockd.sqlite" \
        "UPDATE cases SET secret_issued_at = secret_issued_at - 90000, secret_expires_at = secret_expires_at - 90000
         WHERE serial = '$serial' AND state = 'secret_issued'; SELECT changes();"
    ;;
last-audit)
    tail -n 1 "$UNBLOCK_DIR/audit.log"
    ;;
*) echo "unknown command $1" >&2; exit 2 ;;
esac
