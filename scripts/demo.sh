#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demo (README): on a fresh Debian 12 machine, as root. Installs what it needs, builds,
# starts the PC/SC test world (pcscd + vpcd + the simulated IAS-ECC token) and a local
# issuer unblock service (ias-unblockd with SoftHSMv2 keys), then walks the holder's case:
# a token locked by three wrong PINs is reset with a one-time unblock secret — once with the
# guided ias-unblock tool, once with a plain PKCS#11 application (pkcs11-tool) — and signs
# with the new PIN. Everything it started is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
BUILD=$REPO/build/release
WORK=${IAS_WORLD_DIR:-$REPO/test-world}/demo
UNBLOCK_DIR=${IAS_UNBLOCK_WORLD_DIR:-$REPO/test-world/unblockd}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

scripts/install-deps.sh
say "Building (Release)"
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" >/dev/null
echo "built: $BUILD/module/ias-pkcs11.so"

export IAS_SIM_BIN=$BUILD/sim/ias-card-sim
export IAS_UNBLOCKD_BIN=$BUILD/service/ias-unblockd
MODULE=$BUILD/module/ias-pkcs11.so
sink_pid=""
cleanup() {
    scripts/unblock-world.sh stop >/dev/null 2>&1 || true
    [[ -z "$sink_pid" ]] || kill "$sink_pid" 2>/dev/null || true
    scripts/test-world.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

say "Starting the test world: pcscd, the vpcd reader, the simulated token, the unblock service"
rm -rf "$WORK" && mkdir -p "$WORK"
"$IAS_SIM_BIN" personalise --personality "${IAS_SIM_PERSONALITY:-default}" --state "$WORK/token.json" --serial 0010000000123456 --pin 4711 --puk 12345678 \
    --ca-dir "$WORK/ca" --label "IAS-ECC DEMO" --holder "Camille Martin" >/dev/null
scripts/test-world.sh start "$WORK/token.json"
# The holder's e-mail leaves over SMTP, to a loopback SMTP server (python3-aiosmtpd) that
# keeps each message in $WORK/mail; open-case reads the link from the message that arrives.
SMTP_PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
/usr/bin/python3 scripts/smtp-sink.py --dir "$WORK/mail" --port "$SMTP_PORT" &
sink_pid=$!
export IAS_UNBLOCK_MAILDIR=$WORK/mail
scripts/unblock-world.sh stop >/dev/null 2>&1 || true
scripts/unblock-world.sh start --set mail.transport=smtp --set "mail.smtp_url=smtp://127.0.0.1:$SMTP_PORT" \
    --set mail.starttls=off --set mail.from=unblock@issuer.example --set mail.poll_interval=1 >/dev/null
echo "unblock service: mail over SMTP to 127.0.0.1:$SMTP_PORT (messages in $WORK/mail)"
# The module's configuration: our reader, and the issuer's service with its pinned key.
{ echo "reader_filter = Virtual PCD 00 00"; cat "$UNBLOCK_DIR/module.conf"; } > "$WORK/ias-pkcs11.conf"
export IAS_PKCS11_CONF=$WORK/ias-pkcs11.conf
echo "module configuration ($IAS_PKCS11_CONF):"
sed 's/^/    /' "$IAS_PKCS11_CONF"
p11() { pkcs11-tool --module "$MODULE" "$@" 2>&1; }

say "1. The holder's token, as any PKCS#11 application sees it"
run pkcs11-tool --module "$MODULE" -L 2>&1 | sed -n '/Slot/,$p'

lock_token() {
    say "$1. The holder mistypes the PIN three times: the token locks"
    for i in 1 2 3; do
        { p11 --login --pin 0000 -O || true; } | grep -o 'CKR_PIN_[A-Z]*' | sed "s/^/    try $i: /"
    done
    p11 -L | grep 'token flags'
}

# The issuer's procedure: support opens a case, the holder opens the e-mail link and answers
# the secret questions (here through the holder API, as the pages do), and gets the secret.
issue_secret() {
    local link token
    link=$(scripts/unblock-world.sh open-case 0010000000123456 2>/dev/null | tail -n 1)
    echo "    e-mail link (valid 24 h): $link" >&2
    token=${link##*/h/}
    curl -s --cacert "$UNBLOCK_DIR/tls.crt" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' -d '{"answers":["Lyon","Rex"]}' \
        "${link%%/h/*}/v1/holder/answers" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])'
}

lock_token 2
say "3. Support opens a case; the e-mail arrives over SMTP; the holder follows the link and resets with the guided tool"
link=$(scripts/unblock-world.sh open-case 0010000000123456 2> >(grep '^    ' >&2) | tail -n 1)
echo "    e-mail link (valid 24 h): $link"
printf 'Lyon\nRex\n' > "$WORK/answers"
printf '2580\n' > "$WORK/new-pin"
run "$BUILD/tools/ias-unblock" "$link" --module "$MODULE" --non-interactive --yes \
    --answers-file "$WORK/answers" --new-pin-file "$WORK/new-pin"
p11 -L | grep 'token flags'

say "4. Sign with the new PIN (2580), verify with openssl against the token's certificate"
printf 'Contrat de démonstration\n' > "$WORK/document"
p11 --read-object --type cert --id 45 -o "$WORK/cert.der" >/dev/null
openssl x509 -inform DER -in "$WORK/cert.der" -noout -subject
openssl x509 -inform DER -in "$WORK/cert.der" -pubkey -noout > "$WORK/pub.pem"
p11 --login --pin 2580 --sign -m SHA256-RSA-PKCS --id 45 -i "$WORK/document" -o "$WORK/document.sig" | tail -n 1
run openssl dgst -sha256 -verify "$WORK/pub.pem" -signature "$WORK/document.sig" "$WORK/document"

lock_token 5
say "6. Same reset from any PKCS#11 application: C_Login(CKU_SO, secret) + C_InitPIN"
secret=$(issue_secret)
echo "    one-time secret shown by the holder page: $secret"
run pkcs11-tool --module "$MODULE" --login --login-type so --so-pin "$secret" --init-pin --new-pin 3691 2>&1 | tail -n 1
p11 -L | grep 'token flags'
echo "    the secret is spent: a second use is refused"
{ p11 --login --login-type so --so-pin "$secret" --init-pin --new-pin 3692 || true; } | grep -o 'CKR_[A-Z_]*' | head -n 1 | sed 's/^/    /'

say "7. Sign with the newest PIN (3691)"
if p11 -M | grep -q 'RSA-PKCS-PSS'; then
    p11 --login --pin 3691 --sign -m SHA256-RSA-PKCS-PSS --id 45 -i "$WORK/document" -o "$WORK/document.pss" | tail -n 1
    run openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -verify "$WORK/pub.pem" \
        -signature "$WORK/document.pss" "$WORK/document"
else
    # A card family whose TokenInfo offers no RSA-PSS (IAS_SIM_PERSONALITY=cosmo-v7, ...).
    echo "    this card offers no RSA-PSS: PKCS#1 v1.5 again"
    p11 --login --pin 3691 --sign -m SHA256-RSA-PKCS --id 45 -i "$WORK/document" -o "$WORK/document.sig2" | tail -n 1
    run openssl dgst -sha256 -verify "$WORK/pub.pem" -signature "$WORK/document.sig2" "$WORK/document"
fi

say "Done: the token was unlocked twice without support tickets or vendor middleware."
