#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fault injection at every step of C_InitPIN in the service unblock (issue 6): for each of
# the six reset APDUs (MSE SET AT, GET CHALLENGE, EXTERNAL AUTHENTICATE, RESET RETRY
# COUNTER, counter read-back, application re-selection) the card is pulled before it, pulled
# after it (answer lost), or answers 6F00. Afterwards the card must be either unchanged
# (still locked, old state) or fully reset (new PIN works), never in between; and the
# secret may be spent only if the card was reset. Prints the table of cases.
# Needs the test world and the unblock world (ctest LABELS world).
source "$(dirname "$0")/lib.sh" faults
FIXTURE="$(dirname "$0")/unblock_fixture.sh"
SERIAL=0010000000123456
{ echo "reader_filter = Virtual PCD 00 00"; "$FIXTURE" module-conf; echo "log_level = debug"; echo "log_file = $WORK/module.log"; } > "$IAS_PKCS11_CONF"

insert() {  # insert STATE [sim args]: restart the simulator on STATE (fault plan optional)
    IAS_SIM_ARGS="${2:-}" "$REPO/scripts/test-world.sh" insert "$1" 2>/dev/null
}
rv_of() { grep -o 'CKR_[A-Z_]*\|successfully initialized' <<<"$1" | head -n 1; }

# A locked card: three wrong PINs on a fresh one.
fresh_card
for _ in 1 2 3; do p11 --login --pin 0000 -O >/dev/null || true; done
expect_contains "$(p11 -L)" "user PIN locked" "template locked"
cp "$WORK/card.json" "$WORK/locked.json"

# Where the reset starts: a clean run, counting the APDUs before MSE SET 81 A4.
cp "$WORK/locked.json" "$WORK/case.json"
secret=$("$FIXTURE" secret "$SERIAL")
insert "$WORK/case.json"
start=$(wc -l < "$WORLD/apdu.log")
out=$(p11 --login --login-type so --so-pin "$secret" --init-pin --new-pin 2580)
expect_contains "$out" "successfully initialized" "clean reset"
offset=$(tail -n +"$((start + 1))" "$WORLD/apdu.log" | grep -n '^00 22 81 A4' | head -n 1 | cut -d: -f1)
[[ -n "$offset" ]] || fail "no MSE SET AT in the APDU log"
steps=(MSE-SET-AT GET-CHALLENGE EXT-AUTH RESET-RETRY-COUNTER COUNTER-READ SELECT-APP)

printf '%-16s %-20s %-28s %-12s %s\n' fault step "C_InitPIN" card secret
failures=0
for kind in drop-before drop-after sw6f00; do
    for k in 0 1 2 3 4 5; do
        n=$((offset + k))
        cp "$WORK/locked.json" "$WORK/case.json"
        secret=$("$FIXTURE" secret "$SERIAL")
        insert "$WORK/case.json" "--fault $kind=$n"
        result=$(rv_of "$(p11 --login --login-type so --so-pin "$secret" --init-pin --new-pin 2580 || true)")
        insert "$WORK/case.json"  # the card as it was left, without the fault
        flags=$(p11 -L | grep 'token flags')
        if grep -q 'user PIN locked' <<<"$flags"; then
            card=unchanged
        elif p11 --login --pin 2580 -O >/dev/null; then
            card=reset
        else
            card=INCONSISTENT
        fi
        # Is the secret still usable? (Using it also finishes an interrupted reset.)
        if p11 --login --login-type so --so-pin "$secret" --init-pin --new-pin 3691 | grep -q 'successfully'; then
            secret_state=unspent
        else
            secret_state=spent
        fi
        verdict=""
        # A pulled card is CKR_DEVICE_REMOVED (UNBLOCK.md), a card error CKR_DEVICE_ERROR.
        expected_rv=CKR_DEVICE_REMOVED
        [[ $kind == sw6f00 ]] && expected_rv=CKR_DEVICE_ERROR
        if [[ "$result" != "$expected_rv" ]]; then
            verdict="  <-- expected $expected_rv: $(grep 'C_InitPIN:' "$WORK/module.log" | tail -n 1 | cut -d' ' -f4-)"
            grep 'apdu !' "$WORK/module.log" | tail -n 2 >&2
            failures=$((failures + 1))
        fi
        if [[ $card == INCONSISTENT ]]; then verdict="  <-- card in between"; failures=$((failures + 1)); fi
        if [[ $card == unchanged && $secret_state == spent ]]; then verdict="  <-- secret burned without reset"; failures=$((failures + 1)); fi
        printf '%-16s %-20s %-28s %-12s %s%s\n' "$kind" "${steps[$k]}" "${result:-?}" "$card" "$secret_state" "$verdict"
    done
done
[[ $failures -eq 0 ]] || fail "$failures fault cases broke the rules"
pass "18 fault cases: card unchanged or fully reset, secret spent only after a confirmed reset"
