#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ias-pkcs11.so through OpenSC's pkcs11-tool (issue 4 "Must show"). Usage: $0 CASE
source "$(dirname "$0")/lib.sh"

case "${1:?case}" in
list)
    fresh_card
    out=$(p11 -L)
    expect_contains "$out" "token label        : IAS-ECC SIM" "-L label"
    expect_contains "$out" "serial num         : 0010000000123456" "-L serial from EF.SN"
    expect_contains "$out" "PIN initialized" "-L flags"
    out=$(p11 -M)
    for m in RSA-PKCS SHA256-RSA-PKCS SHA512-RSA-PKCS; do expect_contains "$out" "$m," "-M $m"; done
    out=$(p11 -O)
    expect_contains "$out" "Authentication certificate" "-O cert"
    expect_contains "$out" "Signature certificate" "-O second cert"
    expect_contains "$out" "Public Key Object; RSA 2048 bits" "-O public key"
    expect_not_contains "$out" "Private Key Object" "private keys hidden before login"
    out=$(p11 -O --login --pin "$PIN")
    expect_contains "$out" "Private Key Object; RSA" "private keys after login"
    expect_contains "$out" "sensitive, always sensitive, never extractable" "key access flags"
    pass "list, mechanisms, objects"
    ;;
sign)
    fresh_card
    pub=$(public_key 45)
    printf 'message to sign\n' > "$WORK/msg"
    # RSA-PKCS over a DigestInfo(SHA-256) built by the caller.
    { printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20'; openssl dgst -sha256 -binary "$WORK/msg"; } > "$WORK/di"
    p11 --login --pin "$PIN" --sign -m RSA-PKCS --id 45 -i "$WORK/di" -o "$WORK/sig1" >/dev/null || fail "RSA-PKCS sign"
    openssl dgst -sha256 -verify "$pub" -signature "$WORK/sig1" "$WORK/msg" >/dev/null || fail "RSA-PKCS signature does not verify"
    p11 --login --pin "$PIN" --sign -m SHA256-RSA-PKCS --id 45 -i "$WORK/msg" -o "$WORK/sig2" >/dev/null || fail "SHA256-RSA-PKCS sign"
    openssl dgst -sha256 -verify "$pub" -signature "$WORK/sig2" "$WORK/msg" >/dev/null || fail "SHA256-RSA-PKCS does not verify"
    p11 --login --pin "$PIN" --sign -m SHA384-RSA-PKCS --id 45 -i "$WORK/msg" -o "$WORK/sig3" >/dev/null || fail "SHA384-RSA-PKCS sign"
    openssl dgst -sha384 -verify "$pub" -signature "$WORK/sig3" "$WORK/msg" >/dev/null || fail "SHA384-RSA-PKCS does not verify"
    pass "RSA-PKCS, SHA256-RSA-PKCS, SHA384-RSA-PKCS verified with openssl"
    ;;
sign-pss)
    fresh_card
    # PSS where the card offers it (TokenInfo): the reference layout (amos) must; a real card
    # family that lists no PSS algorithm must not show the mechanism.
    if ! p11 -M 2>/dev/null | grep -q 'RSA-PKCS-PSS'; then
        [[ "${IAS_SIM_PERSONALITY:-amos}" != amos && "${IAS_SIM_PERSONALITY:-amos}" != default ]] \
            || fail "the reference card offers RSA-PSS but the module does not list it"
        pass "no RSA-PSS on ${IAS_SIM_PERSONALITY} (its TokenInfo lists none): mechanism not offered"
        exit 0
    fi
    pub=$(public_key 45)
    printf 'message to sign with PSS\n' > "$WORK/msg"
    p11 --login --pin "$PIN" --sign -m SHA256-RSA-PKCS-PSS --id 45 -i "$WORK/msg" -o "$WORK/sig" >/dev/null || fail "SHA256-RSA-PKCS-PSS sign"
    openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -verify "$pub" -signature "$WORK/sig" "$WORK/msg" >/dev/null \
        || fail "PSS signature does not verify"
    pass "SHA256-RSA-PKCS-PSS verified with openssl"
    ;;
decrypt)
    fresh_card
    pub=$(public_key 45)
    head -c 100 /dev/urandom > "$WORK/plain"
    openssl pkeyutl -encrypt -pubin -inkey "$pub" -in "$WORK/plain" -out "$WORK/enc"
    p11 --login --pin "$PIN" --decrypt -m RSA-PKCS --id 45 -i "$WORK/enc" -o "$WORK/dec" >/dev/null || fail "decrypt"
    cmp -s "$WORK/plain" "$WORK/dec" || fail "decrypted data differs"
    pass "decrypt round trip"
    ;;
change-pin)
    fresh_card
    out=$(p11 --login --pin "$PIN" --change-pin --new-pin 1234) && fail "weak PIN 1234 accepted"
    expect_contains "$out" "(0x1c3)" "weak PIN refused with CKR_PIN_TOO_WEAK (pkcs11-tool takes the 3.0 interface)"
    p11 --login --pin "$PIN" --change-pin --new-pin 2580 >/dev/null || fail "change-pin"
    p11 --login --pin 2580 -O >/dev/null || fail "login with the new PIN"
    out=$(p11 --login --pin "$PIN" -O) && fail "old PIN still accepted"
    expect_contains "$out" "CKR_PIN_INCORRECT" "old PIN refused"
    pass "change-pin, policy, new PIN works"
    ;;
lock)
    fresh_card
    for i in 1 2; do
        out=$(p11 --login --pin 0000 -O) && fail "wrong PIN accepted"
        expect_contains "$out" "CKR_PIN_INCORRECT" "wrong PIN $i"
    done
    expect_contains "$(p11 -L)" "final user PIN try" "final try flag"
    out=$(p11 --login --pin 0000 -O) && fail "wrong PIN accepted"
    expect_contains "$out" "CKR_PIN_INCORRECT" "the locking try is still a wrong PIN"
    out=$(p11 -L)
    expect_contains "$out" "user PIN locked" "locked flag"
    out=$(p11 --login --pin "$PIN" -O) && fail "locked token accepted the PIN"
    expect_contains "$out" "CKR_PIN_LOCKED" "right PIN on a locked token"
    # A restart of the simulator keeps the token locked.
    "$REPO/scripts/test-world.sh" insert "$WORK/card.json" 2>/dev/null
    expect_contains "$(p11 -L)" "user PIN locked" "still locked after re-insertion"
    pass "three wrong PINs lock; flags and CKR_PIN_LOCKED"
    ;;
selftest)
    fresh_card
    # pkcs11-tool --test gives the login PIN to every CKU_CONTEXT_SPECIFIC login: on a card
    # whose signature key has its own PIN (cosmo-v8, docs/cards.md) it cannot pass by design;
    # that key is checked with its PIN by module.card.* and world.module.personalities.
    if p11 --login --pin "$PIN" -O | grep -q 'always authenticate'; then
        [[ "${IAS_SIM_PERSONALITY:-amos}" != amos && "${IAS_SIM_PERSONALITY:-amos}" != default ]] \
            || fail "the reference card has no key under a second PIN"
        pass "two-PIN card: pkcs11-tool --test not applicable (signature key under its own PIN)"
        exit 0
    fi
    out=$(p11 --test --login --pin "$PIN") || fail "pkcs11-tool --test failed: $out"
    expect_contains "$out" "No errors" "--test summary"
    pass "pkcs11-tool --test --login"
    ;;
*) fail "unknown case $1" ;;
esac
