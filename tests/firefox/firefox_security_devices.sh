#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 10: Firefox ESR itself resets a locked token from Settings -> Privacy & Security ->
# Security Devices -> Change Password, with the one-time unblock secret as "Current password".
#
# Firefox runs under its own Xvfb with a fresh profile; ias-pkcs11.so is registered by enterprise
# policy (SecurityDevices) through a policies.json that is bind-mounted over Firefox's
# distribution directory in a private mount namespace (no system file is written). The dialogs
# are driven by tests/firefox/ff_drive.py (Marionette + xdotool) and photographed into
# $IAS_FIREFOX_ARTEFACTS (default <repo>/build/artefacts/firefox). Afterwards pkcs11-tool
# checks that the token is unlocked and signs with the new PIN.
#
# ctest LABELS browser-world. Needs (root) the test world and the unblock world started
# (scripts/test-world.sh, scripts/unblock-world.sh; or scripts/private-world.sh) and the Debian 12
# packages firefox-esr xvfb xdotool imagemagick. IAS_MODULE, IAS_SIM_BIN as for the world tests.
source "$(dirname "$0")/../world/lib.sh"
FIXTURE="$REPO/tests/world/unblock_fixture.sh"
ARTEFACTS="${IAS_FIREFOX_ARTEFACTS:-$REPO/build/artefacts/firefox}"
MPORT="${IAS_FIREFOX_MARIONETTE_PORT:-$(( ${IAS_VPCD_PORT:-35963} + 210 ))}"
SERIAL=0010000000123456
NEW_PIN=2580
started=$SECONDS

for tool in firefox-esr Xvfb xdotool import pkcs11-tool python3; do
    command -v "$tool" >/dev/null || fail "$tool missing (apt-get install firefox-esr xvfb xdotool imagemagick opensc)"
done
[[ $(id -u) -eq 0 ]] || fail "needs root (unshare/mount for the private policies.json)"
mkdir -p "$ARTEFACTS"
rm -f "$ARTEFACTS"/*.png

# A fresh card, a secret issued through the holder API, the module configured for the service.
"$FIXTURE" card "$SERIAL" >/dev/null || fail "no card (is scripts/test-world.sh started?)"
secret=$("$FIXTURE" secret "$SERIAL") || true
[[ ${#secret} -eq 22 ]] || fail "no secret issued (is scripts/unblock-world.sh started?)"
{ printf 'reader_filter = Virtual PCD 00 00\n'; "$FIXTURE" module-conf; } > "$IAS_PKCS11_CONF"

# The holder mistyped the PIN three times: the token is locked.
for _ in 1 2 3; do p11 --login --pin 0000 --list-objects >/dev/null || true; done
out=$(p11 --login --pin "$PIN" --list-objects) && fail "the token did not lock: $out"
expect_contains "$out" "CKR_PIN_LOCKED" "locked token"
expect_contains "$(p11 --list-token-slots)" "user PIN locked" "token info says locked"

# Firefox: private display, fresh profile, policy-registered module.
ff_dir="$WORK/firefox"
mkdir -p "$ff_dir/profile" "$ff_dir/distribution" "$ff_dir/home"
cp -a /usr/share/firefox-esr/distribution/. "$ff_dir/distribution/" 2>/dev/null || true
python3 - "$MODULE" > "$ff_dir/distribution/policies.json" <<'EOF'
import json, sys
print(json.dumps({"policies": {"SecurityDevices": {"Add": {"IAS-ECC (ias-pkcs11)": sys.argv[1]}},
                               "DisableAppUpdate": True, "DontCheckDefaultBrowser": True,
                               "OverrideFirstRunPage": "", "NoDefaultBookmarks": True}}, indent=1))
EOF
cat > "$ff_dir/profile/user.js" <<EOF
user_pref("marionette.port", $MPORT);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("browser.aboutwelcome.enabled", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("startup.homepage_welcome_url", "about:blank");
user_pref("browser.startup.page", 0);
user_pref("intl.locale.requested", "en-US");
EOF

xvfb_pid="" ff_pid=""
cleanup() {
    [[ -n "$ff_pid" ]] && kill "$ff_pid" 2>/dev/null
    [[ -n "$xvfb_pid" ]] && kill "$xvfb_pid" 2>/dev/null
    wait 2>/dev/null || true
}
trap cleanup EXIT
exec 5> "$ff_dir/display"
Xvfb -displayfd 5 -screen 0 1280x900x24 -nolisten tcp > "$ff_dir/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 100); do [[ -s "$ff_dir/display" ]] && break; sleep 0.1; done
[[ -s "$ff_dir/display" ]] || fail "Xvfb did not start: $(cat "$ff_dir/xvfb.log")"
export DISPLAY=":$(head -n1 "$ff_dir/display")"
# The policy file exists only inside Firefox's own mount namespace.
unshare --mount --propagation private bash -c '
    mount --bind "$1" /usr/share/firefox-esr/distribution || exit 97
    shift
    exec "$@"
' _ "$ff_dir/distribution" env HOME="$ff_dir/home" MOZ_CRASHREPORTER_DISABLE=1 IAS_PKCS11_LOG="debug:$ff_dir/module.log" \
    firefox-esr --profile "$ff_dir/profile" --no-remote --marionette -remote-allow-system-access --new-instance about:blank \
    > "$ff_dir/firefox.log" 2>&1 &
ff_pid=$!
[[ ! -e /usr/share/firefox-esr/distribution/policies.json ]] || fail "a system policies.json exists (outside this test)"

python3 "$REPO/tests/firefox/ff_drive.py" --port "$MPORT" --out "$ARTEFACTS" --token "Virtual PCD 00 00" \
    --secret "$secret" --new-pin "$NEW_PIN" 2>&1 | sed "s/$secret/<secret>/g" | tee "$ff_dir/drive.log"
rc=${PIPESTATUS[0]}
[[ $rc -eq 0 ]] || fail "the Change Password dialog did not reset the token (ff_drive rc $rc; $ff_dir/drive.log, $ff_dir/firefox.log)"
cleanup
ff_pid="" xvfb_pid=""

# The token is unlocked, the new PIN logs in and signs.
slots=$(p11 --list-token-slots)
expect_not_contains "$slots" "locked" "token unlocked after the Firefox reset"
echo "Firefox security devices test" > "$WORK/data"
p11 --login --pin "$NEW_PIN" --sign --id 45 -m SHA256-RSA-PKCS -i "$WORK/data" -o "$WORK/sig" >/dev/null \
    || fail "signing with the new PIN: $(p11 --login --pin "$NEW_PIN" --sign --id 45 -m SHA256-RSA-PKCS -i "$WORK/data" -o "$WORK/sig")"
openssl dgst -sha256 -verify "$(public_key 45)" -signature "$WORK/sig" "$WORK/data" >/dev/null \
    || fail "signature made with the new PIN does not verify"
ls -l "$ARTEFACTS"/*.png
pass "Firefox ESR $(firefox-esr --version 2>/dev/null | awk '{print $3}') reset the locked token (secret as Current password); pkcs11-tool signs with the new PIN; $((SECONDS - started)) s"
