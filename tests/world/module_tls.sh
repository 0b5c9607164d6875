#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 9, TLS: C_Login(CKU_SO, secret) refuses every service that is not the pinned, valid
# one, and spends nothing. Servers (openssl s_server / a plain HTTP server on 127.0.0.1):
# expired certificate, certificate for another host name, TLS 1.1 only (downgrade), plain
# HTTP behind an https:// URL; and an http:// service_url, refused by the configuration.
# Each refusal must be CKR_FUNCTION_FAILED (not-configured: CKR_FUNCTION_NOT_SUPPORTED) with
# the TLS reason in the module's log, and the secret must still reset the card afterwards.
# Needs the test world and the unblock world (ctest LABELS world).
source "$(dirname "$0")/lib.sh" tls
FIXTURE="$REPO/tests/world/unblock_fixture.sh"
SERIAL=0010000000123456
BASE=$(( ${IAS_UNBLOCK_PORT:-8443} + 11 ))
LOG="$WORK/module.log"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
cd "$WORK"

# Certificates: all for the key of the test server, 127.0.0.1 unless said otherwise.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem 2>/dev/null
openssl req -x509 -key key.pem -days 30 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
    -out good.pem 2>/dev/null
openssl req -x509 -key key.pem -days 30 -subj "/CN=other.example" -addext "subjectAltName=DNS:other.example" \
    -out otherhost.pem 2>/dev/null
mkdir -p ca/newcerts && : > ca/index.txt && echo 01 > ca/serial
cat > ca.cnf <<CNF
[ca]
default_ca = test
[test]
dir = $WORK/ca
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
default_md = sha256
policy = any
copy_extensions = copy
[any]
commonName = supplied
[ext]
subjectAltName = IP:127.0.0.1
CNF
openssl req -new -key key.pem -subj "/CN=127.0.0.1" -out expired.csr 2>/dev/null
openssl ca -batch -config ca.cnf -selfsign -keyfile key.pem -in expired.csr -extensions ext \
    -startdate 20200101000000Z -enddate 20200102000000Z -out expired.pem >/dev/null 2>&1
openssl x509 -in expired.pem -noout -checkend 0 >/dev/null 2>&1 && fail "the expired certificate is not expired"
pin="sha256//$(openssl pkey -in key.pem -pubout -outform DER | openssl dgst -sha256 -binary | openssl base64 -A)"

serve() {  # serve PORT ARGS...: openssl s_server in the background
    local port=$1; shift
    openssl s_server -quiet -accept "127.0.0.1:$port" -key key.pem -www "$@" >/dev/null 2>&1 &
    pids+=($!)
}
serve $BASE -cert expired.pem
serve $((BASE + 1)) -cert otherhost.pem
serve $((BASE + 2)) -cert good.pem -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
python3 -m http.server --bind 127.0.0.1 $((BASE + 3)) >/dev/null 2>&1 &
pids+=($!)
for p in $BASE $((BASE + 1)) $((BASE + 2)) $((BASE + 3)); do
    for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done
done
out=$(openssl s_client -connect 127.0.0.1:$((BASE + 2)) -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' </dev/null 2>&1 || true)
expect_contains "$out" "Protocol  : TLSv1.1" "the downgrade server speaks TLS 1.1"

fresh_card
secret=$("$FIXTURE" secret "$SERIAL")
audit="${IAS_UNBLOCK_WORLD_DIR:-$REPO/test-world/unblockd}/audit.log"
printf '%-34s %-28s %s\n' server "C_Login(CKU_SO)" "module log"
try() {  # try NAME EXPECTED-RV LOG-TEXT CONFIG-LINES
    local name=$1 want=$2 text=$3 conf=$4 out rv
    printf 'reader_filter = Virtual PCD 00 00\nlog_level = debug\nlog_file = %s\n%s\n' "$LOG" "$conf" > "$IAS_PKCS11_CONF"
    : > "$LOG"
    out=$(p11 --login --login-type so --so-pin "$secret" --init-pin --new-pin 2580 || true)
    rv=$(grep -o 'CKR_[A-Z_]*' <<<"$out" | head -n 1)
    printf '%-34s %-28s %s\n' "$name" "${rv:-CKR_OK}" "$(grep -o "$text" "$LOG" | head -n 1)"
    [[ "$rv" == "$want" ]] || fail "$name: $want expected, got '${rv:-CKR_OK}': $out"
    grep -q "$text" "$LOG" || fail "$name: '$text' not in the module log: $(cat "$LOG")"
    expect_not_contains "$(cat "$LOG")" "$secret" "$name: secret in the log"
}
lines_before=$(wc -l < "$audit")
try "expired certificate" CKR_FUNCTION_FAILED "SSL peer certificate or SSH remote key was not OK" \
    "$(printf 'service_url = https://127.0.0.1:%s\nservice_pin_sha256 = %s\nservice_ca_file = %s' $BASE "$pin" "$WORK/expired.pem")"
try "certificate for another host" CKR_FUNCTION_FAILED "SSL peer certificate or SSH remote key was not OK" \
    "$(printf 'service_url = https://127.0.0.1:%s\nservice_pin_sha256 = %s\nservice_ca_file = %s' $((BASE + 1)) "$pin" "$WORK/otherhost.pem")"
try "TLS 1.1 only (downgrade)" CKR_FUNCTION_FAILED "SSL connect error" \
    "$(printf 'service_url = https://127.0.0.1:%s\nservice_pin_sha256 = %s\nservice_ca_file = %s' $((BASE + 2)) "$pin" "$WORK/good.pem")"
try "TLS 1.1 only, pinned key alone" CKR_FUNCTION_FAILED "SSL connect error" \
    "$(printf 'service_url = https://127.0.0.1:%s\nservice_pin_sha256 = %s' $((BASE + 2)) "$pin")"
try "plain HTTP behind https://" CKR_FUNCTION_FAILED "SSL connect error" \
    "$(printf 'service_url = https://127.0.0.1:%s\nservice_pin_sha256 = %s' $((BASE + 3)) "$pin")"
try "http:// service_url" CKR_FUNCTION_NOT_SUPPORTED "service_url must start with https://" \
    "$(printf 'service_url = http://127.0.0.1:%s\nservice_pin_sha256 = %s' $((BASE + 3)) "$pin")"
[[ $(wc -l < "$audit") -eq $lines_before ]] || fail "the service saw a request"
# Nothing spent: the real service still takes the secret.
{ echo "reader_filter = Virtual PCD 00 00"; "$FIXTURE" module-conf; } > "$IAS_PKCS11_CONF"
out=$(p11 --login --login-type so --so-pin "$secret" --init-pin --new-pin 2580)
expect_contains "$out" "successfully initialized" "the secret after the refusals"
pass "6 bad services refused, nothing sent to the real one, the secret still resets"
