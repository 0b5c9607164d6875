#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Three wrong PINs lock the token (OpenSC reports it; the lock survives a simulator restart);
# PUK + new PIN unblocks with user_pin_unblock_style = init_pin_in_so_session.
source "$(dirname "$0")/lib.sh"
insert_fresh_card

step "three wrong PINs"
for pin in 1111 2222 3333; do
    if p11 --login --pin "$pin" -O >/dev/null 2>&1; then fail "wrong PIN $pin accepted"; fi
done
out="$(p11 -L)"
expect_contains "$out" "user PIN locked"
out="$(p11 --login --pin "$TEST_PIN" -O 2>&1 || true)"
expect_contains "$out" "CKR_PIN_LOCKED"

step "still locked after the card is pulled and the simulator restarted"
"$WORLD_SH" insert "$TMP/card.json"
expect_contains "$(p11 -L)" "user PIN locked"
sim show --state "$TMP/card.json" | grep -q "user PIN.*0/3 tries left, BLOCKED" || fail "sim show does not report the lock"

cat > "$TMP/unblock.conf" <<'CONF'
app default { }
app opensc-pkcs11 { pkcs11 { user_pin_unblock_style = init_pin_in_so_session; } }
CONF

step "wrong PUK does not unblock"
if OPENSC_CONF="$TMP/unblock.conf" p11 --init-pin --login --login-type so --so-pin 87654321 --new-pin 1357 >/dev/null 2>&1; then
    fail "unblocked with a wrong PUK"
fi
expect_contains "$(p11 -L)" "user PIN locked"

step "PUK + new PIN (C_Login(SO) + C_InitPIN)"
reset_count
OPENSC_CONF="$TMP/unblock.conf" p11 --init-pin --login --login-type so --so-pin "$TEST_PUK" --new-pin 1357 \
    || fail "C_InitPIN with the PUK failed"
grep -q "^00 2C 02 81 Lc=4 -> 90 00" "$WORLD/apdu.log" || fail "no RESET RETRY COUNTER P1=02 seen"
out="$(p11 -L)"
expect_not_contains "$out" "locked"
step "login with the new PIN"
p11 --login --pin 1357 -O >/dev/null || fail "new PIN refused after unblock"
printf 'after unblock\n' > "$TMP/msg"
digest_info_sha256 "$TMP/msg" "$TMP/di"
p11 --login --pin 1357 --sign -m RSA-PKCS --id 45 -i "$TMP/di" -o "$TMP/sig" || fail "sign after unblock failed"
echo "PASS"
