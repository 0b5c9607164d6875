#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The module on every simulator personality (real IAS-ECC card families), through the real
# PC/SC stack with pkcs11-tool: list without PIN, login, sign with every key the user PIN
# opens (CKM_SHA256_RSA_PKCS or CKM_ECDSA_SHA256, verified with openssl against the card's
# certificate), decrypt with every key that may, change PIN, lock (three wrong PINs), reset by
# PUK where the card's reset rule allows it, and -- locked again -- reset by the issuer's
# unblock service (C_Login(CKU_SO, one-time secret) + C_InitPIN) where the rule allows
# external authentication; where a rule does not allow a method, the module must refuse it
# with CKR_FUNCTION_NOT_SUPPORTED. Prints a matrix line per personality with the APDUs of
# list/login/sign; fails on any cell that is not what the card allows.
# Needs the test world and the unblock world (scripts/test-world.sh, scripts/unblock-world.sh).
# Usage: tests/world/module_personalities.sh MODULE [NAME...]
MODULE="$1"; shift
export OPENSC_MODULE="$MODULE"
source "$(dirname "$0")/../opensc/lib.sh"

# The module reads its configuration from here: PUK reset (so_login = puk), no service. The
# service reset runs with the unblock world's module lines instead.
export IAS_PKCS11_CONF="$TMP/ias-pkcs11.conf"
printf 'so_login = puk\n' > "$IAS_PKCS11_CONF"
FIXTURE="$(dirname "$0")/unblock_fixture.sh"
"$FIXTURE" module-conf > "$TMP/service.conf" || { echo "the unblock world is not running (scripts/unblock-world.sh start)" >&2; exit 1; }

