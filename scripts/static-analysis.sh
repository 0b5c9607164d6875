#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Static analysis of every project translation unit: clang-tidy 14 (checks in .clang-tidy,
# tests/.clang-tidy) and cppcheck 2.10 (options below, suppressions with their reasons in
# .cppcheck-suppressions). Prints the findings, one count line per tool, and exits non-zero
# on any finding, on a file that could not be analysed, or on a project source file that no
# compilation database covers.
#
#   scripts/static-analysis.sh [--only tidy|cppcheck] [--ci] [file or directory...]
#                        default: both tools, every translation unit of the whole tree
#                        (apdu protocol netclient config module sim service tools bench
#                        p11-conformance fuzz tests).
#   --ci                 what CI (scripts/test.sh) runs: cppcheck on every translation unit,
#                        clang-tidy on the code the Debian packages ship (apdu protocol
#                        netclient config module service tools), not on the test-only code
#                        (the simulator, tests, fuzz harnesses, bench, p11-conformance). That
#                        code was 57 % of clang-tidy's CPU in CI (~1,040 of ~1,800 CPU s,
#                        2026-12), most of it parsing gtest/httplib/nlohmann-json, and
#                        it runs under ASan+UBSan (and the threaded part under TSan) in CI.
#                        Whoever changes it runs `scripts/static-analysis.sh DIR` (0 findings
#                        today on the whole tree).
# A directory selects the translation units under it (e.g. `tests/service`); findings in
# the project's headers are reported from whichever selected file includes them.
#
# Compilation databases (configure only, nothing is built): build/tidy (clang-14, tests on:
# apdu protocol netclient config module sim service tools bench tests p11-conformance) and
# build/tidy-fuzz (IAS_FUZZ=ON, for fuzz/ only), merged into build/tidy/db.
# Reports: build/tidy/clang-tidy.log, build/tidy/cppcheck.log (build/tidy: $IAS_STATIC_BUILD);
# CPU seconds per file: build/tidy/tidy-out/cpu.
#
# Cost: clang-tidy is almost all of it, one process per translation unit, nproc in
# parallel. Nearly all of a file's time is the clang-analyzer-* checks and the AST matchers
# over everything the file includes; --header-filter only decides where diagnostics are
# shown, it saves no work. The analyser is off for test code (tests/.clang-tidy,
# p11-conformance/.clang-tidy, with the reasons there). Configuring the two databases takes
# a few seconds; reusing the release build's database instead would give clang-tidy g++'s
# flags and no fuzz targets. Measured (2026-11, 173 files, user+sys of the clang-tidy
# processes, build/tidy/tidy-out/cpu): whole tree ~980 CPU s (product dirs ~500, tests ~330,
# fuzz ~70, p11-conformance ~60, bench ~25); cppcheck and both configures ~10 CPU s. Again
# 2026-12 in a CI run (224 files, niced beside the test suites): 1,815 CPU s, tests 589.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${IAS_STATIC_BUILD:-$root/build/tidy}
jobs=$(nproc)

only=""
ci=0
selected=()
files=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --only) only=$2; shift 2 ;;
    --ci) ci=1; shift ;;
    -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
    -*) echo "static-analysis: unknown option $1" >&2; exit 2 ;;
    *) [[ -e "$1" ]] || { echo "static-analysis: no such file or directory: $1" >&2; exit 2; }
       selected+=("$(realpath "$1")"); shift ;;
  esac
done
case "$only" in ""|tidy|cppcheck) ;; *) echo "static-analysis: --only tidy|cppcheck" >&2; exit 2 ;; esac

for tool in clang-tidy-14 clang++-14 cppcheck; do
  command -v "$tool" >/dev/null || { echo "static-analysis: $tool missing (scripts/install-deps.sh)" >&2; exit 2; }
done

mkdir -p "$(dirname "$out")"
# Configure both trees (seconds; no build: the project has no generated sources).
CC=clang-14 CXX=clang++-14 cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=Debug -DIAS_FUZZ_REPLAY=ON \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$out.configure.log" 2>&1 \
  || { cat "$out.configure.log"; exit 2; }
CC=clang-14 CXX=clang++-14 cmake -S . -B "$out-fuzz" -DIAS_FUZZ=ON -DIAS_BUILD_TESTS=OFF \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$out-fuzz.configure.log" 2>&1 \
  || { cat "$out-fuzz.configure.log"; exit 2; }
mkdir -p "$out/db"

# One entry per project source (fuzz_fail.cpp is compiled once per fuzz target), then the
# check that every committed .c/.cpp of the project dirs is in it.
dirs=(apdu protocol netclient config module sim service tools bench p11-conformance fuzz tests)
mapfile -t all_sources < <(git ls-files -- "${dirs[@]/%//*.cpp}" "${dirs[@]/%//*.c}" | sed "s|^|$root/|")
python3 - "$root" "$out/compile_commands.json" "$out-fuzz/compile_commands.json" \
  "$out/db/compile_commands.json" "${all_sources[@]}" <<'EOF'
import json, sys
root, main, fuzz, dst, *sources = sys.argv[1:]
entries, seen = [], set()
for path, only in ((main, None), (fuzz, root + "/fuzz/")):
    for e in json.load(open(path)):
        f = e["file"]
        if not f.startswith(root + "/") or f.startswith(root + "/build/"):
            continue
        if (only and not f.startswith(only)) or f in seen:
            continue
        seen.add(f)
        entries.append(e)
json.dump(entries, open(dst, "w"), indent=1)
missing = sorted(set(sources) - seen)
if missing:
    sys.exit("static-analysis: not in any compilation database: " + " ".join(missing))
