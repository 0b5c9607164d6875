#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The test command (README): installs what is missing, builds the Release, ASan+UBSan and
# TSan variants, starts the PC/SC test world (pcscd + vpcd + ias-card-sim) and runs every
# test suite. Ends with one summary line per suite; exits non-zero if any suite failed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
artifacts=$root/artifacts
mkdir -p "$artifacts"

scripts/install-deps.sh

jobs=$(nproc)
# build PRESET [CMAKE-ARGS...]
build() {
  local preset=$1; shift
  stage "build $preset"
  echo "== build: $preset $*"
  cmake --preset "$preset" "$@" >/dev/null
  cmake --build --preset "$preset" -j"$jobs"
}

summary=()
failed=0
# Wall and CPU seconds per stage (CPU: this script's waited-for children), printed at the end
# so a CI run that creeps towards its time limit shows which stage grew.
timing=()
stage_name=""; stage_wall=0; stage_cpu=0
# cutime + cstime of this shell (fields 16, 17 of /proc/PID/stat, in clock ticks).
cpu_now() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%d", ($16 + $17) / hz }' "/proc/$$/stat"; }
stage() {
  local cpu; cpu=$(cpu_now)
  [ -z "$stage_name" ] || timing+=("$(printf '%-14s %5d s wall %6d s CPU' "$stage_name" $((SECONDS - stage_wall)) $((cpu - stage_cpu)))")
  stage_name=$1; stage_wall=$SECONDS; stage_cpu=$cpu
}
# record_suite NAME RC [TEST-DIR]: keeps the summary line of a ctest run whose output is in
# artifacts/ctest-NAME.log, and the whole output of every test, passed ones included, for
# the canary scan at the end.
record_suite() {
  local name=$1 rc=$2 dir=${3:-}
  local log=$artifacts/ctest-$name.log
  [ -z "$dir" ] || cp "$dir/Testing/Temporary/LastTest.log" "$artifacts/ctest-$name.full.log" 2>/dev/null || true
  local line
  line=$(grep -E 'tests passed|No tests were found' "$log" | tail -n 1)
  [ -n "$line" ] || line="no summary (ctest exit $rc)"
  if [ "$rc" -ne 0 ] || grep -q 'No tests were found' "$log"; then
    failed=1
    summary+=("FAIL  $name: $line")
  else
    summary+=("ok    $name: $line")
  fi
}
# run_suite NAME CTEST-ARGS... : runs ctest, keeps its summary line for the end.
run_suite() {
  local name=$1; shift
  stage "$name"
  echo "== tests: $name"
  set +e
  ctest --output-on-failure --output-junit "$artifacts/junit-$name.xml" "$@" 2>&1 | tee "$artifacts/ctest-$name.log"
  local rc=${PIPESTATUS[0]}
  set -e
  record_suite "$name" "$rc" "$([ "$1" != --test-dir ] || echo "$2")"
}
# run_suite_bg NAME [--world PORT] CTEST-ARGS...: the same in the background (for a suite
# that mostly waits, beside another one from a different build tree: two ctest runs never
# share a tree); --world runs it in a private PC/SC and unblock world of its own
# (scripts/private-world.sh, vpcd port PORT, under test-world/ for the canary scan).
# collect_suite NAME waits for it and prints its output.
declare -A bg_pid bg_dir
run_suite_bg() {
  local name=$1; shift
  local world=()
  if [ "$1" = --world ]; then
    world=(scripts/private-world.sh --port "$2" --dir "$root/test-world/private-$name" -- bash -c
      'scripts/test-world.sh start >/dev/null && scripts/unblock-world.sh start >/dev/null && "$@"' private)
    shift 2
  fi
  echo "== tests: $name (in the background, beside the next suites)"
  bg_dir[$name]=$([ "$1" != --test-dir ] || echo "$2")
  "${world[@]}" ctest --output-on-failure --output-junit "$artifacts/junit-$name.xml" "$@" \
    > "$artifacts/ctest-$name.log" 2>&1 &
  bg_pid[$name]=$!
}
collect_suite() {
  local name=$1 rc=0
  stage "$name (wait)"
  wait "${bg_pid[$name]}" || rc=$?
  echo "== tests: $name (ran in the background)"
  cat "$artifacts/ctest-$name.log"
  record_suite "$name" "$rc" "${bg_dir[$name]}"
}

