#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# APDU counts of OpenSC 0.23 on the simulated card: pkcs11-tool -L, and per PKCS#11 step.
source "$(dirname "$0")/lib.sh"
COUNTER="${1:?usage: apdu_counts.sh <opensc_apdu_counts binary>}"
insert_fresh_card
reset_count
p11 -L >/dev/null
echo "pkcs11-tool -L                               $(apdu_count) APDUs"
reset_count
p11 --login --pin "$TEST_PIN" -O >/dev/null
echo "pkcs11-tool --login --pin … -O               $(apdu_count) APDUs"
reset_count
"$COUNTER" "$OPENSC_MODULE" "$WORLD/apdu.log" "$TEST_PIN"
echo "PASS"
