#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 19: ias-pkcs11-register --home on homes whose Firefox profile Firefox ESR made itself
# (a headless first run with HOME set): the XDG layout ~/.config/mozilla/firefox that this
# Firefox makes for a new home, and the classic ~/.mozilla/firefox that it keeps using when the
# directory exists. After --home, Firefox (headless, Marionette) lists the module and the
# token in its Security Devices (nsIPKCS11ModuleDB, as the device manager does); after
# --remove and after --undo-recorded (the package's prerm) it lists no such module.
#
# ctest LABELS browser-world: needs the test world (scripts/test-world.sh start, or
# scripts/private-world.sh) and firefox-esr, libnss3-tools, jq. IAS_MODULE, IAS_SIM_BIN as for
# the world tests; IAS_REGISTER: the configured tools/ias-pkcs11-register. No system file is
# written (the record goes to --state in the work directory).
source "$(dirname "$0")/../world/lib.sh"
REG="${IAS_REGISTER:-$REPO/build/release/tools/ias-pkcs11-register}"
NAME="IAS-ECC (ias-pkcs11)"
started=$SECONDS
for tool in firefox-esr modutil jq python3; do
    command -v "$tool" >/dev/null || fail "$tool missing (apt-get install firefox-esr libnss3-tools jq)"
done
[[ -x "$REG" ]] || fail "no $REG (IAS_REGISTER)"
MODULE="$(realpath "$MODULE")"
for f in /etc/firefox/policies/policies.json /etc/firefox-esr/policies/policies.json /usr/share/firefox-esr/distribution/policies.json \
         /usr/lib/firefox-esr/distribution/policies.json; do
    [[ ! -f "$f" ]] || ! grep -qF "$NAME" "$f" || fail "$f registers the module already: this test would not see the profile's entry"
done
fresh_card

ff_pid=""
stop_ff() { [[ -z "$ff_pid" ]] || { kill "$ff_pid" 2>/dev/null; wait "$ff_pid" 2>/dev/null || true; ff_pid=""; }; }
trap stop_ff EXIT

# first_run HOME: Firefox ESR makes its default profile there; prints the profile directory.
first_run() {
    local home=$1 ini
    (cd "$home" && HOME=$home MOZ_CRASHREPORTER_DISABLE=1 timeout 120 firefox-esr --headless --no-remote \
        --screenshot "$home/first-run.png" about:blank) > "$home/first-run.log" 2>&1 || fail "first run of Firefox in $home: $(tail -n 5 "$home/first-run.log")"
    for ini in "$home/.config/mozilla/firefox/installs.ini" "$home/.mozilla/firefox/installs.ini"; do
        [[ -f "$ini" ]] || continue
        echo "$(dirname "$ini")/$(awk -F= '$1 == "Default" {print $2; exit}' "$ini")"
        return 0
    done
    fail "Firefox made no profile in $home: $(find "$home" -maxdepth 4 | head -n 20)"
}

# modules HOME PROFILE [WAIT]: Firefox on that profile; prints what its Security Devices list
# ("module LIBRARY | slot token" lines for our module, "none" when it is not there).
modules() {
    local home=$1 profile=$2 port out
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    printf 'user_pref("marionette.port", %d);\nuser_pref("intl.locale.requested", "en-US");\n' "$port" > "$profile/user.js"
    HOME=$home MOZ_CRASHREPORTER_DISABLE=1 firefox-esr --headless --profile "$profile" --no-remote --marionette \
        -remote-allow-system-access about:blank > "$home/firefox.log" 2>&1 &
    ff_pid=$!
    out=$(timeout 90 python3 "$REPO/tests/clients/tb_certs.py" --port "$port" --wait "${3:-30}" 2>&1) ||
        { stop_ff; fail "Marionette: $out ($(tail -n 5 "$home/firefox.log"))"; }
    stop_ff
    rm -f "$profile/user.js"
    SEEN=$out python3 - "$NAME" <<'PY'
import json, os, sys
seen = json.loads(os.environ["SEEN"])
mods = [m for m in seen["modules"] if m["name"] == sys.argv[1]]
if not mods:
    print("none")
for m in mods:
    print("module", m["library"], "|", " ".join(s["token"] for s in m["slots"] if s["token"]))
PY
}

has_entry() { grep -qxF "name=$NAME" "$1/pkcs11.txt"; }

for layout in xdg classic; do
    H="$WORK/home-$layout"
    mkdir -p "$H"
    [[ $layout == classic ]] && mkdir -p "$H/.mozilla/firefox"
    P=$(first_run "$H")
    case $layout in
        xdg) [[ "$P" == "$H/.config/mozilla/firefox/"* && ! -e "$H/.mozilla/firefox" ]] || fail "not the XDG layout: $P" ;;
        classic) [[ "$P" == "$H/.mozilla/firefox/"* && ! -e "$H/.config/mozilla/firefox" ]] || fail "not the classic layout: $P" ;;
    esac
    [[ -f "$P/cert9.db" ]] || fail "Firefox made no NSS database in $P"
    pass "$layout: Firefox ESR made its profile ${P#"$H/"}"

    out=$("$REG" --module "$MODULE" --state "$WORK/state-$layout" --home "$H" 2>&1) || fail "--home: $out"
    expect_contains "$out" "profile $P: module added" "$layout: --home registers Firefox's own profile"
    seen=$(modules "$H" "$P")
    expect_contains "$seen" "module $MODULE | IAS-ECC SIM" "$layout: Firefox's Security Devices after --home"
    pass "$layout: --home added the module; Firefox lists it with the token: $seen"

    seen=""
    out=$("$REG" --module "$MODULE" --state "$WORK/state-$layout" --home "$H" --remove 2>&1) || fail "--remove: $out"
    ! has_entry "$P" || fail "$layout: --remove left the module in $P/pkcs11.txt"
    if [[ $layout == xdg ]]; then
        seen=$(modules "$H" "$P" 3)
        [[ "$seen" == none ]] || fail "$layout: Firefox still lists the module after --remove: $seen"
    fi
    pass "$layout: --remove took it out${seen:+ (Firefox lists: $seen)}"

    "$REG" --quiet --module "$MODULE" --state "$WORK/state-$layout" --home "$H" || fail "--home again"
    has_entry "$P" || fail "$layout: not registered again"
    out=$("$REG" --undo-recorded --state "$WORK/state-$layout" 2>&1) || fail "--undo-recorded: $out"
    expect_contains "$out" "profile $P: module removed" "$layout: --undo-recorded"
    ! has_entry "$P" || fail "$layout: --undo-recorded left the module in $P/pkcs11.txt"
    if [[ $layout == xdg ]]; then
        seen=$(modules "$H" "$P" 3)
        [[ "$seen" == none ]] || fail "$layout: Firefox still lists the module after --undo-recorded: $seen"
    fi
    pass "$layout: --undo-recorded took it out"
done
pass "Firefox ESR $(firefox-esr --version 2>/dev/null | awk '{print $3}'): --home, --remove, --undo-recorded on its own XDG and classic profiles; $((SECONDS - started)) s"
