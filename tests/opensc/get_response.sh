#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The same flows with every response behind 61xx + GET RESPONSE (--force-get-response).
source "$(dirname "$0")/lib.sh"
export IAS_SIM_ARGS="--force-get-response"
insert_fresh_card
expect_contains "$(p11 -L)" "IAS-ECC SIM (User PIN)"
grep -q "^00 C0 00 00" "$WORLD/apdu.log" || fail "no GET RESPONSE seen"
printf 'x\n' > "$TMP/msg"
digest_info_sha256 "$TMP/msg" "$TMP/di"
card_public_key 45 "$TMP/pub.pem"
p11 --login --pin "$TEST_PIN" --sign -m RSA-PKCS --id 45 -i "$TMP/di" -o "$TMP/sig" || fail "sign failed"
openssl dgst -sha256 -verify "$TMP/pub.pem" -signature "$TMP/sig" "$TMP/msg" || fail "signature does not verify"
openssl pkeyutl -encrypt -pubin -inkey "$TMP/pub.pem" -pkeyopt rsa_padding_mode:pkcs1 -in "$TMP/msg" -out "$TMP/ct"
p11 --login --pin "$TEST_PIN" --decrypt -m RSA-PKCS --id 45 -i "$TMP/ct" -o "$TMP/out" || fail "decrypt failed"
cmp -s "$TMP/msg" "$TMP/out" || fail "decrypted text differs"
unset IAS_SIM_ARGS
echo "PASS"