# Each tree builds what is run from it: the unit suites run under the sanitizers only (no
# unit, PostgreSQL or service-bench binaries in the Release tree), TSan gets the suites whose code runs threads, the
# PostgreSQL suite runs from the ASan tree only, and the fuzz targets are built there with a
# plain main that replays their committed corpus (fuzz/replay_main.cpp; fuzzing proper is
# scripts/fuzz.sh with clang and libFuzzer, a build of every library of its own that CI does
# not pay for). The sanitizer trees compile the test binaries as unity builds
# (IAS_UNITY_TESTS: six sources per translation unit, which share gtest, httplib,
# nlohmann-json and the fixtures; measured under TSan: the service, simulator and tools
# suites 314 -> 131 CPU s). Every tree keeps line tables only (-g1; the Release one at -O2 as shipped):
# sanitizer reports and backtraces still name file and line, and the compile costs about
# 15 % less CPU than with full debug information.
build release -DIAS_UNIT_TESTS=none -DIAS_PG_TESTS=OFF '-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG' \
  '-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG'
build asan -DIAS_UNIT_TESTS=all -DIAS_PG_TESTS=ON -DIAS_FUZZ_REPLAY=ON -DIAS_UNITY_TESTS=ON -DCMAKE_CXX_FLAGS_DEBUG=-g1
build tsan -DIAS_UNIT_TESTS=threaded -DIAS_PG_TESTS=OFF -DIAS_UNITY_TESTS=ON -DCMAKE_CXX_FLAGS_DEBUG=-g1

# Static analysis of every project source (cppcheck; clang-tidy 14 on all but the test-only code,
# see `--ci` in the script; any finding fails). It needs no build, is CPU-bound and long,
# and the suites below mostly wait on cards, services and browsers: it runs niced in the
# background meanwhile and is collected before the summary.
echo "== static analysis: clang-tidy, cppcheck (background, $artifacts/static-analysis.log)"
nice -n 19 scripts/static-analysis.sh --ci > "$artifacts/static-analysis.log" 2>&1 &
static_pid=$!

# The Debian packages: dpkg-buildpackage, lintian, apt-get install, client tests against the
# installed files, purge (in a throw-away overlay of this machine: the system is not changed;
# its own PC/SC world on vpcd port 35970, service port 36070, TLS test servers on free ports).
# Mostly a compile, then waits on its card: it runs in the background (before the static
# analysis in CPU priority) while the suites below, which mostly wait too, run.
echo "== package: build, lintian, install, client tests, purge (background, $artifacts/package.log)"
nice -n 10 scripts/package-test.sh > "$artifacts/package.log" 2>&1 &
package_pid=$!

# Unit and component tests (no reader, no database server), under the sanitizers. The ASan
# suite runs two at a time (each test is its own process with its own temporary files, token
# and ports; the tests that share the conformance harness's SoftHSMv2 token hold a
# RESOURCE_LOCK); the TSan one, whose timing-bound service tests are 5-15 times slower, one
# at a time, with the PostgreSQL suite (which mostly waits on its server) beside it.
run_suite unit-asan --test-dir build/asan -j2 -LE 'world|postgres|browser|clients|fuzz'

# Every fuzz target on every input of its committed corpus (regressions/ and merged/
# included), once, under ASan+UBSan (g++): ctest label fuzz, fuzz/CMakeLists.txt.
run_suite fuzz --test-dir build/asan -j2 -L '^fuzz$'

# The unblock service's storage suite on PostgreSQL 15 (private server, stopped after), in
# the background beside the TSan unit suite.
trap 'kill "${bg_pid[@]}" 2>/dev/null || true; scripts/service-world.sh stop >/dev/null 2>&1 || true' EXIT
eval "$(scripts/service-world.sh start)"
run_suite_bg postgres --test-dir build/asan -L postgres
# Under TSan without the conformance harness's run on SoftHSMv2 (a check of the harness and
# the reference token, not of our threads; the harness's thread tests run on our module in
# world-tsan below).
run_suite unit-tsan --test-dir build/tsan -LE 'world|postgres|browser|clients' -E '^conformance[.]softhsm[.]'
collect_suite postgres
scripts/service-world.sh stop >/dev/null
trap - EXIT

# The holder pages and the support console driven in headless Chromium (screenshots kept as
# artefacts: build/release/artefacts/holder-pages, .../support-console).
run_suite browser --test-dir build/release -L '^browser$'

