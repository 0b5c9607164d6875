# SPDX-License-Identifier: Apache-2.0
# Browser and mail client cases of tests/clients/run.sh: Firefox ESR (TLS client authentication
# under Xvfb, driven by Marionette + xdotool) and Thunderbird (module loaded, certificates).
# Both register the module by enterprise policy (SecurityDevices) through a policies.json that
# is bind-mounted over the application's policy directories (distribution/ and /etc/APP/policies)
# in a private mount namespace (root, as tests/firefox/firefox_security_devices.sh): no system
# file is written, and a system-wide policy (the package's) does not hide the test's.

# start_xvfb: a private X display in DISPLAY (stopped by stop_gui).
start_xvfb() {
    exec 5> "$WORK/display"
    Xvfb -displayfd 5 -screen 0 1280x900x24 -nolisten tcp > "$WORK/xvfb.log" 2>&1 &
    XVFB_PID=$!
    for _ in $(seq 100); do [[ -s "$WORK/display" ]] && break; sleep 0.1; done
    [[ -s "$WORK/display" ]] || fail "Xvfb did not start: $(cat "$WORK/xvfb.log")"
    export DISPLAY=":$(head -n1 "$WORK/display")"
}

stop_gui() {
    local pid
    for pid in ${APP_PID:-} ${XVFB_PID:-}; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    APP_PID="" XVFB_PID=""
}

# policy_dir APP_DIST_DIR OUT_DIR: a copy of the application's distribution directory with a
# policies.json that adds our module as "IAS-ECC (ias-pkcs11)".
policy_dir() {
    mkdir -p "$2"
    cp -a "$1/." "$2/" 2>/dev/null || true
    python3 - "$MODULE" > "$2/policies.json" <<'EOF'
import json, sys
print(json.dumps({"policies": {"SecurityDevices": {"Add": {"IAS-ECC (ias-pkcs11)": sys.argv[1]}},
                               "DisableAppUpdate": True, "DontCheckDefaultBrowser": True,
                               "OverrideFirstRunPage": "", "NoDefaultBookmarks": True}}, indent=1))
EOF
}

# with_mounts OURS TARGET [OURS TARGET...] -- CMD...: CMD in a private mount namespace where each
# directory OURS is mounted over TARGET.
with_mounts() {
    local pairs=()
    while [[ $1 != -- ]]; do pairs+=("$1" "$2"); shift 2; done
    shift
    unshare --mount --propagation private bash -c '
        while [[ $1 != -- ]]; do mount --bind "$1" "$2" || exit 97; shift 2; done
        shift; exec "$@"' _ "${pairs[@]}" -- "$@"
}

# etc_policy APP OUT: a copy of /etc/APP (the applications' SysConfD, where a system-wide
# policies/policies.json would win over the distribution directory) with our policies.json.
etc_policy() {
    mkdir -p "$2"
    cp -a "/etc/$1/." "$2/"
    policy_dir /nonexistent "$2/policies"
}

# browser_pages OUT WHAT PORT12 LOG12 PID12 PORT13 LOG13 PID13: the pages a browser driver
# printed ("PAGE URL" ... "END PAGE") for the TLS 1.2 and 1.3 servers, each checked (tls_check).
browser_pages() {
    local out=$1 what=$2 v port page checked
    for v in 1.2 1.3; do
        if [[ $v == 1.2 ]]; then port=$3 SERVER_LOG=$4 SERVER_PID=$5; else port=$6 SERVER_LOG=$7 SERVER_PID=$8; fi
        page=$(awk -v u="PAGE https://localhost:$port/" '$0 == u {p=1; next} /^END PAGE$/ {p=0} p' <<<"$out")
        [[ -n "$page" ]] || fail "no page for TLS $v: $out"
        checked=$(tls_check "$page" "$v") || fail "TLS $v: not the handshake expected (see above)"
        works "$what, $checked"
    done
}

