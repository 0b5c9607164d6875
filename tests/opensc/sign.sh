#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# CKM_RSA_PKCS signature of DigestInfo(SHA-256) on both keys, verified with openssl against
# the card certificates.
source "$(dirname "$0")/lib.sh"
insert_fresh_card
printf 'message signed by the simulated IAS-ECC card\n' > "$TMP/msg"
digest_info_sha256 "$TMP/msg" "$TMP/di"
for id in 45 46; do
    step "sign with key $id"
    card_public_key "$id" "$TMP/pub-$id.pem"
    p11 --login --pin "$TEST_PIN" --sign -m RSA-PKCS --id "$id" -i "$TMP/di" -o "$TMP/sig-$id" \
        || fail "C_Sign with key $id failed"
    [[ "$(stat -c %s "$TMP/sig-$id")" == 256 ]] || fail "signature is not 256 bytes"
    openssl dgst -sha256 -verify "$TMP/pub-$id.pem" -signature "$TMP/sig-$id" "$TMP/msg" \
        || fail "signature of key $id does not verify"
done
step "a wrong PIN does not sign"
if p11 --login --pin 0000 --sign -m RSA-PKCS --id 45 -i "$TMP/di" -o "$TMP/sig-bad" 2>/dev/null; then
    fail "signed with a wrong PIN"
fi
echo "PASS"
