#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ctest fixture of conformance.ias.* (LABELS world): a fresh simulated card in "Virtual PCD 00 00"
# (user PIN 4711, RSA + EC keys; of the family IAS_SIM_PERSONALITY, default: today's layout) and
# the module configuration restricted to that reader.
# Needs the running test world (scripts/test-world.sh start); IAS_SIM_BIN = the simulator.
#   p11-conformance/ias-setup.sh DIR      writes DIR/ias-pkcs11.conf and DIR/card.json
set -euo pipefail

DIR="${1:?usage: ias-setup.sh DIR}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIM="${IAS_SIM_BIN:?IAS_SIM_BIN must name ias-card-sim}"
mkdir -p "$DIR/templates"
DIR="$(cd "$DIR" && pwd)"
# The SO tests use the PUK (so_login = puk): a one-time unblock secret needs the service.
printf 'reader_filter = Virtual PCD 00 00\nso_login = puk\n' > "$DIR/ias-pkcs11.conf"

status=$("$REPO/scripts/test-world.sh" status 2>/dev/null || true)  # no pipe into grep -q: SIGPIPE + pipefail
grep -q "^pcscd: running" <<<"$status" || { echo "ias-setup: the test world is not running" >&2; exit 1; }
personality="${IAS_SIM_PERSONALITY:-default}"
template="$DIR/templates/card-ec-$personality.json"
if [[ ! -f "$template" || "$SIM" -nt "$template" ]]; then  # a rebuilt simulator may lay cards out differently
    rm -f "$template.tmp"
    "$SIM" personalise --personality "$personality" --state "$template.tmp" --serial 0010000000123456 --pin 4711 --puk 12345678 \
        --ca-dir "$DIR/templates/ca" --label "IAS-ECC SIM" --ec >/dev/null
    mv "$template.tmp" "$template"
fi
cp "$template" "$DIR/card.json"
"$REPO/scripts/test-world.sh" insert "$DIR/card.json"
echo "ias-setup: fresh card inserted ($DIR/card.json)"