# What each card's PIN reset rule allows (sim/src/personality.cpp): every personality has a
# PUK and a rule with user authentication; the CPx card's rule (SCB 13, realcards/cpx_french_
# health_iasecc) allows no external authentication, so no unblock by the service there.
declare -A NO_PUK_RESET=()
declare -A NO_SERVICE_RESET=([cpx]=1)
mapfile -t ALL < <(sim personalities | cut -f1 | grep -v '^default$')
NAMES=("$@")
[[ ${#NAMES[@]} -gt 0 ]] || NAMES=("${ALL[@]}")

printf 'message signed on a simulated personality\n' > "$TMP/msg"
failures=0
cell() { if "$@" >>"$TMP/cell.log" 2>&1; then echo ok; else echo FAIL; fi; }

sign_all() {
    local keys n=0 id type
    # Keys the user PIN opens (keys with their own PIN ask for it at each signature), with
    # their type: RSA keys sign SHA256-RSA-PKCS, EC keys ECDSA-SHA256 (DER for openssl).
    keys=$(p11 --login --pin "$TEST_PIN" -O 2>/dev/null | awk '/^Private Key Object/{k=1; t=$NF} k&&/ID:/{id=$2} k&&/Access:/{if ($0 !~ /always authenticate/) print id ":" t; k=0}')
    [[ -n "$keys" ]] || return 1
    for key in $keys; do
        id=${key%%:*} type=${key#*:}
        rm -f "$TMP/sig" "$TMP/cert.der"
        if [[ $type == EC ]]; then
            p11 --login --pin "$TEST_PIN" --sign -m ECDSA-SHA256 --signature-format openssl --id "$id" -i "$TMP/msg" -o "$TMP/sig" || return 1
        else
            p11 --login --pin "$TEST_PIN" --sign -m SHA256-RSA-PKCS --id "$id" -i "$TMP/msg" -o "$TMP/sig" || return 1
        fi
        p11 --read-object --type cert --id "$id" -o "$TMP/cert.der" || return 1
        openssl x509 -inform DER -in "$TMP/cert.der" -pubkey -noout > "$TMP/pub.pem" || return 1
        openssl dgst -sha256 -verify "$TMP/pub.pem" -signature "$TMP/sig" "$TMP/msg" || return 1
        n=$((n + 1))
    done
    [[ $n -gt 0 ]]
}

decrypt_all() {
    local ids id n=0
    ids=$(p11 --login --pin "$TEST_PIN" -O 2>/dev/null | awk '/^Private Key Object/{k=1} k&&/ID:/{id=$2} k&&/Usage:/{if ($0 ~ /decrypt/) print id; k=0}')
    for id in $ids; do
        p11 --read-object --type cert --id "$id" -o "$TMP/cert.der" || return 1
        openssl x509 -inform DER -in "$TMP/cert.der" -pubkey -noout > "$TMP/pub.pem" || return 1
        printf 'session key 0123456789' > "$TMP/plain"
        openssl pkeyutl -encrypt -pubin -inkey "$TMP/pub.pem" -pkeyopt rsa_padding_mode:pkcs1 -in "$TMP/plain" -out "$TMP/enc" || return 1
        p11 --login --pin "$TEST_PIN" --decrypt -m RSA-PKCS --id "$id" -i "$TMP/enc" -o "$TMP/dec" || return 1
        cmp -s "$TMP/plain" "$TMP/dec" || return 1
        n=$((n + 1))
    done
    # Every card with an RSA key decrypts with one; an EC-only card (cosmo-v8-ec) has none.
    [[ $n -gt 0 ]] || ! p11 --login --pin "$TEST_PIN" -O 2>/dev/null | grep -q '^Private Key Object; RSA'
}

change_pin() {
    p11 --login --pin "$TEST_PIN" --change-pin --new-pin 2468 && p11 --login --pin 2468 -O >/dev/null \
        && p11 --login --pin 2468 --change-pin --new-pin "$TEST_PIN"
}

lock_pin() {
    local i
    for i in 1 2 3; do ! p11 --login --pin 0000 -O >/dev/null 2>&1 || return 1; done
    # Locked: even the right PIN is refused now.
    ! p11 --login --pin "$TEST_PIN" -O >/dev/null 2>&1
}

# Reset by PUK where the rule allows user authentication; else a clear refusal.
reset_pin() {
    local out
    out=$(p11 --login --login-type so --so-pin "$TEST_PUK" --init-pin --new-pin "$TEST_PIN" 2>&1) && {
        p11 --login --pin "$TEST_PIN" -O >/dev/null && echo ok; return
    }
    if grep -q CKR_FUNCTION_NOT_SUPPORTED <<<"$out"; then echo refused; else echo FAIL; fi
}

# Locked again, then reset through the service with a one-time secret for this card's serial.
service_reset() {
    local serial=$1 secret out
    lock_pin >/dev/null 2>&1 || { echo FAIL; return; }
    secret=$("$FIXTURE" secret "$serial") || { echo FAIL; return; }
    reset_count
    out=$(IAS_PKCS11_CONF="$TMP/service.conf" p11 --login --login-type so --so-pin "$secret" --init-pin --new-pin "$TEST_PIN" 2>&1) && {
        p11 --login --pin "$TEST_PIN" -O >/dev/null && echo ok; return
    }
    # Refused before anything reaches the card's PINs: the secret is never tried as a PUK.
    # (No VERIFY with data, CHANGE or RESET RETRY COUNTER; an empty VERIFY only reads tries.)
    if grep -q CKR_FUNCTION_NOT_SUPPORTED <<<"$out" && ! grep -Eq '^00 20 .. .. Lc=|^00 2[4C] ' "$WORLD/apdu.log"; then
        echo refused
    else
        echo FAIL
    fi
}

printf '%-18s %-5s %-5s %-5s %-7s %-6s %-5s %-8s %-8s %s\n' personality list login sign decrypt change lock "reset/puk" service "apdus list/login/sign"
index=10
for name in "${NAMES[@]}"; do
    # A serial per card: the service keeps one case per serial.
    index=$((index + 1)); serial=00100000006543$index
    insert_personality "$name" "$serial"
    : > "$TMP/cell.log"

    reset_count; list=$(cell bash -c "pkcs11-tool --module '$MODULE' -O 2>&1 | grep -q 'Certificate Object'"); a1=$(apdu_count)
    reset_count; login=$(cell bash -c "pkcs11-tool --module '$MODULE' --login --pin $TEST_PIN -O 2>&1 | grep -q 'Private Key Object'"); a2=$(apdu_count)
    reset_count; sign=$(cell sign_all); a3=$(apdu_count)
    decrypt=$(cell decrypt_all)
    change=$(cell change_pin)
    lock=$(cell lock_pin)
    reset=$(reset_pin 2>>"$TMP/cell.log")
    service=$(service_reset "$serial" 2>>"$TMP/cell.log")
    printf '%-18s %-5s %-5s %-5s %-7s %-6s %-5s %-8s %-8s %s\n' "$name" "$list" "$login" "$sign" "$decrypt" "$change" "$lock" "$reset" "$service" "$a1/$a2/$a3"
    row_ok=1
    for c in "$list" "$login" "$sign" "$decrypt" "$change" "$lock"; do [[ $c == ok ]] || row_ok=0; done
    # ok where the rule allows the method, refused (CKR_FUNCTION_NOT_SUPPORTED) where not.
    expect() { if [[ -n "$2" ]]; then [[ $1 == refused ]]; else [[ $1 == ok ]]; fi; }
    expect "$reset" "${NO_PUK_RESET[$name]:-}" || row_ok=0
    expect "$service" "${NO_SERVICE_RESET[$name]:-}" || row_ok=0
    if [[ $row_ok -eq 0 ]]; then
        failures=$((failures + 1))
        echo "FAIL: $name" >&2
        tail -20 "$TMP/cell.log" | grep -v -i "pin" >&2 || true
    fi
done
echo "personalities: ${#NAMES[@]}, failures: $failures"
[[ $failures -eq 0 ]]
