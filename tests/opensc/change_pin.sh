#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# C_SetPIN through pkcs11-tool --change-pin: VERIFY old + CHANGE REFERENCE DATA.
source "$(dirname "$0")/lib.sh"
insert_fresh_card
step "change 4711 -> 2580"
p11 --login --pin "$TEST_PIN" --change-pin --new-pin 2580 || fail "--change-pin failed"
step "old PIN refused, new PIN accepted"
if p11 --login --pin "$TEST_PIN" -O >/dev/null 2>&1; then fail "old PIN still works"; fi
p11 --login --pin 2580 -O >/dev/null || fail "new PIN refused"
out="$(p11 -L)"
expect_not_contains "$out" "locked"
step "wrong old PIN does not change"
if p11 --login --pin 1111 --change-pin --new-pin 3690 >/dev/null 2>&1; then fail "changed with a wrong PIN"; fi
p11 --login --pin 2580 -O >/dev/null || fail "PIN changed by a failed attempt"
echo "PASS"
