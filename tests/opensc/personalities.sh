#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Fidelity check of the simulator's personalities against Debian 12's OpenSC 0.23: for each
# personality a fresh card is inserted and pkcs11-tool with opensc-pkcs11.so lists the objects
# (no PIN), logs in and signs with CKM_RSA_PKCS with the authentication key (ID 45), the
# signature verified with openssl against the card's certificate. One matrix line per
# personality; fails when a personality OpenSC 0.23 supports does not pass all three.
#
# Personalities OpenSC 0.23 does not support, and why (checked against its source):
#   cosmo-v8: the Latvian eID v2 ATR is in no table of OpenSC 0.23 (card-iasecc.c
#     iasecc_known_atrs has no IDEMIA Cosmo v8 entry; card-esteid2018.c matches only the
#     EstEID 2018 ATR), so no driver binds the card: "unsupported" is expected.
#   cosmo-v8-ec: the EstEID 2018 ATR binds OpenSC's esteid2018 driver, whose PKCS#15
#     emulation (pkcs15-esteid2018.c:sc_pkcs15emu_esteid2018_init) starts by reading the
#     document number in 3F00/D003, a file of the Estonian ID document that an IAS-ECC token
#     does not carry: CKR_TOKEN_NOT_RECOGNIZED is expected.
#   gemalto-multiapp: its TokenInfo encodes an algorithm's parameters as an empty SEQUENCE
#     (the Gemalto quirk, OpenSC commit 0e3c0eff4); OpenSC 0.23 pkcs15.c
#     c_asn1_algorithm_info_parameters accepts only NULL or an OID, so
#     sc_pkcs15_parse_tokeninfo fails (-1402) and the token is not recognised.
# Usage: tests/opensc/personalities.sh [NAME...]   (default: every personality)
source "$(dirname "$0")/lib.sh"

declare -A UNSUPPORTED=(
    [cosmo-v8]="no ATR match in OpenSC 0.23 (card-iasecc.c:iasecc_known_atrs, card-esteid2018.c)"
    [cosmo-v8-ec]="esteid2018 driver: no EstEID document file 3F00/D003 (pkcs15-esteid2018.c)"
    [gemalto-multiapp]="TokenInfo empty SEQUENCE for NULL refused (pkcs15.c:c_asn1_algorithm_info_parameters)"
)

mapfile -t ALL < <(sim personalities | cut -f1 | grep -v '^default$')
NAMES=("$@")
[[ ${#NAMES[@]} -gt 0 ]] || NAMES=("${ALL[@]}")

printf 'message signed by a simulated personality\n' > "$TMP/msg"
digest_info_sha256 "$TMP/msg" "$TMP/di"
failures=0
printf '%-18s %-6s %-6s %-6s %-8s %s\n' personality list login sign apdus note
for name in "${NAMES[@]}"; do
    insert_personality "$name"
    list=fail login=fail sign=fail counts="" note=""
    # OpenSC makes one token per PKCS#15 application. On cpx the contactless application
    # "CPX IAS CL" comes first: dir.c:sc_enum_apps moves the AIDs it knows to the head of the
    # list, and its swap loop (idx only advances on a swap) puts CPX IAS CL before CPX IAS.
    # The user's token is the one that requires login (the user PIN); other cards have one.
    slot=$(p11 -L 2>/dev/null | awk '/^Slot [0-9]+ \(0x[0-9a-f]+\)/{id=$3; gsub(/[()]/, "", id)} /token flags/ && /login required/{print id; exit}')
    at=(); [[ -z "$slot" ]] || at=(--slot "$slot")

    reset_count
    out="$(p11 "${at[@]}" -O 2>&1 || true)"
    if grep -q "Certificate Object" <<<"$out"; then list=ok; fi
    counts="$(apdu_count)"

    reset_count
    out="$(p11 "${at[@]}" --login --pin "$TEST_PIN" -O 2>&1 || true)"
    if grep -q "Private Key Object" <<<"$out"; then login=ok; fi
    counts="$counts/$(apdu_count)"

    reset_count
    rm -f "$TMP/sig" "$TMP/cert.der"
    if p11 "${at[@]}" --login --pin "$TEST_PIN" --sign -m RSA-PKCS --id 45 -i "$TMP/di" -o "$TMP/sig" >"$TMP/sign.log" 2>&1 \
        && p11 "${at[@]}" --read-object --type cert --id 45 -o "$TMP/cert.der" >/dev/null 2>&1 \
        && openssl x509 -inform DER -in "$TMP/cert.der" -pubkey -noout > "$TMP/pub.pem" 2>/dev/null \
        && openssl dgst -sha256 -verify "$TMP/pub.pem" -signature "$TMP/sig" "$TMP/msg" >/dev/null 2>&1; then
        sign=ok
    fi
    counts="$counts/$(apdu_count)"

    expected=supported
    if [[ -n "${UNSUPPORTED[$name]:-}" ]]; then expected=unsupported; note="${UNSUPPORTED[$name]}"; fi
    printf '%-18s %-6s %-6s %-6s %-8s %s\n' "$name" "$list" "$login" "$sign" "$counts" "$note"
    if [[ $expected == supported && ( $list != ok || $login != ok || $sign != ok ) ]]; then
        failures=$((failures + 1))
        echo "FAIL: OpenSC 0.23 supports $name but list/login/sign = $list/$login/$sign" >&2
        tail -5 "$TMP/sign.log" >&2 || true
    fi
    if [[ $expected == unsupported && $list == ok ]]; then
        failures=$((failures + 1))
        echo "FAIL: $name was expected to be refused by OpenSC 0.23 but it listed objects: update the table" >&2
    fi
done
echo "(apdus = APDUs of list/login/sign)"
echo "personalities: ${#NAMES[@]}, failures: $failures"
[[ $failures -eq 0 ]]
