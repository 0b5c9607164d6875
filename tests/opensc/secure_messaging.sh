#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Secure messaging with OpenSC 0.23's own SM module (libsmm-local, "local_amos" as in
# opensc.conf.example): a card personalised with --sm demands SM for VERIFY (SCB 43);
# OpenSC runs MUTUAL AUTHENTICATE with its non-standard MAC and sends a CLA 0C VERIFY.
source "$(dirname "$0")/lib.sh"
[[ -f /usr/lib/x86_64-linux-gnu/libsmm-local.so.8 ]] || fail "libsmm-local.so.8 missing (package opensc)"
ENC=$(printf ENCROECHANTILLON | od -An -tx1 | tr -d ' \n')
MAC=$(printf MACROECHANTILLON | od -An -tx1 | tr -d ' \n')
sim personalise --state "$TMP/card.json" --serial 0010000000888888 --pin "$TEST_PIN" --puk "$TEST_PUK" \
    --sm --sm-enc "$ENC" --sm-mac "$MAC" --ca-dir "$WORLD/ca" --force >/dev/null
"$WORLD_SH" insert "$TMP/card.json"
cat > "$TMP/sm.conf" <<'CONF'
app default {
  card_atr 3B:DF:18:FF:81:91:FE:1F:C3:00:31:B8:64:0C:01:EC:C1:73:94:01:80:82:90:00:B3 {
    type = 25004;
    driver = "iasecc";
    secure_messaging = local_amos;
  }
  secure_messaging local_amos {
    module_name = libsmm-local.so.8;
    module_path = /usr/lib/x86_64-linux-gnu;
    mode = acl;
    ifd_serial = "11:22:33:44:55:66:77:88";
    keyset_02_enc = "ENCROECHANTILLON";
    keyset_02_mac = "MACROECHANTILLON";
  }
}
CONF
step "plain VERIFY is refused by the card: OpenSC without SM cannot log in"
if p11 --login --pin "$TEST_PIN" -O >/dev/null 2>&1; then fail "logged in without SM"; fi
step "login through SM"
reset_count
OPENSC_CONF="$TMP/sm.conf" p11 --login --pin "$TEST_PIN" -O > "$TMP/out" || fail "SM login failed"
grep -q "Private Key Object" "$TMP/out" || fail "no private keys after SM login"
grep -q "^00 82 00 00 Lc=72 Le=72 -> 90 00 (72 bytes)" "$WORLD/apdu.log" || fail "no mutual authentication"
grep -q "^0C 20 00 81 .* -> 90 00" "$WORLD/apdu.log" || fail "no SM VERIFY"
step "wrong PIN through SM is counted"
out="$(OPENSC_CONF="$TMP/sm.conf" p11 --login --pin 0000 -O 2>&1 || true)"
expect_contains "$out" "CKR_PIN_INCORRECT"
sim show --state "$TMP/card.json" | grep -q "user PIN): 2/3" || fail "try not counted"
step "sign after SM login"
printf 'sm\n' > "$TMP/msg"
digest_info_sha256 "$TMP/msg" "$TMP/di"
OPENSC_CONF="$TMP/sm.conf" p11 --login --pin "$TEST_PIN" --sign -m RSA-PKCS --id 45 -i "$TMP/di" -o "$TMP/sig" || fail "sign failed"
echo "PASS"
