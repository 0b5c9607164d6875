#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ctest fixture of conformance.softhsm.*: a private SoftHSMv2 token in DIR (SOFTHSM2_CONF=
# DIR/softhsm2.conf) labelled "conformance", SO PIN 12345678, user PIN 123456, with
#   ID 01 "conf-rsa": RSA-2048 key pair (pkcs11-tool --keypairgen) + certificate (--write-object)
#   ID 02 "conf-ec":  EC P-256 key pair + certificate
# Idempotent and fast: a complete token (marker file) is kept; anything else is rebuilt.
#   p11-conformance/softhsm-setup.sh DIR
set -euo pipefail

DIR="${1:?usage: softhsm-setup.sh DIR}"
MODULE="${SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}"
SO_PIN=12345678
PIN=123456
LABEL=conformance
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
export SOFTHSM2_CONF="$DIR/softhsm2.conf"
[[ -f "$DIR/ready" ]] && exit 0

rm -rf "$DIR/tokens" "$DIR/work"
mkdir -p "$DIR/tokens" "$DIR/work"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
    "$DIR" > "$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label "$LABEL" --so-pin "$SO_PIN" --pin "$PIN" >/dev/null

p11() { pkcs11-tool --module "$MODULE" --token-label "$LABEL" --login --pin "$PIN" "$@" >/dev/null 2>&1; }
W="$DIR/work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/ca.key" -out "$W/ca.pem" \
    -subj "/CN=conformance CA" -days 3650 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/tmp.key" -out "$W/tmp.csr" \
    -subj "/CN=conformance" 2>/dev/null

# make_pair ID LABEL KEYTYPE: key pair on the token, certificate for its public key imported.
make_pair() {
    local id="$1" label="$2" type="$3"
    p11 --keypairgen --key-type "$type" --id "$id" --label "$label" --usage-sign $([[ $type == rsa:* ]] && echo --usage-decrypt)
    pkcs11-tool --module "$MODULE" --token-label "$LABEL" --read-object --type pubkey --id "$id" -o "$W/$id.pub.der" >/dev/null 2>&1
    openssl pkey -pubin -inform DER -in "$W/$id.pub.der" -out "$W/$id.pub.pem"
    openssl x509 -req -in "$W/tmp.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial -days 3650 \
        -force_pubkey "$W/$id.pub.pem" -subj "/CN=$label" -outform DER -out "$W/$id.crt.der" 2>/dev/null
    p11 --write-object "$W/$id.crt.der" --type cert --id "$id" --label "$label"
}
make_pair 01 conf-rsa rsa:2048
make_pair 02 conf-ec EC:prime256v1
touch "$DIR/ready"
echo "softhsm-setup: token '$LABEL' ready in $DIR"