EOF
# The translation units to analyse: all, or those selected (a file, or the files under a
# directory); a selection without a translation unit is an error.
python3 - "$out/db/compile_commands.json" "${selected[@]}" >"$out/db/units" <<'EOF'
import json, sys
db, *selected = sys.argv[1:]
units = [e["file"] for e in json.load(open(db))]
def chosen(s):
    return [u for u in units if u == s or u.startswith(s + "/")]
unknown = [s for s in selected if not chosen(s)]
if unknown:
    sys.exit("static-analysis: no translation unit in the compilation database: " + " ".join(unknown))
print("\n".join(units if not selected else [u for u in units if any(u in chosen(s) for s in selected)]))
EOF
mapfile -t files <"$out/db/units"
# clang-tidy's share of them: all, or with --ci all but the test-only code.
tidy_files=()
for f in "${files[@]}"; do
  case "${f#"$root"/}" in
    sim/*|tests/*|fuzz/*|bench/*|p11-conformance/*) [[ "$ci" -eq 1 ]] || tidy_files+=("$f") ;;
    *) tidy_files+=("$f") ;;
  esac
done

tidy_count=0
cppcheck_count=0
failed=0
start=$SECONDS

if [[ "$only" != cppcheck && ${#tidy_files[@]} -gt 0 ]]; then
  t0=$SECONDS
  rm -rf "$out/tidy-out" && mkdir -p "$out/tidy-out"
  # One clang-tidy per file, nproc in parallel; each writes its own report. The header filter
  # is narrowed to this checkout's project dirs (never /usr/include, never build/).
  filter="^$(printf '%s' "$root" | sed 's/[][\.*^$+?(){}|]/\\&/g')/(apdu|protocol|netclient|config|module|sim|service|tools|bench|p11-conformance|fuzz|tests)/"
  # CPU seconds per file go to tidy-out/cpu ("user sys file").
  printf '%s\n' "${tidy_files[@]}" | xargs -P"$jobs" -I{} bash -c '
    f=$1; log=$2/tidy-out/$(printf %s "$f" | tr / _).log; TIMEFORMAT="%U %S $f"
    { time clang-tidy-14 -p "$2/db" --quiet --header-filter="$3" "$f" >"$log" 2>&1 \
        || echo "$f" >>"$2/tidy-out/failed"; } 2>>"$2/tidy-out/cpu"' _ {} "$out" "$filter"
  tidy_cpu=$(awk '{s += $1 + $2} END {printf "%d", s}' "$out/tidy-out/cpu")
  # A diagnostic in a header is reported once per including file: count distinct ones.
  cat "$out"/tidy-out/*.log | grep -E '^[^ ].*:[0-9]+:[0-9]+: (warning|error): ' \
    | sed "s|^$root/||" | sort -u >"$out/clang-tidy.log" || true
  tidy_count=$(wc -l <"$out/clang-tidy.log")
  if [[ "$tidy_count" -ne 0 ]]; then
    cat "$out/clang-tidy.log"
  elif [[ -s "$out/tidy-out/failed" ]]; then
    # clang-tidy failed without a diagnostic line (crash, bad command): show its output.
    while read -r f; do cat "$out/tidy-out/$(printf %s "$f" | tr / _).log"; done <"$out/tidy-out/failed"
    tidy_count=$(wc -l <"$out/tidy-out/failed")
  fi
  echo "static-analysis: clang-tidy: $tidy_count findings in ${#tidy_files[@]} files ($((SECONDS - t0)) s, $tidy_cpu CPU s; slowest: $(sort -rn "$out/tidy-out/cpu" | head -n 3 | awk '{printf "%s %d s; ", $3, $1 + $2}' | sed "s|$root/||g; s/; $//"))"
  [[ "$tidy_count" -eq 0 ]] || failed=1
fi

if [[ "$only" != tidy ]]; then
  t0=$SECONDS
  filters=()
  for f in "${files[@]}"; do filters+=("--file-filter=$f"); done
  # --project gives each file its own include paths and defines; --file-filter limits the
  # run to the selected files (all by default). Library configs for the APIs we call, so that their
  # functions are known (resource leaks, unchecked returns).
  set +e
  cppcheck --project="$out/db/compile_commands.json" "${filters[@]}" \
    --std=c++20 --enable=warning,style,performance,portability --inline-suppr \
    --library=posix,gnu,openssl,libcurl,sqlite3,googletest \
    --suppressions-list=.cppcheck-suppressions --suppress=missingIncludeSystem \
    --error-exitcode=1 --quiet -j"$jobs" \
    --template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
    2>"$out/cppcheck.raw" >/dev/null
  rc=$?
  set -e
  sed "s|^$root/||" "$out/cppcheck.raw" | grep -E ':[0-9]+:[0-9]+: ' | sort -u >"$out/cppcheck.log" || true
  cppcheck_count=$(wc -l <"$out/cppcheck.log")
  [[ "$cppcheck_count" -eq 0 ]] || cat "$out/cppcheck.log"
  if [[ "$rc" -ne 0 && "$cppcheck_count" -eq 0 ]]; then
    cat "$out/cppcheck.raw"; cppcheck_count=1
  fi
  echo "static-analysis: cppcheck: $cppcheck_count findings in ${#files[@]} files ($((SECONDS - t0)) s)"
  [[ "$cppcheck_count" -eq 0 ]] || failed=1
fi

echo "static-analysis: clang-tidy $tidy_count findings (${#tidy_files[@]} files), cppcheck $cppcheck_count findings (${#files[@]} files), $((SECONDS - start)) s"
exit $failed
