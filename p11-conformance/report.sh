#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Runs the conformance suite against both modules and writes p11-conformance/REPORT.md.
#   p11-conformance/report.sh [BUILD_DIR]      (default build/conf)
# conformance.softhsm.* always runs. conformance.ias.* needs the PC/SC test world: it runs when
# the world is up, or when IAS_REPORT_START_WORLD=1 (the script then starts and stops it — only
# do that when nobody else uses the machine-wide pcscd). Otherwise the ias column says "not run".
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$(cd "${1:-$REPO/build/conf}" && pwd)"
OUT="$BUILD/p11-conformance/junit"
mkdir -p "$OUT"
rm -f "$OUT/softhsm.xml" "$OUT/ias.xml"

ctest --test-dir "$BUILD" -R '^conformance\.softhsm\.' -j2 --test-output-size-passed 200000 --output-junit "$OUT/softhsm.xml" | tail -3 || true

world_up() { grep -q '^pcscd: running' <<<"$("$REPO/scripts/test-world.sh" status 2>/dev/null)"; }
started=0
if ! world_up && [[ "${IAS_REPORT_START_WORLD:-0}" == 1 ]]; then
    IAS_SIM_BIN="$BUILD/sim/ias-card-sim" "$REPO/scripts/test-world.sh" start
    started=1
fi
if world_up; then
    ctest --test-dir "$BUILD" -R '^conformance\.ias\.' -L world --test-output-size-passed 200000 --output-junit "$OUT/ias.xml" | tail -3 || true
else
    echo "report.sh: test world not running: the ias column is not run" >&2
fi
if [[ $started == 1 ]]; then "$REPO/scripts/test-world.sh" stop; fi

python3 "$REPO/p11-conformance/report.py" "$OUT/softhsm.xml" "$OUT/ias.xml" "$REPO/p11-conformance/NOTES.md" \
    > "$REPO/p11-conformance/REPORT.md"
echo "report.sh: wrote p11-conformance/REPORT.md"
