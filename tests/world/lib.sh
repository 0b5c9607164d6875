# SPDX-License-Identifier: Apache-2.0
# Shared helpers of the world tests (ctest LABELS world): they need the test world
# (scripts/test-world.sh start) and use the card in "Virtual PCD 00 00".
# Environment from ctest: IAS_MODULE (ias-pkcs11.so), IAS_SIM_BIN (ias-card-sim).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORLD="${IAS_WORLD_DIR:-$REPO/test-world}"
MODULE="${IAS_MODULE:-$REPO/build/release/module/ias-pkcs11.so}"
SIM="${IAS_SIM_BIN:-$REPO/build/release/sim/ias-card-sim}"
OPENSC_MODULE=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
PIN=4711
PUK=12345678
TEST_NAME="$(basename "$0" .sh)-${1:-}"
WORK="$WORLD/work/$TEST_NAME"
rm -rf "$WORK" && mkdir -p "$WORK"
export IAS_PKCS11_CONF="$WORK/ias-pkcs11.conf"
# The world's public cache (scripts/test-world.sh insert empties it), never the user's.
export IAS_PKCS11_CACHE_DIR="${IAS_PKCS11_CACHE_DIR:-$WORLD/pkcs11-cache}"
printf 'reader_filter = Virtual PCD 00 00\n' > "$IAS_PKCS11_CONF"

fail() { echo "FAIL [$TEST_NAME]: $*" >&2; exit 1; }
pass() { echo "ok [$TEST_NAME]: $*"; }
expect_contains() { grep -qF -- "$2" <<<"$1" || fail "$3: expected '$2' in: $1"; }
expect_not_contains() { ! grep -qF -- "$2" <<<"$1" || fail "$3: did not expect '$2' in: $1"; }

# fresh_card [personalise options...]: a new card in the reader (a copy of a template
# personalised once per option set, so each test starts from the same known state). The
# card family is IAS_SIM_PERSONALITY (default: the default layout); options may override it.
fresh_card() {
    local key template
    set -- --personality "${IAS_SIM_PERSONALITY:-default}" "$@"
    key="$(printf '%s ' "$@" | sha1sum | cut -c1-12)"
    template="$WORLD/templates/$key.json"
    if [[ ! -f "$template" || "$SIM" -nt "$template" ]]; then  # a rebuilt simulator may lay cards out differently
        mkdir -p "$WORLD/templates"
        rm -f "$template.tmp"
        "$SIM" personalise --state "$template.tmp" --serial 0010000000123456 --pin "$PIN" --puk "$PUK" \
            --ca-dir "$WORLD/templates/ca" --label "IAS-ECC SIM" "$@" >/dev/null
        mv "$template.tmp" "$template"
    fi
    cp "$template" "$WORK/card.json"
    "$REPO/scripts/test-world.sh" insert "$WORK/card.json" 2>/dev/null
}

# APDUs the simulator answered since the last mark (from its APDU log).
apdu_mark() { APDU_MARK=$(wc -l < "$WORLD/apdu.log"); }
apdus_since_mark() { echo $(( $(wc -l < "$WORLD/apdu.log") - APDU_MARK )); }

p11() { pkcs11-tool --module "$MODULE" "$@" 2>&1; }

# The certificate and public key of key ID $1, read through our module.
public_key() {
    p11 --read-object --type cert --id "$1" -o "$WORK/cert-$1.der" >/dev/null
    openssl x509 -inform DER -in "$WORK/cert-$1.der" -pubkey -noout > "$WORK/pub-$1.pem"
    echo "$WORK/pub-$1.pem"
}
