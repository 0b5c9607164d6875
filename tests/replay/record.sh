#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Re-records the OpenSC 0.23 replay scripts (opensc-list/login/sign.apdu) on the
# deterministic replay card (keys/README.md). Run after a change to the card layout, with the
# test world started (scripts/test-world.sh start); PIN data is masked by the simulator.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SIM="${IAS_SIM_BIN:-$REPO/build/release/sim/ias-card-sim}"
PORT="${IAS_VPCD_PORT:-35963}"
OPENSC=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
work=$(mktemp -d)
trap 'kill $(cat "$work/sim.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

"$SIM" personalise --state "$work/template.json" --serial 0010000000777777 --pin 4711 --puk 12345678 \
    --ca-dir "$HERE/keys" --auth-key "$HERE/keys/auth.key" --sign-key "$HERE/keys/sign.key" >/dev/null

record() {  # record NAME DESCRIPTION pkcs11-tool-args...
    local name=$1 what=$2; shift 2
    cp "$work/template.json" "$work/card.json"
    "$REPO/scripts/test-world.sh" remove 2>/dev/null
    : > "$work/trace"
    "$SIM" run --state "$work/card.json" --port "$PORT" --apdu-trace "$work/trace" >/dev/null 2>&1 &
    echo $! > "$work/sim.pid"
    for _ in $(seq 50); do opensc-tool -l 2>/dev/null | grep -q '^0 *Yes' && break; sleep 0.1; done
    pkcs11-tool --module "$OPENSC" "$@" >"$work/out" 2>&1 || { cat "$work/out" >&2; exit 1; }
    kill "$(cat "$work/sim.pid")" 2>/dev/null || true
    wait "$(cat "$work/sim.pid")" 2>/dev/null || true
    for _ in $(seq 50); do opensc-tool -l 2>/dev/null | grep -q '^0 *Yes' || break; sleep 0.1; done
    {
        echo "# name: $name"
        echo "# Recorded from Debian 12 OpenSC 0.23 ($what) against ias-card-sim,"
        echo "# card personalised from tests/replay/keys (serial 0010000000777777, PIN 4711, PUK 12345678)."
        cat "$work/trace"
    } > "$HERE/$name.apdu"
    echo "recorded $name.apdu ($(grep -c '^>' "$HERE/$name.apdu") APDUs)"
}

printf 'replay test message\n' > "$work/msg"
{ printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20'; openssl dgst -sha256 -binary "$work/msg"; } > "$work/di"
record opensc-list "pkcs11-tool -L" -L
record opensc-login "pkcs11-tool --login -O" --login --pin 4711 -O
record opensc-sign "pkcs11-tool --sign -m RSA-PKCS" --login --pin 4711 --sign -m RSA-PKCS --id 45 -i "$work/di" -o "$work/sig"
"$REPO/scripts/test-world.sh" insert "$REPO/test-world/default-card.json" 2>/dev/null || true
