#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# APDUs per operation, OpenSC 0.23 (Debian's opensc-pkcs11.so) vs ias-pkcs11, on the same
# simulated card in one run (issue 4). Needs the test world (scripts/test-world.sh start).
#
#   bench/apdu_compare.sh [--check]
#
# With --check, exits non-zero unless ias-pkcs11 meets the targets:
#   list <= 6, tokeninfo 0, login 1, sign <= 3, decrypt <= 3.
# sign is the process's first signature with the key: its descriptor (GET DATA, the access
# rule that chooses INTERNAL AUTHENTICATE or PSO HASH + CDS, docs/cards.md) is read once per
# key and process, then MSE + the signature: 2 APDUs for every later signature.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
WORLD="${IAS_WORLD_DIR:-$REPO/test-world}"
BUILD="${IAS_BUILD_DIR:-$REPO/build/release}"
SIM="${IAS_SIM_BIN:-$BUILD/sim/ias-card-sim}"
OURS="${IAS_MODULE:-$BUILD/module/ias-pkcs11.so}"
COUNTER="${IAS_APDU_COUNT_BIN:-$BUILD/bench/apdu_count}"
OPENSC=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
PIN=4711
WORK="$WORLD/work/apdu-compare"
mkdir -p "$WORK"

template="$WORK/card-template.json"
[[ -f "$template" && "$template" -nt "$SIM" ]] || "$SIM" personalise --force --state "$template" --serial 0010000000123456 --pin "$PIN" \
    --puk 12345678 --ca-dir "$WORK/ca" --label "IAS-ECC SIM" >/dev/null

printf 'reader_filter = Virtual PCD 00 00\n' > "$WORK/ias-pkcs11.conf"
export IAS_PKCS11_CONF="$WORK/ias-pkcs11.conf"

# Ciphertext for the authentication key (ID 45) under its certificate.
cp "$template" "$WORK/card.json"
"$REPO/scripts/test-world.sh" insert "$WORK/card.json" 2>/dev/null
pkcs11-tool --module "$OURS" --read-object --type cert --id 45 -o "$WORK/cert.der" >/dev/null 2>&1
openssl x509 -inform DER -in "$WORK/cert.der" -pubkey -noout > "$WORK/pub.pem"
head -c 48 /dev/urandom > "$WORK/plain"
openssl pkeyutl -encrypt -pubin -inkey "$WORK/pub.pem" -in "$WORK/plain" -out "$WORK/cipher"
export APDU_COUNT_CIPHERTEXT="$WORK/cipher"

run() {  # run MODULE -> "op count" lines, on a freshly inserted copy of the card
    cp "$template" "$WORK/card.json"
    "$REPO/scripts/test-world.sh" insert "$WORK/card.json" 2>/dev/null
    "$COUNTER" "$1" "$WORLD/apdu.log" "$PIN"
}

opensc=$(run "$OPENSC")
ours=$(run "$OURS")

declare -A target=([list]=6 [tokeninfo]=0 [login]=1 [sign]=3 [decrypt]=3)
status=0
printf '%-10s %8s %11s %8s\n' operation OpenSC ias-pkcs11 target
for op in list tokeninfo login sign decrypt; do
    o=$(awk -v k="$op" '$1==k {print $2}' <<<"$opensc")
    m=$(awk -v k="$op" '$1==k {print $2}' <<<"$ours")
    mark=""
    if [[ -z "$m" || "$m" -gt "${target[$op]}" ]]; then mark="  <-- over target"; status=1; fi
    printf '%-10s %8s %11s %8s%s\n' "$op" "${o:-?}" "${m:-?}" "<=${target[$op]}" "$mark"
done
if [[ "${1:-}" == "--check" ]]; then exit $status; fi
