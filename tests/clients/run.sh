#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 8, clients: every client of ias-pkcs11.so the issue names, each driven against the
# simulated card of the running test world (scripts/test-world.sh start, or inside
# scripts/private-world.sh). One table row per case (client, version, result, what works,
# command), the same table as markdown in $IAS_CLIENTS_MD (default <repo>/artifacts/clients.md,
# the source of docs/clients.md). Exits non-zero if any case fails.
#
#   tests/clients/run.sh [CASE...]   every case (or these): setup, the cases, the table
#   tests/clients/run.sh --list      the cases
#   tests/clients/run.sh --setup     a new run: forgets earlier rows, makes the shared TLS material
#   tests/clients/run.sh --case CASE one case: its row is kept for the table (ctest: clients.CASE)
#   tests/clients/run.sh --table     the table of the rows of this run (exit 0 when it is written)
#
# ctest runs --setup, --case for each case and --table as fixtures (tests/clients/CMakeLists.txt),
# one test per case; a run without options does the same in one process.
#
# Environment: IAS_MODULE (default <repo>/build/release/module/ias-pkcs11.so; the packaging test
# passes the installed module), IAS_SIM_BIN, IAS_WORLD_DIR, IAS_VPCD_PORT as for the world tests;
# TLS servers (and Marionette) listen on 127.0.0.1 only, on ports free at the time (other PC/SC
# worlds on this machine may hold fixed ones), and are stopped after each case. Nothing is written
# outside the world's work directory and the markdown file; the PIN (a test value) is never
# printed: commands are shown with <PIN>.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
all_cases=(nss-list nss-tstclnt gnutls-p11tool gnutls-cli openssl-engine openssl-s_client p11-kit pykcs11
           ssh-keygen java java-tls firefox thunderbird chromium)
mode=all cases=("${all_cases[@]}")
case "${1:-}" in
    --list) printf '%s\n' "${all_cases[@]}"; exit 0 ;;
    --setup) mode=setup; cases=() ;;
    --table) mode=table; cases=() ;;
    --case) [[ $# -eq 2 ]] || { echo "usage: $0 --case CASE" >&2; exit 2; }; mode=case; cases=("$2") ;;
    -*) echo "usage: $0 [CASE...|--list|--setup|--case CASE|--table]" >&2; exit 2 ;;
    "") ;;
    *) cases=("$@") ;;
esac

# Each process has a work directory of its own (lib.sh empties it): one case's leaves the
# others' logs in place.
if [[ $mode == case ]]; then source "$HERE/../world/lib.sh" "clients-${cases[0]}"; else source "$HERE/../world/lib.sh" clients; fi
MODULE="$(realpath "$MODULE")"  # p11-kit, NSS and Java want an absolute path
[[ -f "$MODULE" ]] || fail "no module at $MODULE (IAS_MODULE)"
ROOT="$WORK"                      # $WORLD/work/run-clients[-CASE]
RUN="$WORLD/work/clients-run"     # shared by the processes of one run: rows, TLS material, start
MD="${IAS_CLIENTS_MD:-$REPO/artifacts/clients.md}"
source "$HERE/lib_tls.sh"
source "$HERE/cases.sh"
source "$HERE/cases_browser.sh"

# A case runs in a subshell with its own work directory; it calls row_version, works (once per
# checked feature) and command (once per command line shown), and fails through fail().
row_version() { printf '%s\n' "$*" > "$CASE_DIR/version"; }
works() { printf '%s\n' "$*" >> "$CASE_DIR/works"; echo "  ok: $*"; }
command_used() { printf '%s\n' "$*" >> "$CASE_DIR/commands"; }
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null | sed 's/^[0-9]*://'; }

# md_cell: lines -> one table cell (lines joined by <br>, | escaped, the module path as MODULE).
md_cell() { sed -e 's/|/\\|/g' -e "s#$MODULE#MODULE#g" | awk 'NR > 1 {printf "<br>"} {printf "%s", $0}'; }

