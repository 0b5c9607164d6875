#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets (fuzz/, clang-14, ASan+UBSan) if needed and runs each for N
# seconds with its committed corpus (fuzz/corpus/<target>, regressions/ included) and its
# dictionary (fuzz/dict/<target>.dict).
#
#   scripts/fuzz.sh [--seconds N] [target...]      default: 10 s, all targets
#
# The committed corpus: seeds from recorded exchanges, regressions/ (one input per fixed
# finding) and merged/ (the inputs of the long runs that add edge coverage beyond the rest,
# set-cover minimised). New corpus entries go to a scratch dir ($IAS_FUZZ_WORK, default
# build/fuzz/work/<target>/corpus), never into the committed corpus. To bring a long run's
# coverage in: copy fuzz/corpus/<target> without merged/ into an empty directory M, run
#   <target>_fuzz -set_cover_merge=1 -use_cmp=0 -use_counters=0 -max_len=<as below> \
#       M fuzz/corpus/<target>/merged <scratch>
# and make the files it added to M the new merged/.
# Exit status: non-zero if any target crashed, leaked, timed out or ran out of memory; the
# reproducer path is printed (re-run with build/fuzz/fuzz/<target>_fuzz <reproducer>).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
BUILD="${IAS_FUZZ_BUILD:-$REPO/build/fuzz}"
WORK="${IAS_FUZZ_WORK:-$BUILD/work}"
ALL=(tlv apdu pkcs15 card_responses secret config sim replay p11_api service_api cache)

seconds=10
targets=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --seconds=*) seconds="${1#*=}"; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=("${ALL[@]}")
for t in "${targets[@]}"; do
    [[ " ${ALL[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target '$t' (have: ${ALL[*]})" >&2; exit 2; }
done

# Largest input per target: enough for the biggest real object (certificates ~1.3 KiB,
# extended APDUs, a whole PKCS#15 card) without wasting time on huge inputs.
max_len() {
    case "$1" in
        tlv) echo 4096 ;;
        apdu) echo 8192 ;;
        pkcs15) echo 8192 ;;
        card_responses) echo 4096 ;;
        secret) echo 1024 ;;
        config) echo 8192 ;;
        sim) echo 4096 ;;
        replay) echo 8192 ;;
        p11_api) echo 4096 ;;
        service_api) echo 4096 ;;
        cache) echo 16384 ;;
    esac
}

if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
    CC="${CC:-clang-14}" CXX="${CXX:-clang++-14}" cmake -S "$REPO" -B "$BUILD" -DIAS_FUZZ=ON -DIAS_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD" -j "$(nproc)" --target "${targets[@]/%/_fuzz}" >/dev/null

status=0
for t in "${targets[@]}"; do
    bin="$BUILD/fuzz/${t}_fuzz"
    scratch="$WORK/$t/corpus"
    artifacts="$WORK/$t/artifacts"
    log="$WORK/$t/fuzz.log"
    mkdir -p "$scratch" "$artifacts" "$REPO/fuzz/corpus/$t"
    args=(-max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048
          -artifact_prefix="$artifacts/" -print_final_stats=1)
    [[ -f "$REPO/fuzz/dict/$t.dict" ]] && args+=(-dict="$REPO/fuzz/dict/$t.dict")
    if "$bin" "${args[@]}" "$scratch" "$REPO/fuzz/corpus/$t" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        printf '%-15s ok    %8s runs in %ss, scratch corpus %s files\n' "$t" "${runs:-?}" "$seconds" \
            "$(find "$scratch" -type f | wc -l)"
    else
        status=1
        repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        printf '%-15s FAIL  reproducer: %s\n' "$t" "${repro:-(none written, see $log)}"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|FUZZ PROPERTY|.*runtime error)' "$log" | head -5 | sed 's/^/    /'
        echo "    log: $log"
        echo "    re-run: $bin $repro"
    fi
done
exit "$status"
