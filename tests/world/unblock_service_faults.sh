#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The service side of the C_InitPIN fault table (issue 6): the issuer service goes down
# before or after each of its calls during a reset (a TCP relay between module and service
# refuses a connection, or lets the call through and loses the answer), and the ticket
# expires between C_Login(CKU_SO) and C_InitPIN (libfaketime moves the module's clock).
# Afterwards the card is either unchanged or fully reset, never in between, and the secret
# is spent only if the service heard of a confirmed reset. Prints the table of cases.
# Needs the test world and the unblock world (ctest LABELS world).
source "$(dirname "$0")/lib.sh" service-faults
FIXTURE="$(dirname "$0")/unblock_fixture.sh"
SERIAL=0010000000123456
DIRECT_CONF="$IAS_PKCS11_CONF"
{ echo "reader_filter = Virtual PCD 00 00"; "$FIXTURE" module-conf; } > "$DIRECT_CONF"
service_url=$(sed -n 's/^service_url = //p' "$DIRECT_CONF")
[[ -n "$service_url" ]] || fail "no service_url in the unblock world's module.conf"

insert() { "$REPO/scripts/test-world.sh" insert "$1" 2>/dev/null; }
rv_of() { grep -o 'CKR_[A-Z_]*\|successfully initialized' <<<"$1" | head -n 1; }

proxy_pid=""
stop_proxy() { [[ -z "$proxy_pid" ]] || kill "$proxy_pid" 2>/dev/null || true; proxy_pid=""; }
trap stop_proxy EXIT
# start_proxy PLAN: a relay to the service breaking the connections of PLAN; writes a module
# config that goes through it to $WORK/proxy.conf.
start_proxy() {
    stop_proxy
    rm -f "$WORK/proxy.port"
    python3 "$(dirname "$0")/fault_proxy.py" --to "${service_url#https://}" --plan "$1" \
        --port-file "$WORK/proxy.port" 2>>"$WORK/proxy.log" &
    proxy_pid=$!
    for _ in $(seq 50); do [[ -s "$WORK/proxy.port" ]] && break; sleep 0.1; done
    [[ -s "$WORK/proxy.port" ]] || fail "fault proxy did not start"
    sed "s|^service_url = .*|service_url = https://127.0.0.1:$(cat "$WORK/proxy.port")|" "$DIRECT_CONF" > "$WORK/proxy.conf"
}

# A locked card: three wrong PINs on a fresh one.
fresh_card
for _ in 1 2 3; do p11 --login --pin 0000 -O >/dev/null || true; done
expect_contains "$(p11 -L)" "user PIN locked" "template locked"
cp "$WORK/card.json" "$WORK/locked.json"

# card_state / secret_state: how the card and the secret were left (the direct service).
card_state() {
    local flags
    flags=$(p11 -L | grep 'token flags')
    if grep -q 'user PIN locked' <<<"$flags"; then echo unchanged
    elif p11 --login --pin 2580 -O >/dev/null; then echo reset
    else echo INCONSISTENT; fi
}
secret_state() {  # using the secret again also finishes an interrupted reset
    local out
    out=$(p11 --login --login-type so --so-pin "$1" --init-pin --new-pin 3691 || true)
    if grep -q 'successfully' <<<"$out"; then echo unspent; else echo spent; fi
}

failures=0
row() {  # row CASE RV EXPECTED_RV CARD SECRET EXPECTED_SECRET
    local verdict=""
    [[ "$2" == "$3" ]] || { verdict+="  <-- expected $3"; failures=$((failures + 1)); }
    [[ "$4" != INCONSISTENT ]] || { verdict+="  <-- card in between"; failures=$((failures + 1)); }
    [[ "$5" == "$6" ]] || { verdict+="  <-- secret should be $6"; failures=$((failures + 1)); }
    printf '%-34s %-24s %-10s %s%s\n' "$1" "$2" "$4" "$5" "$verdict"
}

printf '%-34s %-24s %-10s %s\n' "service fault" "C_InitPIN" card secret
# The module's calls during a reset: 1 verify (at C_Login), 2 cryptogram, 3 confirm.
cases=(
    "2=refuse|down before cryptogram|CKR_FUNCTION_FAILED|unchanged|unspent"
    "2=lose-reply|cryptogram answer lost|CKR_FUNCTION_FAILED|unchanged|unspent"
    "3=refuse|down before confirm|successfully initialized|reset|unspent"
    "3=lose-reply|confirm answer lost|successfully initialized|reset|spent"
)
for c in "${cases[@]}"; do
    IFS='|' read -r plan name expected_rv expected_card expected_secret <<<"$c"
    cp "$WORK/locked.json" "$WORK/case.json"
    insert "$WORK/case.json"
    secret=$("$FIXTURE" secret "$SERIAL")
    start_proxy "$plan"
    result=$(rv_of "$(IAS_PKCS11_CONF="$WORK/proxy.conf" p11 --login --login-type so --so-pin "$secret" --init-pin --new-pin 2580 || true)")
    stop_proxy
    card=$(card_state)
    [[ "$card" == "$expected_card" ]] || { failures=$((failures + 1)); card="$card(expected $expected_card)"; }
    row "$name" "${result:-?}" "$expected_rv" "$card" "$(secret_state "$secret")" "$expected_secret"
done

# The ticket expires between the SO login and C_InitPIN: nothing reaches card or service.
libfaketime=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
[[ -f "$libfaketime" ]] || fail "libfaketime missing (Debian package libfaketime)"
cp "$WORK/locked.json" "$WORK/case.json"
insert "$WORK/case.json"
secret=$("$FIXTURE" secret "$SERIAL")
echo "+0" > "$WORK/clock"
apdus_before=$(wc -l < "$WORLD/apdu.log")
out=$(LD_PRELOAD=$libfaketime FAKETIME_TIMESTAMP_FILE="$WORK/clock" FAKETIME_NO_CACHE=1 \
    /usr/bin/python3 "$(dirname "$0")/ticket_expiry.py" "$MODULE" "$secret" 2580 "$WORK/clock" 2>&1) || fail "ticket expiry: $out"
apdus=$(tail -n +"$((apdus_before + 1))" "$WORLD/apdu.log")
expect_not_contains "$apdus" "00 22 81 A4" "no MSE SET AT with an expired ticket"
card=$(card_state)
row "ticket expired before C_InitPIN" "$(rv_of "$out")" CKR_USER_NOT_LOGGED_IN "$card" "$(secret_state "$secret")" unspent
[[ "$card" == unchanged ]] || { failures=$((failures + 1)); echo "  <-- card should be unchanged"; }

[[ $failures -eq 0 ]] || fail "$failures service fault cases broke the rules"
pass "5 service fault cases: card unchanged or fully reset, secret spent only after a confirmed reset"
