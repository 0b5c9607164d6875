#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end (ctest LABELS world, RUN_SERIAL): the holder's procedure with a real
# ias-unblockd (scripts/unblock-world.sh), the PC/SC test world (scripts/test-world.sh) and
# our module, driven by `ias-unblock <link> --non-interactive`:
#   fresh card (serial 0010000000123456) -> 3 wrong PINs (locked) -> support opens a case ->
#   the link rewritten to another origin (exit 1, refusal naming both, nothing spent) ->
#   wrong answers, link on standard input (exit 3, nothing changed) -> right answers, link
#   in a file (exit 0) -> token unlocked with 3 tries -> signs with the new PIN, old PIN
#   refused -> same link again, on the command line (exit 4).
# No PIN, answer, secret or link token may appear in the tool's output.
# Environment from ctest: IAS_MODULE, IAS_SIM_BIN, IAS_UNBLOCKD_BIN, IAS_UNBLOCK_BIN.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORLD="${IAS_WORLD_DIR:-$REPO/test-world}"
UNBLOCK_DIR="${IAS_UNBLOCK_WORLD_DIR:-$REPO/test-world/unblockd}"
MODULE="${IAS_MODULE:-$REPO/build/tools/module/ias-pkcs11.so}"
SIM="${IAS_SIM_BIN:-$REPO/build/tools/sim/ias-card-sim}"
TOOL="${IAS_UNBLOCK_BIN:-$REPO/build/tools/tools/ias-unblock}"
export IAS_SIM_BIN="$SIM" IAS_UNBLOCKD_BIN="${IAS_UNBLOCKD_BIN:-$REPO/build/tools/service/ias-unblockd}"
SERIAL=0010000000123456
NEW_PIN=2580
WORK="$WORLD/work/tools-ias-unblock"

fail() { echo "FAIL [ias-unblock world]: $*" >&2; exit 1; }
expect_contains() { grep -qF -- "$2" <<<"$1" || fail "$3: expected '$2' in: $1"; }
expect_not_contains() { ! grep -qF -- "$2" <<<"$1" || fail "$3: did not expect '$2' in: $1"; }
p11() { pkcs11-tool --module "$MODULE" "$@" 2>&1; }

rm -rf "$WORK" && mkdir -p "$WORK"

# The worlds: reuse running ones; stop at the end only what this test started.
started_pcsc=0 started_unblock=0 previous_card=""
cleanup() {
    set +e
    if [[ $started_unblock == 1 ]]; then "$REPO/scripts/unblock-world.sh" stop 2>/dev/null; fi
    if [[ $started_pcsc == 1 ]]; then
        "$REPO/scripts/test-world.sh" stop 2>/dev/null
    elif [[ -n "$previous_card" && -f "$previous_card" ]]; then
        "$REPO/scripts/test-world.sh" insert "$previous_card" 2>/dev/null
    fi
}
trap cleanup EXIT
if ! grep -q '^pcscd: running' <<<"$("$REPO/scripts/test-world.sh" status)"; then
    "$REPO/scripts/test-world.sh" start 2>/dev/null
    started_pcsc=1
else
    previous_card="$(cat "$WORLD/card.path" 2>/dev/null || true)"
fi
if ! grep -q '^ias-unblockd: running' <<<"$("$REPO/scripts/unblock-world.sh" status)"; then
    "$REPO/scripts/unblock-world.sh" start >/dev/null 2>&1 || fail "unblock-world start"
    started_unblock=1
fi

# A fresh card personalised with the simulator's default (test) master key, the one the
# unblock world imported into its HSM.
template="$WORLD/templates/ias-unblock-${IAS_SIM_PERSONALITY:-default}-$SERIAL.json"
if [[ ! -f "$template" || "$SIM" -nt "$template" ]]; then  # a rebuilt simulator may derive other keys
    mkdir -p "$WORLD/templates"
    "$SIM" personalise --personality "${IAS_SIM_PERSONALITY:-default}" --state "$template.tmp" --serial "$SERIAL" --pin 4711 --puk 12345678 \
        --ca-dir "$WORLD/templates/ca" --label "IAS-ECC SIM" --holder "Jean Dupont" >/dev/null
    mv "$template.tmp" "$template"
fi
cp "$template" "$WORK/card.json"
"$REPO/scripts/test-world.sh" insert "$WORK/card.json" 2>/dev/null

export IAS_PKCS11_CONF="$WORK/ias-pkcs11.conf"
{ printf 'reader_filter = Virtual PCD 00 00\n'; cat "$UNBLOCK_DIR/module.conf"; } > "$IAS_PKCS11_CONF"

# Locked with three wrong PINs.
for i in 1 2 3; do p11 --login --pin 0000 -O >/dev/null && fail "wrong PIN accepted"; done
expect_contains "$(p11 -L)" "user PIN locked" "locked after 3 wrong PINs"