setup() {  # a new run: no rows yet; the TLS server's CA and certificate for every TLS case
    rm -rf "$RUN" && mkdir -p "$RUN/rows"
    date +%s > "$RUN/started"
    tls_material
}

run_case() {  # CASE: runs it, keeps its row in $RUN/rows/CASE (result, seconds, markdown row)
    local c=$1 fn="case_${1//-/_}" t0 rc result version what cmds
    declare -F "$fn" >/dev/null || fail "unknown case $c (--list)"
    [[ -d "$RUN/rows" ]] || setup  # a case alone, without --setup
    CASE_DIR="$ROOT/$c"
    rm -rf "$CASE_DIR" && mkdir -p "$CASE_DIR"
    echo "== $c"
    t0=$SECONDS
    set +e
    # Whatever a case started in the background (servers, Xvfb, Firefox) ends with it.
    ( set -euo pipefail; WORK="$CASE_DIR"; TEST_NAME="clients-$c"
      trap 'for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done' EXIT
      "$fn" ) > "$CASE_DIR/log" 2>&1
    rc=$?
    set -e
    sed 's/^/  /' "$CASE_DIR/log" | tail -n 40
    if [[ $rc -eq 0 ]]; then
        result="ok"
    else
        result="FAIL"
        grep -h '^FAIL' "$CASE_DIR/log" | head -n 1 | cut -c1-300 >> "$CASE_DIR/works" || true
    fi
    version=$(cat "$CASE_DIR/version" 2>/dev/null || echo "?")
    what=$(md_cell < "$CASE_DIR/works" 2>/dev/null || true)
    cmds=$(sed -e 's/^/`/' -e 's/$/`/' "$CASE_DIR/commands" 2>/dev/null | md_cell || true)
    printf '%-5s %-18s %-40s %3d s\n' "$result" "$c" "$version" $((SECONDS - t0))
    printf '%s %d\n| %s | %s | %s | %d | %s | %s |\n' "$result" $((SECONDS - t0)) \
        "$c" "$version" "$result" $((SECONDS - t0)) "$what" "$cmds" > "$RUN/rows/$c"
    [[ $rc -eq 0 ]]
}

table() {  # the rows of this run, in the order of --list, as $MD
    local c result secs row rows=() passed=0 failed=0 started now
    [[ -d "$RUN/rows" ]] || fail "no run to tabulate (--setup, then --case CASE...)"
    for c in "${all_cases[@]}"; do
        [[ -f "$RUN/rows/$c" ]] || continue
        { read -r result secs; IFS= read -r row; } < "$RUN/rows/$c"
        rows+=("$row")
        if [[ $result == ok ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    done
    [[ ${#rows[@]} -gt 0 ]] || fail "no case ran in this run"
    started=$(cat "$RUN/started") now=$(date +%s)
    mkdir -p "$(dirname "$MD")"
    {
        echo "Written by tests/clients/run.sh on $(date -u +%Y-%m-%dT%H:%MZ), Debian $(cat /etc/debian_version);"
        echo "MODULE = \`$MODULE\`; card: ias-card-sim in the test world (user PIN shown as <PIN>)."
        echo
        echo "| Case | Client and version | Result | s | What works (checked by the test) | Commands |"
        echo "|---|---|---|---|---|---|"
        printf '%s\n' "${rows[@]}"
        echo
        echo "$passed passed, $failed failed in $((now - started)) s."
    } > "$MD"
    echo "clients: table of $((passed + failed)) cases written to $MD ($((now - started)) s)"
    TABLE_PASSED=$passed TABLE_FAILED=$failed
}

case $mode in
    setup) setup; echo "clients: new run in $RUN" ;;
    case) run_case "${cases[0]}" ;;
    table) table ;;
    all)
        for c in "${cases[@]}"; do declare -F "case_${c//-/_}" >/dev/null || fail "unknown case $c (--list)"; done
        setup
        for c in "${cases[@]}"; do run_case "$c" || true; done
        echo
        table
        echo "$TABLE_PASSED passed, $TABLE_FAILED failed"
        [[ $TABLE_FAILED -eq 0 ]]
        ;;
esac