case_firefox() {
    local tool
    for tool in firefox-esr Xvfb xdotool import; do
        command -v "$tool" >/dev/null || fail "$tool missing (apt-get install firefox-esr xvfb xdotool imagemagick)"
    done
    [[ $(id -u) -eq 0 ]] || fail "needs root (unshare/mount for the private policies.json)"
    fresh_card
    row_version "Firefox ESR $(firefox-esr --version 2>/dev/null | awk '{print $3}')"
    tls_setup
    local profile="$WORK/profile" mport out
    mport=$(free_port)
    SHOTS="$(dirname "$MD")/clients-firefox"  # screenshots beside the table
    rm -rf "$SHOTS"
    mkdir -p "$profile" "$WORK/home"
    certutil -N -d "sql:$profile" --empty-password
    certutil -A -d "sql:$profile" -n "clients test server CA" -t "C,," -i "$TLS/ca.crt"
    policy_dir /usr/share/firefox-esr/distribution "$WORK/distribution"
    etc_policy firefox-esr "$WORK/etc"
    cat > "$profile/user.js" <<EOF
user_pref("marionette.port", $mport);
user_pref("security.default_personal_cert", "Select Automatically");
user_pref("security.osclientcerts.autoload", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("browser.aboutwelcome.enabled", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("startup.homepage_welcome_url", "about:blank");
user_pref("browser.startup.page", 0);
user_pref("intl.locale.requested", "en-US");
user_pref("network.dns.disableIPv6", true);
EOF
    tls_server 1.2 7 5; local port12=$SERVER_PORT log12=$SERVER_LOG pid12=$SERVER_PID
    tls_server 1.3 8 5; local port13=$SERVER_PORT log13=$SERVER_LOG pid13=$SERVER_PID
    start_xvfb
    with_mounts "$WORK/distribution" /usr/share/firefox-esr/distribution "$WORK/etc" /etc/firefox-esr -- \
        env HOME="$WORK/home" MOZ_CRASHREPORTER_DISABLE=1 \
        firefox-esr --profile "$profile" --no-remote --marionette -remote-allow-system-access --new-instance about:blank \
        > "$WORK/firefox.log" 2>&1 &
    APP_PID=$!
    out=$(IAS_TEST_PIN=$PIN timeout 150 python3 "$HERE/ff_tls.py" --port "$mport" --out "$WORK" \
        --url "https://localhost:$port12/" --url "https://localhost:$port13/" 2>&1) \
        || fail "Firefox TLS client authentication: $out"
    stop_gui
    echo "$out" | grep '^ff_drive:'
    expect_contains "$out" "Firefox asks for the token password" "Firefox asked for the token's PIN"
    mkdir -p "$SHOTS" && cp "$WORK"/*.png "$SHOTS/"
    works "policy SecurityDevices loads the module; NSS password prompt for the token answered by xdotool (PIN)"
    browser_pages "$out" "Select Automatically" "$port12" "$log12" "$pid12" "$port13" "$log13" "$pid13"
    command_used "policies.json SecurityDevices {\"IAS-ECC (ias-pkcs11)\": \"$MODULE\"}; user.js security.default_personal_cert=\"Select Automatically\""
    command_used "firefox-esr --profile PROFILE --marionette (Xvfb) -> https://localhost:PORT/ (s_server -www -Verify 1, TLS 1.2 and 1.3); PIN typed by xdotool (tests/clients/ff_tls.py)"
}

case_thunderbird() {
    command -v thunderbird >/dev/null || fail "thunderbird missing (apt-get install thunderbird)"
    [[ $(id -u) -eq 0 ]] || fail "needs root (unshare/mount for the private policies.json)"
    fresh_card
    row_version "Thunderbird $(thunderbird --version 2>/dev/null | awk '{print $3}')"
    local profile="$WORK/profile" mport out
    mport=$(free_port)
    mkdir -p "$profile" "$WORK/home"
    # Thunderbird reads its policies from /etc/thunderbird/policies (SysConfD): a private copy
    # of /etc/thunderbird with our policies.json is mounted over it for Thunderbird only.
    etc_policy thunderbird "$WORK/etc"
    printf 'user_pref("marionette.port", %d);\nuser_pref("intl.locale.requested", "en-US");\n' "$mport" > "$profile/user.js"
    with_mounts "$WORK/etc" /etc/thunderbird -- env HOME="$WORK/home" MOZ_CRASHREPORTER_DISABLE=1 \
        thunderbird --headless --profile "$profile" --no-remote --marionette -remote-allow-system-access \
        > "$WORK/thunderbird.log" 2>&1 &
    APP_PID=$!
    out=$(timeout 90 python3 "$HERE/tb_certs.py" --port "$mport" 2>&1) || fail "Thunderbird: $out"
    stop_gui
    echo "$out" > "$WORK/seen.json"
    local id fps=""
    for id in 45 46; do
        p11 --read-object --type cert --id "$id" -o "$WORK/cert-$id.der" >/dev/null || fail "read certificate $id"
        fps+="$(openssl x509 -inform DER -in "$WORK/cert-$id.der" -noout -fingerprint -sha256 | cut -d= -f2) "
    done
    python3 - "$WORK/seen.json" "$MODULE" "$fps" <<'PY' || fail "Thunderbird does not show the module or the certificates: $out"
import json, sys
seen = json.load(open(sys.argv[1]))
mods = [m for m in seen["modules"] if m["name"] == "IAS-ECC (ias-pkcs11)"]
assert mods and mods[0]["library"] == sys.argv[2], "module not loaded from the policy"
assert any(s["token"] == "IAS-ECC SIM" for s in mods[0]["slots"]), "token not in the module's slots"
names = sorted(c["nickname"] for c in seen["certs"])
assert sorted(c["sha256"] for c in seen["certs"]) == sorted(sys.argv[3].split()), f"not the token's 2 certificates: {names}"
print("module slots:", [(s["slot"], s["token"], s["status"]) for s in mods[0]["slots"]])
for c in seen["certs"]:
    print("certificate:", c["nickname"], "|", c["subject"])
PY
    works "policy SecurityDevices loads the module (Security Devices: token IAS-ECC SIM)"
    works "the token's 2 certificates (same SHA-256 fingerprints as read by pkcs11-tool) in Thunderbird's certificate database, without a PIN"
    command_used "/etc/thunderbird/policies/policies.json (private mount) SecurityDevices {\"IAS-ECC (ias-pkcs11)\": \"$MODULE\"}"
    command_used "thunderbird --headless --marionette; nsIPKCS11ModuleDB.listModules(), nsIX509CertDB.getCerts() (tests/clients/tb_certs.py)"
}

# Chromium reads PKCS#11 modules from the user's NSS database ~/.pki/nssdb (Linux): the module is
# registered there by ias-pkcs11-register --home (which makes the database), the certificate
# is chosen by the AutoSelectCertificateForUrls policy of a private copy of /etc/chromium
# (policies/managed, mounted for Chromium only), the PIN is typed by xdotool into Chromium's
# "Unlock Security Device" dialog under Xvfb (tests/clients/chromium_tls.py; headless Chromium has no dialog).
case_chromium() {
    local tool
    for tool in chromium chromedriver Xvfb xdotool import; do
        command -v "$tool" >/dev/null || fail "$tool missing (apt-get install chromium chromium-driver xvfb xdotool imagemagick)"
    done
    [[ $(id -u) -eq 0 ]] || fail "needs root (unshare/mount for the private policy)"
    # IAS_REGISTER (ctest: the tree's), else the installed one (the package test), else the tree's.
    local reg="${IAS_REGISTER:-$(command -v ias-pkcs11-register || echo "$REPO/build/release/tools/ias-pkcs11-register")}"
    local home="$WORK/home" out
    [[ -x "$reg" ]] || fail "no ias-pkcs11-register at $reg (IAS_REGISTER)"
    fresh_card
    row_version "Chromium $(chromium --version 2>/dev/null | awk '{print $2}')"
    tls_setup
    mkdir -p "$home"
    "$reg" --quiet --module "$MODULE" --state "$WORK/state" --home "$home" || fail "ias-pkcs11-register --home"
    certutil -A -d "sql:$home/.pki/nssdb" -n "clients test server CA" -t "C,," -i "$TLS/ca.crt"
    works "ias-pkcs11-register --home made ~/.pki/nssdb and added the module"
    tls_server 1.2 c12 5; local port12=$SERVER_PORT log12=$SERVER_LOG pid12=$SERVER_PID
    tls_server 1.3 c13 5; local port13=$SERVER_PORT log13=$SERVER_LOG pid13=$SERVER_PID
    mkdir -p "$WORK/etc"; cp -a /etc/chromium/. "$WORK/etc/"; mkdir -p "$WORK/etc/policies/managed"
    printf '{"AutoSelectCertificateForUrls": ["{\\"pattern\\":\\"https://localhost:%d\\",\\"filter\\":{}}", "{\\"pattern\\":\\"https://localhost:%d\\",\\"filter\\":{}}"]}\n' \
        "$port12" "$port13" > "$WORK/etc/policies/managed/ias-pkcs11-test.json"
    start_xvfb
    out=$(with_mounts "$WORK/etc" /etc/chromium -- env HOME="$home" IAS_TEST_PIN="$PIN" \
        timeout 150 /usr/bin/python3 "$HERE/chromium_tls.py" --user-data-dir "$WORK/profile" --out "$WORK" \
        --url "https://localhost:$port12/" --url "https://localhost:$port13/" 2>&1) || fail "Chromium TLS client authentication: $out"
    stop_gui
    echo "$out" | grep '^chromium:'
    browser_pages "$out" "AutoSelectCertificateForUrls, PIN typed in Chromium's dialog" "$port12" "$log12" "$pid12" "$port13" "$log13" "$pid13"
    command_used "ias-pkcs11-register --home HOME (~/.pki/nssdb); /etc/chromium/policies/managed (private mount) AutoSelectCertificateForUrls"
    command_used "HOME=HOME chromium --user-data-dir DIR (Xvfb, chromedriver) -> https://localhost:PORT/ (s_server -www -Verify 1, TLS 1.2 and 1.3); PIN typed by xdotool (tests/clients/chromium_tls.py)"
}
