#!/usr/bin/env bash
# Issue 8, clients: every client of ias-pkcs11.so the issue names, each driven against the
# simulated card of the running test world (scripts/test-world.sh start, or inside
# scripts/private-world.sh). One table row per case (client, version, result, what works,
# command), the same table as markdown in $IAS_CLIENTS_MD (default <repo>/artifacts/clients.md,
# the source of docs/clients.md). Exits non-zero if any case fails.
#
#   tests/clients/run.sh [CASE...]        (default: every case; --list prints the cases)
#
# Environment: IAS_MODULE (default <repo>/build/release/module/ias-pkcs11.so; the packaging test
# passes the installed module), IAS_SIM_BIN, IAS_WORLD_DIR, IAS_VPCD_PORT as for the world tests;
# TLS servers (and Marionette) listen on 127.0.0.1 only, on ports free at the time (other PC/SC
# worlds on this machine may hold fixed ones), and are stopped after each case. Nothing is written
# outside the world's work directory and the markdown file; the PIN (a test value) is never
# printed: commands are shown with <PIN>.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cases=(nss-list nss-tstclnt gnutls-p11tool gnutls-cli openssl-engine openssl-s_client p11-kit pykcs11
       ssh-keygen java java-tls firefox thunderbird)
if [[ "${1:-}" == --list ]]; then printf '%s\n' "${cases[@]}"; exit 0; fi
[[ $# -gt 0 ]] && cases=("$@")

source "$HERE/../world/lib.sh" clients
MODULE="$(realpath "$MODULE")"  # p11-kit, NSS and Java want an absolute path
[[ -f "$MODULE" ]] || fail "no module at $MODULE (IAS_MODULE)"
ROOT="$WORK"                      # $WORLD/work/run-clients
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
rows=()
passed=0 failed=0
started=$SECONDS
for c in "${cases[@]}"; do
    fn="case_${c//-/_}"
    declare -F "$fn" >/dev/null || fail "unknown case $c (--list)"
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
        result="ok"; passed=$((passed + 1))
    else
        result="FAIL"; failed=$((failed + 1))
        grep -h '^FAIL' "$CASE_DIR/log" | head -n 1 | cut -c1-300 >> "$CASE_DIR/works" || true
    fi
    version=$(cat "$CASE_DIR/version" 2>/dev/null || echo "?")
    what=$(md_cell < "$CASE_DIR/works" 2>/dev/null || true)
    cmds=$(sed -e 's/^/`/' -e 's/$/`/' "$CASE_DIR/commands" 2>/dev/null | md_cell || true)
    printf '%-5s %-18s %-40s %3d s\n' "$result" "$c" "$version" $((SECONDS - t0))
    rows+=("| $c | $version | $result | $((SECONDS - t0)) | $what | $cmds |")
done

mkdir -p "$(dirname "$MD")"
{
    echo "Written by tests/clients/run.sh on $(date -u +%Y-%m-%dT%H:%MZ), Debian $(cat /etc/debian_version);"
    echo "MODULE = \`$MODULE\`; card: ias-card-sim in the test world (user PIN shown as <PIN>)."
    echo
    echo "| Case | Client and version | Result | s | What works (checked by the test) | Commands |"
    echo "|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "$passed passed, $failed failed in $((SECONDS - started)) s."
} > "$MD"
echo
echo "clients: table written to $MD ($((SECONDS - started)) s)"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
