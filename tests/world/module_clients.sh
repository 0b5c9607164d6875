#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ias-pkcs11.so under GnuTLS (p11tool) and NSS (modutil/certutil) — issue 4 "Must show".
# Usage: $0 CASE
source "$(dirname "$0")/lib.sh"

case "${1:?case}" in
p11tool)
    fresh_card
    out=$(p11tool --provider "$MODULE" --list-all 2>&1) || fail "p11tool --list-all: $out"
    expect_contains "$out" "Authentication certificate" "certificate listed"
    expect_contains "$out" "Type: Public key" "public key listed"
    expect_not_contains "$out" "Type: Private key" "no private key before login"
    out=$(GNUTLS_PIN=$PIN p11tool --provider "$MODULE" --login --list-all 2>&1) || fail "p11tool --login --list-all: $out"
    expect_contains "$out" "Type: Private key" "private keys after login"
    key_url=$(GNUTLS_PIN=$PIN p11tool --provider "$MODULE" --login --list-privkeys 2>/dev/null | awk '/URL:/ && /Authentication/ {print $2; exit}')
    [[ -n "$key_url" ]] || fail "no private key URL"
    out=$(GNUTLS_PIN=$PIN p11tool --provider "$MODULE" --login --test-sign "$key_url" 2>&1) || fail "p11tool --test-sign: $out"
    expect_contains "$out" "Verifying against public key in the token... ok" "test-sign verified"
    pass "p11tool --list-all, --login --list-all, --test-sign"
    ;;
nss)
    fresh_card
    db="$WORK/nssdb"
    mkdir -p "$db"
    certutil -N -d "sql:$db" --empty-password
    modutil -dbdir "sql:$db" -add ias-pkcs11 -libfile "$MODULE" -force </dev/null >/dev/null 2>&1 || fail "modutil -add"
    out=$(modutil -dbdir "sql:$db" -list ias-pkcs11 </dev/null 2>&1)
    expect_contains "$out" "IAS-ECC SIM" "token seen by NSS"
    # No password is available to certutil: the certificates must be listed without login
    # (PKCS#11 3.0 public-certificates-token profile, public certificate objects).
    out=$(certutil -L -h all -d "sql:$db" </dev/null 2>&1) || fail "certutil -L -h all: $out"
    expect_contains "$out" "IAS-ECC SIM:Authentication certificate" "authentication certificate listed"
    expect_contains "$out" "IAS-ECC SIM:Signature certificate" "signature certificate listed"
    pass "NSS lists the token's certificates without a PIN"
    ;;
p11tool-initialize-pin)
    # GnuTLS's SO reset (issue 6): p11tool --initialize-pin with the one-time secret as SO PIN.
    FIXTURE="$(dirname "$0")/unblock_fixture.sh"
    "$FIXTURE" card 0010000000123456 >/dev/null
    secret=$("$FIXTURE" secret 0010000000123456)
    { echo "reader_filter = Virtual PCD 00 00"; "$FIXTURE" module-conf; } > "$IAS_PKCS11_CONF"
    for _ in 1 2 3; do p11 --login --pin 0000 -O >/dev/null || true; done
    expect_contains "$(p11 -L)" "user PIN locked" "locked before"
    url=$(p11tool --provider "$MODULE" --list-tokens 2>/dev/null | awk '/URL:/ {print $2; exit}')
    out=$(GNUTLS_SO_PIN="$secret" GNUTLS_PIN=2580 p11tool --provider "$MODULE" --initialize-pin "$url" </dev/null 2>&1) \
        || fail "p11tool --initialize-pin: $out"
    expect_not_contains "$out" "$secret" "secret never echoed"
    expect_not_contains "$(p11 -L)" "user PIN locked" "unlocked after"
    p11 --login --pin 2580 -O | grep -q "Private Key Object" || fail "login with the new PIN"
    pass "p11tool --initialize-pin with the unblock secret"
    ;;
pykcs11)
    FIXTURE="$(dirname "$0")/unblock_fixture.sh"
    "$FIXTURE" card 0010000000123456 >/dev/null
    secret=$("$FIXTURE" secret 0010000000123456)
    { echo "reader_filter = Virtual PCD 00 00"; "$FIXTURE" module-conf; } > "$IAS_PKCS11_CONF"
    for _ in 1 2 3; do p11 --login --pin 0000 -O >/dev/null || true; done
    out=$(/usr/bin/python3 "$(dirname "$0")/pykcs11_unblock.py" "$MODULE" "$secret" 2580 2>&1) || fail "PyKCS11: $out"
    expect_not_contains "$out" "$secret" "secret never printed"
    pass "PyKCS11 unblock and sign"
    ;;
canary)
    # The module's debug log through a whole unblock and a login: PIN data and the secret
    # must never appear (headers and status words only).
    FIXTURE="$(dirname "$0")/unblock_fixture.sh"
    "$FIXTURE" card 0010000000123456 >/dev/null
    service_dir="${IAS_UNBLOCK_WORLD_DIR:-$REPO/test-world/unblockd}"
    service_logs=("$service_dir/audit.log" "$service_dir/serve.log")
    declare -A service_log_start
    for f in "${service_logs[@]}"; do service_log_start[$f]=$(($(stat -c %s "$f" 2>/dev/null || echo 0) + 1)); done
    secret=$("$FIXTURE" secret 0010000000123456)
    log="$WORK/module-debug.log"
    { echo "reader_filter = Virtual PCD 00 00"; "$FIXTURE" module-conf; echo "log_level = debug"; echo "log_file = $log"; } > "$IAS_PKCS11_CONF"
    for _ in 1 2 3; do p11 --login --pin 0913 -O >/dev/null || true; done
    p11 --login --login-type so --so-pin "$secret" --init-pin --new-pin 8264 | grep -q successfully || fail "reset"
    p11 --login --pin 8264 -O >/dev/null || fail "login with the new PIN"
    grep -q "apdu > " "$log" || fail "the debug log shows no APDU trace"
    canonical=${secret//-/}
    body=$(sed 's/ias-pkcs11\[[0-9]*\]//' "$log")  # the pid is not data
    for value in "$secret" "$canonical" 8264 0913 4711 "$(printf 8264 | xxd -p)" "$(printf 0913 | xxd -p)"; do
        expect_not_contains "$body" "$value" "canary in the module log"
    done
    expect_contains "$body" "[redacted]" "PIN commands are redacted"
    # The service's logs over the same run: no secret, no answer (Lyon/Rex), no PIN.
    for f in "${service_logs[@]}"; do
        [[ -f "$f" ]] || fail "service log $f missing"
        written=$(tail -c +"${service_log_start[$f]}" "$f")
        for value in "$secret" "$canonical" Lyon Rex 8264 0913; do
            expect_not_contains "$written" "$value" "canary in $(basename "$f")"
        done
    done
    expect_contains "$(tail -c +"${service_log_start[$service_dir/audit.log]}" "$service_dir/audit.log")" '"confirm_done"' "the audit log saw the reset"
    pass "no PIN, secret or answer in the module's debug log or the service's logs"
    ;;
*) fail "unknown case $1" ;;
esac
