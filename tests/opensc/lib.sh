# SPDX-License-Identifier: Apache-2.0
# Common helpers of the OpenSC 0.23 integration tests (sourced). Needs the test world:
# scripts/test-world.sh start. Every test inserts a fresh copy of a personalised card and
# puts the world's default card back when it ends.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORLD="${IAS_WORLD_DIR:-$REPO/test-world}"
WORLD_SH="$REPO/scripts/test-world.sh"
OPENSC_MODULE="${OPENSC_MODULE:-/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so}"
TEST_PIN=4711
TEST_PUK=12345678
TMP="$(mktemp -d "${TMPDIR:-/tmp}/ias-opensc-test.XXXXXX")"
# OpenSC must not pick up a stray configuration or a card cache between tests.
export OPENSC_CONF="$TMP/opensc.conf"
printf 'app default { }\n' > "$OPENSC_CONF"

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }

cleanup() {
    local rc=$?
    unset IAS_SIM_ARGS
    if [[ -f "$WORLD/default-card.json" ]]; then "$WORLD_SH" insert "$WORLD/default-card.json" >/dev/null 2>&1 || true; fi
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT

[[ -f "$WORLD/pcscd.pid" ]] && kill -0 "$(cat "$WORLD/pcscd.pid")" 2>/dev/null \
    || fail "the test world is not running: scripts/test-world.sh start"
[[ -f "$OPENSC_MODULE" ]] || fail "OpenSC module $OPENSC_MODULE missing (apt-get install opensc-pkcs11)"

sim() {
    local bin="${IAS_SIM_BIN:-}"
    [[ -n "$bin" ]] || for bin in "$REPO/build/release/sim/ias-card-sim" "$REPO/build/sim/sim/ias-card-sim"; do [[ -x "$bin" ]] && break; done
    "$bin" "$@"
}

# A fresh card: a copy of a template personalised once per world (serial 0010000000654321).
insert_fresh_card() {
    local template="$WORLD/opensc-test-template.json"
    if [[ ! -f "$template" ]]; then
        sim personalise --state "$template.new" --serial 0010000000654321 --pin "$TEST_PIN" --puk "$TEST_PUK" \
            --ca-dir "$WORLD/ca" --label "IAS-ECC SIM" --force >/dev/null
        mv "$template.new" "$template"
    fi
    cp "$template" "$TMP/card.json"
    chmod 600 "$TMP/card.json"
    "$WORLD_SH" insert "$TMP/card.json"
    : > "$WORLD/apdu.log"
}

# A fresh card of personality $1 (serial 0010000000654321, test PIN and PUK) in the reader.
insert_personality() {  # insert_personality NAME [SERIAL]
    local state="$TMP/$1.json"
    sim personalise --personality "$1" --state "$state" --serial "${2:-0010000000654321}" --pin "$TEST_PIN" \
        --puk "$TEST_PUK" --ca-dir "$WORLD/ca" --label "IAS-ECC SIM" --force >/dev/null
    chmod 600 "$state"
    "$WORLD_SH" insert "$state" >/dev/null 2>&1
}

p11() { timeout 60 pkcs11-tool --module "$OPENSC_MODULE" "$@"; }

# Number of APDUs in the simulator's log since the last reset_count.
reset_count() { : > "$WORLD/apdu.log"; }
apdu_count() { wc -l < "$WORLD/apdu.log" | tr -d ' '; }

expect_contains() {
    local haystack="$1" needle="$2"
    grep -qF -- "$needle" <<<"$haystack" || { echo "$haystack" >&2; fail "expected output to contain: $needle"; }
}
expect_not_contains() {
    local haystack="$1" needle="$2"
    if grep -qF -- "$needle" <<<"$haystack"; then echo "$haystack" >&2; fail "unexpected in output: $needle"; fi
}

# DER DigestInfo(SHA-256) of file $1 into $2.
digest_info_sha256() {
    { printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20'; openssl dgst -sha256 -binary "$1"; } > "$2"
}

# Public key (PEM) of the card certificate with id $1 into $2.
card_public_key() {
    p11 --read-object --type cert --id "$1" -o "$TMP/cert-$1.der" >/dev/null 2>&1 || fail "cannot read certificate $1"
    openssl x509 -inform der -in "$TMP/cert-$1.der" -pubkey -noout > "$2"
}