# Tests against the real PC/SC stack with the simulated token, and the local issuer
# service (ias-unblockd with SoftHSMv2 keys) for the unblock tests.
export IAS_SIM_BIN=$root/build/release/sim/ias-card-sim
export IAS_UNBLOCKD_BIN=$root/build/release/service/ias-unblockd
# The module's public cache of the test world, emptied at each card insertion (docs/cache.md).
export IAS_PKCS11_CACHE_DIR=${IAS_WORLD_DIR:-$root/test-world}/pkcs11-cache
trap 'kill "${bg_pid[@]}" 2>/dev/null || true; scripts/unblock-world.sh stop >/dev/null 2>&1 || true; scripts/test-world.sh stop || true' EXIT
scripts/test-world.sh start
scripts/unblock-world.sh start >/dev/null
# The module-facing world tests (conformance on the simulated card, the unblock error rows,
# the threads tests, the fault matrix, the security checks) with the ASan+UBSan build of the
# module (any report fails them; LeakSanitizer is on by default). They mostly wait on the
# card and the service: they run in the background in a private world of their own (own
# pcscd, vpcd port 35980, service port 36080) beside the Release suites below.
run_suite_bg world-asan --world 35980 --test-dir build/asan -L '^world$' \
  -R 'conformance[.]ias|world[.]unblock[.]Module|world[.]threads|world[.]faults[.]|world[.]security[.]Module'
# The concurrency tests once more with the TSan build of the module (any report fails them),
# in a private world of their own too (vpcd port 35990, service port 36090).
run_suite_bg world-tsan --world 35990 --test-dir build/tsan -R 'world[.]threads[.]|conformance[.]ias[.]Threads'
run_suite world --test-dir build/release -L '^world$'
# Clients of the module (NSS, GnuTLS, OpenSSL, p11-kit, PyKCS11, OpenSSH, Java, Firefox ESR,
# Thunderbird) against the card: the table of artifacts/clients.md (docs/clients.md).
run_suite clients --test-dir build/release -L '^clients$'
# Firefox ESR itself (headless, Xvfb): Security Devices, and the reset through its dialog.
run_suite browser-world --test-dir build/release -L '^browser-world$'
collect_suite world-tsan
collect_suite world-asan
# The issuer's own token family (IDEMIA Cosmo v7: other application, file ids, key references,
# PIN padding and signing paths than the default layout): the PKCS#11 conformance suite, the
# unblock by the service with its error rows, and pkcs11-tool, on the Release module. (Every
# personality gets the matrix of world.module.personalities and opensc_personalities above.)
IAS_SIM_PERSONALITY=cosmo-v7 run_suite world-cosmo-v7 --test-dir build/release -L '^world$' \
  -R 'conformance[.]ias|world[.]unblock[.]Module|world[.]module[.]pkcs11-tool'
scripts/unblock-world.sh stop >/dev/null
scripts/test-world.sh stop
trap - EXIT

stage "package (wait)"
echo "== package: waiting for it"
if wait "$package_pid"; then
  summary+=("ok    package: $(tail -n 1 "$artifacts/package.log")")
else
  failed=1
  summary+=("FAIL  package: $(tail -n 1 "$artifacts/package.log") (see $artifacts/package.log)")
  grep -E '^FAIL' "$artifacts/package.log" || true
fi

stage "static (wait)"
echo "== static analysis: waiting for it"
static_wait_start=$SECONDS
if wait "$static_pid"; then
  summary+=("ok    static: $(tail -n 1 "$artifacts/static-analysis.log" | sed 's/^static-analysis: //'), waited $((SECONDS - static_wait_start)) s")
else
  failed=1
  summary+=("FAIL  static: $(tail -n 1 "$artifacts/static-analysis.log" | sed 's/^static-analysis: //')")
  tail -n 60 "$artifacts/static-analysis.log"
fi

# Log canary over everything the run printed or logged: no unblock secret, no answer.
stage canary
echo "== canary: secrets and answers in every output"
mapfile -t world_logs < <(find test-world -type f \( -name '*.log' -o -name 'out.*' \) 2>/dev/null)
if canary=$(scripts/canary-scan.sh "$artifacts" "${world_logs[@]}" 2>&1); then
  summary+=("ok    ${canary##*$'\n'}")
else
  failed=1
  echo "$canary"
  summary+=("FAIL  ${canary##*$'\n'}")
fi

stage end
echo
echo "== time per stage (the background static analysis is counted in its wait)"
printf '%s\n' "${timing[@]}"
printf 'total          %5d s wall %6d s CPU\n' "$SECONDS" "$(cpu_now)"
echo
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $failed