link="$("$REPO/scripts/unblock-world.sh" open-case "$SERIAL" 2>/dev/null)"
[[ "$link" == https://*/h/* ]] || fail "open-case printed no link: $link"
token="${link##*/h/}"
printf '%s\n' "$NEW_PIN" > "$WORK/new-pin"
printf 'lyon\nRex\n' > "$WORK/wrong-answers"   # case-sensitive: "lyon" is wrong
printf 'Lyon\nRex\n' > "$WORK/answers"
chmod 600 "$WORK/new-pin" "$WORK/answers" "$WORK/wrong-answers"

printf '%s\n' "$link" > "$WORK/link"
chmod 600 "$WORK/link"

run_tool() { # $1 answers file, $2 run number, $3 how the link is given (arg, stdin, file)
    local rc=0 how=${3:-arg} linkArgs=("$link") input=/dev/null
    [[ $how != stdin ]] || { linkArgs=(--link-file -); input=$WORK/link; }
    [[ $how != file ]] || linkArgs=(--link-file "$WORK/link")
    [[ $how != other ]] || linkArgs=("${link/127.0.0.1/localhost}")
    "$TOOL" "${linkArgs[@]}" --non-interactive --answers-file "$1" --new-pin-file "$WORK/new-pin" --module "$MODULE" \
        < "$input" > "$WORK/out.$2" 2>&1 || rc=$?
    cat "$WORK/out.$2" >&2
    echo "$rc"
}
no_secrets_in() {
    local out
    out="$(cat "$1")"
    for canary in Lyon lyon Rex "$NEW_PIN" "$token"; do expect_not_contains "$out" "$canary" "secret value in $1"; done
    if grep -qE '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}' "$1"; then fail "a secret-like value in $1"; fi
}

# A link to another origin than service_url (same service, other name: the pin would not
# apply to it): refused before anything is sent, both origins named.
rc="$(run_tool "$WORK/answers" 0 other)"
[[ "$rc" == 1 ]] || fail "link to another origin: exit $rc, expected 1"
expect_contains "$(cat "$WORK/out.0")" "le lien mène à https://localhost:" "refusal names the link's origin"
expect_contains "$(cat "$WORK/out.0")" "le service de déblocage configuré est https://127.0.0.1:" "and the service"
no_secrets_in "$WORK/out.0"

rc="$(run_tool "$WORK/wrong-answers" 1 stdin)"
[[ "$rc" == 3 ]] || fail "wrong answers: exit $rc, expected 3"
expect_contains "$(cat "$WORK/out.1")" "Essais restants : 2" "tries left after one wrong submission (the refused link spent none)"
expect_contains "$(p11 -L)" "user PIN locked" "still locked after wrong answers"
no_secrets_in "$WORK/out.1"

rc="$(run_tool "$WORK/answers" 2 file)"
[[ "$rc" == 0 ]] || fail "ias-unblock exit $rc, expected 0"
out="$(cat "$WORK/out.2")"
expect_contains "$out" "1 Initialisation · 2 Choix du PIN · 3 Réponses secrètes · [4 Confirmation]" "step 4 shown"
expect_contains "$out" "$SERIAL" "serial shown"
expect_contains "$out" "Titulaire : Jean Dupont" "holder name from the certificate"
expect_contains "$out" "Votre support est débloqué" "confirmation"
no_secrets_in "$WORK/out.2"

info="$(p11 -L)"
for flag in "user PIN locked" "final user PIN try" "user PIN count low"; do expect_not_contains "$info" "$flag" "after unblock"; done
expect_contains "$info" "PIN initialized" "user PIN initialised"

# The new PIN signs; the old one is refused.
p11 --read-object --type cert --id 45 -o "$WORK/cert.der" >/dev/null || fail "read certificate"
openssl x509 -inform DER -in "$WORK/cert.der" -pubkey -noout > "$WORK/pub.pem"
printf 'signed after the unblock\n' > "$WORK/msg"
p11 --login --pin "$NEW_PIN" --sign -m SHA256-RSA-PKCS --id 45 -i "$WORK/msg" -o "$WORK/sig" >/dev/null \
    || fail "sign with the new PIN"
openssl dgst -sha256 -verify "$WORK/pub.pem" -signature "$WORK/sig" "$WORK/msg" >/dev/null || fail "signature does not verify"
expect_contains "$(p11 --login --pin 4711 -O)" "CKR_PIN_INCORRECT" "old PIN refused"
p11 --login --pin "$NEW_PIN" -O >/dev/null || fail "new PIN after a wrong try"

# The link served its purpose: a second run is refused (used up) and changes nothing.
rc="$(run_tool "$WORK/answers" 3)"
[[ "$rc" == 4 ]] || fail "same link again: exit $rc, expected 4"
no_secrets_in "$WORK/out.3"

echo "ok [ias-unblock world]: locked token unblocked through the link (other origin 1, wrong answers 3 via stdin, success 0 via --link-file, reuse 4), new PIN signs"
