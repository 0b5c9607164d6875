#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole built-in unblock, measured (issue 6): APDUs, service calls and wall time of
# C_Login(CKU_SO, secret) + C_InitPIN with the simulator answering each APDU after 20 ms.
# Needs the test world and the unblock world (scripts/test-world.sh, scripts/unblock-world.sh).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${IAS_BUILD_DIR:-$REPO/build/release}"
WORLD="${IAS_WORLD_DIR:-$REPO/test-world}"
UNBLOCK_DIR="${IAS_UNBLOCK_WORLD_DIR:-$REPO/test-world/unblockd}"
export IAS_SIM_BIN="${IAS_SIM_BIN:-$BUILD/sim/ias-card-sim}"
FIXTURE="$REPO/tests/world/unblock_fixture.sh"
LATENCY="${IAS_BENCH_LATENCY_MS:-20}"
WORK="$WORLD/work/unblock-bench"
mkdir -p "$WORK"
"$FIXTURE" card 0010000000123456 >/dev/null
secret=$("$FIXTURE" secret 0010000000123456)
IAS_SIM_ARGS="--latency-ms $LATENCY" "$REPO/scripts/test-world.sh" insert "$(cat "$WORLD/card.path")" 2>/dev/null
{ echo "reader_filter = Virtual PCD 00 00"; cat "$UNBLOCK_DIR/module.conf"; } > "$WORK/ias-pkcs11.conf"
count_calls() { grep -cE '"event":"(verify|cryptogram|confirm_[a-z]*)"' "$UNBLOCK_DIR/audit.log" 2>/dev/null || echo 0; }
calls_before=$(count_calls)
IAS_PKCS11_CONF="$WORK/ias-pkcs11.conf" "$BUILD/bench/unblock_reset" "$BUILD/module/ias-pkcs11.so" \
    "$WORLD/apdu.log" "$secret" 2580
calls_after=$(count_calls)
echo "service_calls $((calls_after - calls_before))"
echo "latency_per_apdu_ms $LATENCY"
"$REPO/scripts/test-world.sh" insert "$(cat "$WORLD/card.path")" 2>/dev/null  # back to no latency
