#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# CKM_RSA_PKCS decryption round trip: openssl encrypts with the certificate key, the card
# deciphers (chained PSO DECIPHER, padding removed on card).
source "$(dirname "$0")/lib.sh"
insert_fresh_card
card_public_key 45 "$TMP/pub.pem"
for text in "short" "a somewhat longer secret that still fits in one RSA-2048 block"; do
    step "decrypt: $text"
    printf '%s' "$text" > "$TMP/plain"
    openssl pkeyutl -encrypt -pubin -inkey "$TMP/pub.pem" -pkeyopt rsa_padding_mode:pkcs1 \
        -in "$TMP/plain" -out "$TMP/ct"
    p11 --login --pin "$TEST_PIN" --decrypt -m RSA-PKCS --id 45 -i "$TMP/ct" -o "$TMP/out" || fail "C_Decrypt failed"
    cmp -s "$TMP/plain" "$TMP/out" || fail "decrypted text differs"
done
step "the signature key does not decrypt"
openssl x509 -inform der -in "$TMP/cert-45.der" -noout >/dev/null
card_public_key 46 "$TMP/pub46.pem"
openssl pkeyutl -encrypt -pubin -inkey "$TMP/pub46.pem" -pkeyopt rsa_padding_mode:pkcs1 -in "$TMP/plain" -out "$TMP/ct46"
if p11 --login --pin "$TEST_PIN" --decrypt -m RSA-PKCS --id 46 -i "$TMP/ct46" -o "$TMP/out46" 2>/dev/null; then
    fail "the non-repudiation key deciphered"
fi
echo "PASS"
