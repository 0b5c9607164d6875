#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Tests of ias-pkcs11-register on temporary directories only (--root for the policy files,
# fresh NSS databases for the profiles): adding, idempotence, other policies kept, the
# distribution policies seeding a new file, removal, malformed input changing nothing, the
# record of what it added and --undo-recorded (the package's prerm) undoing exactly that.
# Usage: register_test.sh REGISTER_SCRIPT
set -euo pipefail
REG=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
chmod 0755 "$T"  # the profiles of section 7 belong to nobody, who runs modutil there
# A real PKCS#11 module for modutil to load (SoftHSMv2 on a private token directory).
MOD=/usr/lib/softhsm/libsofthsm2.so
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\n' "$T/tokens" > "$T/softhsm2.conf"
export SOFTHSM2_CONF=$T/softhsm2.conf
NAME="IAS-ECC (ias-pkcs11)"
passed=0 failed=0
fail() { echo "FAIL: $*" >&2; failed=$((failed + 1)); }
ok() { echo "ok: $*"; passed=$((passed + 1)); }
reg() { "$REG" --quiet --module "$MOD" "$@"; }
sum() { sha256sum "$@" 2>/dev/null | awk '{print $1}' | tr '\n' ' '; }
jqv() { jq -c "$1" "$2"; }

# 1. Both applications, system-wide, on an empty root; a second run changes no byte.
R=$T/r1
reg --root "$R"
FF=$R/etc/firefox/policies/policies.json TB=$R/etc/thunderbird/policies/policies.json
if [[ "$(jqv '.policies.SecurityDevices.Add' "$FF")" == "{\"$NAME\":\"$MOD\"}" &&
      "$(jqv '.policies.SecurityDevices.Add' "$TB")" == "{\"$NAME\":\"$MOD\"}" ]]; then
    ok "adds SecurityDevices.Add to Firefox and Thunderbird policies"
else fail "policies after add: $(cat "$FF" "$TB")"; fi
before=$(sum "$FF" "$TB"); mt=$(stat -c %Y.%i "$FF" "$TB")
reg --root "$R"
[[ "$(sum "$FF" "$TB")" == "$before" && "$(stat -c %Y.%i "$FF" "$TB")" == "$mt" ]] &&
    ok "second add leaves both files untouched" || fail "second add rewrote a file"
"$REG" --status --root "$R" --module "$MOD" >/dev/null && ok "--status: registered" || fail "--status after add"

# 2. Other policies and another device (pre-114 form) are kept; the old form becomes Add.
R=$T/r2; FF=$R/etc/firefox/policies/policies.json
mkdir -p "$(dirname "$FF")"
printf '{"policies":{"DisableTelemetry":true,"SecurityDevices":{"Other":"/opt/other.so"}}}\n' > "$FF"
reg --root "$R" --firefox
if [[ "$(jqv '.policies.DisableTelemetry' "$FF")" == true &&
      "$(jqv '.policies.SecurityDevices' "$FF")" == "{\"Add\":{\"Other\":\"/opt/other.so\",\"$NAME\":\"$MOD\"}}" ]]; then
    ok "keeps other policies and devices (old SecurityDevices form moved into Add)"
else fail "merge: $(cat "$FF")"; fi
[[ ! -e $R/etc/thunderbird ]] && ok "--firefox alone leaves Thunderbird alone" || fail "--firefox touched Thunderbird"

# 3. Removal: out of Add, named in Delete (profiles drop it); idempotent; --forget: no trace.
reg --root "$R" --firefox --remove
if [[ "$(jqv '.policies.SecurityDevices' "$FF")" == "{\"Add\":{\"Other\":\"/opt/other.so\"},\"Delete\":[\"$NAME\"]}" &&
      "$(jqv '.policies.DisableTelemetry' "$FF")" == true ]]; then
    ok "--remove moves the module from Add to Delete, keeps the rest"
else fail "remove: $(cat "$FF")"; fi
before=$(sum "$FF"); reg --root "$R" --firefox --remove
[[ "$(sum "$FF")" == "$before" ]] && ok "second --remove changes nothing" || fail "second --remove rewrote the file"
if "$REG" --status --root "$R" --firefox --module "$MOD" >/dev/null; then fail "--status after remove says registered"
else ok "--status: not registered after remove (exit 1)"; fi
reg --root "$R" --firefox
[[ "$(jqv '.policies.SecurityDevices.Delete' "$FF")" == null ]] && ok "adding again drops the Delete entry" ||
    fail "re-add: $(cat "$FF")"
reg --root "$R" --firefox --remove --forget
[[ "$(jqv '.policies' "$FF")" == '{"DisableTelemetry":true,"SecurityDevices":{"Add":{"Other":"/opt/other.so"}}}' ]] &&
    ok "--remove --forget leaves no trace of the module" || fail "forget: $(cat "$FF")"

# 4. A new /etc file starts from the distribution policies (else they would stop applying).
R=$T/r4
mkdir -p "$R/usr/lib/thunderbird/distribution"
printf '{"policies":{"DisableAppUpdate":true}}\n' > "$R/usr/lib/thunderbird/distribution/policies.json"
reg --root "$R" --thunderbird
TB=$R/etc/thunderbird/policies/policies.json
[[ "$(jqv '.policies.DisableAppUpdate' "$TB")" == true && "$(jqv '.policies.SecurityDevices.Add|length' "$TB")" == 1 ]] &&
    ok "a new policy file keeps the distribution's policies" || fail "seed: $(cat "$TB" 2>&1)"

# 5. Bad input changes nothing: malformed JSON (in either file), wrong types, missing module.
R=$T/r5; FF=$R/etc/firefox/policies/policies.json TB=$R/etc/thunderbird/policies/policies.json
mkdir -p "$(dirname "$FF")" "$(dirname "$TB")"
printf '{"policies":{"DisableTelemetry":true}}\n' > "$FF"
printf '{"policies": {"SecurityDevices": \n' > "$TB"
before=$(sum "$FF" "$TB")
if out=$("$REG" --root "$R" --module "$MOD" 2>&1); then fail "malformed JSON accepted"
elif [[ "$(sum "$FF" "$TB")" != "$before" ]]; then fail "malformed JSON: a file changed"
else ok "malformed policies.json: error, no file changed ($out)"; fi
printf '{"policies":{"SecurityDevices":["x"]}}\n' > "$TB"; before=$(sum "$FF" "$TB")
if out=$("$REG" --root "$R" --module "$MOD" --thunderbird 2>&1) || [[ "$(sum "$FF" "$TB")" != "$before" ]]; then
    fail "SecurityDevices of the wrong type accepted or file changed"
else ok "SecurityDevices of the wrong type: error, nothing changed ($out)"; fi
if out=$("$REG" --root "$T/r6" --module /nonexistent/ias-pkcs11.so 2>&1) || [[ -e $T/r6 ]]; then
    fail "missing module accepted"
else ok "missing module: error, nothing created ($out)"; fi
if out=$("$REG" --root "$T/r6" --frobnicate 2>&1); then fail "unknown option accepted"
else ok "unknown option refused"; fi

# 6. Profiles (NSS databases, modutil): add, idempotent, remove; --home finds the profiles.
H=$T/home
P1=$H/.mozilla/firefox/abcd.default-esr P2=$H/.thunderbird/efgh.default
mkdir -p "$P1" "$P2"
certutil -N -d "sql:$P1" --empty-password && certutil -N -d "sql:$P2" --empty-password
reg --state "$T/s6" --profile "$P1"
modutil -dbdir "sql:$P1" -list 2>&1 | grep -qF "$NAME" && ok "--profile adds the module to the NSS database" ||
    fail "profile add: $(modutil -dbdir "sql:$P1" -list 2>&1)"
before=$(sum "$P1/pkcs11.txt"); reg --state "$T/s6" --profile "$P1"
[[ "$(sum "$P1/pkcs11.txt")" == "$before" ]] && ok "second --profile add changes nothing" || fail "profile add twice"
reg --state "$T/s6" --home "$H"
"$REG" --status --home "$H" --module "$MOD" >/dev/null && ok "--home registers every Firefox and Thunderbird profile" ||
    fail "--home: $("$REG" --status --home "$H" --module "$MOD" 2>&1)"
reg --state "$T/s6" --home "$H" --remove
if modutil -dbdir "sql:$P1" -list 2>&1 | grep -qF "$NAME" || modutil -dbdir "sql:$P2" -list 2>&1 | grep -qF "$NAME"; then
    fail "--remove left the module in a profile"
else ok "--remove takes the module out of the profiles"; fi
if out=$("$REG" --profile "$T/nothing-here" --module "$MOD" 2>&1); then fail "non-profile accepted"
else ok "a directory without NSS database is refused"; fi

# 7. The record and --undo-recorded: only what the tool added is undone; an admin's entry of
#    the same name that the tool replaced is put back; files and directories it created go
#    when nothing else is in them (--remove --forget); root-owned tools keep profiles the user's.
R=$T/r7 H=$T/home7; FF=$R/etc/firefox/policies/policies.json TB=$R/etc/thunderbird/policies/policies.json
REC=$R/var/lib/ias-pkcs11/registrations
mkdir -p "$(dirname "$FF")" "$(dirname "$TB")"
printf '{"policies":{"DisableTelemetry":true,"SecurityDevices":{"Add":{"Other":"/opt/other.so"}}}}\n' > "$FF"
printf '{"policies":{"SecurityDevices":{"Add":{"%s":"/opt/old/ias-pkcs11.so"}}}}\n' "$NAME" > "$TB"
cp "$FF" "$T/ff7.orig"; cp "$TB" "$T/tb7.orig"
P3=$H/.mozilla/firefox/p3.default-esr P4=$H/.thunderbird/p4.default
mkdir -p "$P3" "$P4"
certutil -N -d "sql:$P3" --empty-password && certutil -N -d "sql:$P4" --empty-password
modutil -dbdir "sql:$P4" -add "$NAME" -libfile "$MOD" -force >/dev/null 2>&1  # the admin's own
chown -R nobody:nogroup "$H"
reg --root "$R" --home "$H" --firefox --thunderbird
recorded=$(cut -f1,2,4,5 "$REC" | sort | tr '\t\n' ' /')
if [[ "$recorded" == "policy $FF add 0/policy $TB add 0/profile $P3 $MOD $H/profile $H/.pki/nssdb $MOD $H/" &&
      "$(stat -c %U "$REC")" == "$(id -un)" && "$(stat -c %a "$REC")" == 600 ]]; then
    ok "records the two policy entries and the profiles it added (not the admin's profile; Chromium's new ~/.pki/nssdb), mode 0600"
else fail "record: $recorded ($(stat -c '%U %a' "$REC"))"; fi
[[ "$(stat -c %U "$P3/pkcs11.txt")" == nobody && "$(stat -c %U:%a "$H/.pki" "$H/.pki/nssdb/pkcs11.txt" | tr '\n' ' ')" == "nobody:700 nobody:600 " ]] &&
    ok "a profile changed by root stays its owner's (pkcs11.txt); the ~/.pki/nssdb it created is the user's" ||
    fail "pkcs11.txt of $P3 is now $(stat -c %U "$P3/pkcs11.txt")'s; .pki: $(stat -c %U:%a "$H/.pki" "$H/.pki/nssdb/pkcs11.txt")"
"$REG" --undo-recorded --quiet --root "$R"
if [[ "$(jqv .policies "$FF")" == "{\"DisableTelemetry\":true,\"SecurityDevices\":{\"Add\":{\"Other\":\"/opt/other.so\"},\"Delete\":[\"$NAME\"]}}" &&
      "$(jq -S -c . "$TB")" == "$(jq -S -c . "$T/tb7.orig")" ]]; then
    ok "--undo-recorded: our entry moves to Delete, the admin's replaced entry is back"
else fail "undo policies: $(cat "$FF" "$TB")"; fi
if modutil -dbdir "sql:$P3" -list 2>&1 | grep -qF "$NAME"; then fail "--undo-recorded left the module in $P3"
elif ! modutil -dbdir "sql:$P4" -list 2>&1 | grep -qF "$NAME"; then fail "--undo-recorded removed the admin's module from $P4"
else ok "--undo-recorded: out of the profile it was added to, the admin's own profile entry kept"; fi
[[ "$(cut -f1,2,4 "$REC" | tr '\t\n' ' /')" == "policy $FF delete/" ]] &&
    ok "record after undo: only our Delete entry (for the purge)" || fail "record after undo: $(cat "$REC")"
before=$(sum "$FF" "$TB" "$REC"); "$REG" --undo-recorded --quiet --root "$R"
[[ "$(sum "$FF" "$TB" "$REC")" == "$before" ]] && ok "second --undo-recorded changes nothing" || fail "second undo changed a file"
R8=$T/r8; REC8=$R8/var/lib/ias-pkcs11/registrations
reg --root "$R8"
reg --root "$R8" --firefox  # nothing to do: stays recorded once
"$REG" --undo-recorded --quiet --root "$R8"
reg --root "$R8" --remove --forget
if [[ ! -e $R8/etc && ! -e $R8/var/lib/ias-pkcs11 ]]; then
    ok "--remove --forget after the undo: the files and directories it created are gone, no record left"
else fail "left in $R8: $(find "$R8" | tr '\n' ' ')"; fi
reg --root "$R8" --firefox
printf '{"policies":{"SecurityDevices":{"Add":{"%s":"/srv/admin.so"}}}}\n' "$NAME" > "$R8/etc/firefox/policies/policies.json"
"$REG" --undo-recorded --quiet --root "$R8"
[[ "$(jqv '.policies.SecurityDevices.Add' "$R8/etc/firefox/policies/policies.json")" == "{\"$NAME\":\"/srv/admin.so\"}" &&
   ! -e $REC8 ]] && ok "--undo-recorded leaves an entry changed since by someone else alone" ||
    fail "undo of a changed entry: $(cat "$R8/etc/firefox/policies/policies.json")"
if out=$("$REG" --undo-recorded --firefox --root "$R8" 2>&1); then fail "--undo-recorded with a target accepted"
else ok "--undo-recorded refuses targets ($out)"; fi
R9=$T/r9; mkdir -p "$R9/var/lib"; cp "$REG" "$T/reg9"; chown -R nobody:nogroup "$R9"; chmod 0555 "$R9/var/lib"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$T/reg9" --module "$MOD" --root "$R9" --firefox 2>&1) || true
[[ "$out" == *"not recorded"* ]] && ok "a run that cannot record says so" || fail "no note when not recorded: $out"

# 8. Where the profiles are: Firefox's XDG ~/.config/mozilla/firefox (profiles.ini, relative
#    Path), the classic ~/.mozilla/firefox (no profiles.ini), an absolute Path= inside the
#    home, the Flatpak location, Thunderbird; Chromium's ~/.pki/nssdb created when missing;
#    a listed profile that never started (no cert9.db) is skipped.
H=$T/home8
X=$H/.config/mozilla/firefox C=$H/.mozilla/firefox FP=$H/.var/app/org.mozilla.firefox/.mozilla/firefox
mkdir -p "$X/ab12.default-esr" "$X/never.started" "$C/old.default" "$H/custom/work" "$FP/fl.default" "$H/.thunderbird/tb.default"
printf '[Profile1]\nName=work\nIsRelative=0\nPath=%s\n\n[Profile0]\nName=default-esr\nIsRelative=1\nPath=ab12.default-esr\nDefault=1\n\n[Profile2]\nName=x\nIsRelative=1\nPath=never.started\n\n[General]\nVersion=2\n' \
    "$H/custom/work" > "$X/profiles.ini"
for p in "$X/ab12.default-esr" "$C/old.default" "$H/custom/work" "$FP/fl.default" "$H/.thunderbird/tb.default"; do
    certutil -N -d "sql:$p" --empty-password
done
chown -R nobody:nogroup "$H"
out=$(reg --state "$T/s8" --home "$H" 2>&1) || fail "--home (locations): $out"
status=$("$REG" --status --home "$H" --module "$MOD" 2>&1) || fail "--status (locations): $status"
expected="profile $C/old.default: registered
profile $X/ab12.default-esr: registered
profile $X/never.started: registered
profile $H/custom/work: registered
profile $FP/fl.default: registered
profile $H/.thunderbird/tb.default: registered
profile $H/.pki/nssdb: registered"
expected=$(grep -v never.started <<<"$expected")
[[ "$(sort <<<"$status")" == "$(sort <<<"$expected")" ]] &&
    ok "--home: XDG (profiles.ini, relative and absolute Path), classic, Flatpak, Thunderbird profiles and a new ~/.pki/nssdb" ||
    fail "--home locations: $status"
[[ ! -e "$X/never.started/cert9.db" && "$(stat -c %U "$H/.pki/nssdb/cert9.db")" == nobody ]] &&
    ok "a listed profile that never started is left alone; ~/.pki/nssdb made as the user" || fail "never.started or nssdb: $(ls -la "$X/never.started" "$H/.pki/nssdb")"
reg --state "$T/s8" --home "$H" --remove
if out=$("$REG" --status --home "$H" --module "$MOD" 2>&1) || grep -q ': registered' <<<"$out"; then
    fail "--remove --home (locations): $out"
else ok "--remove --home takes the module out of every one of them"; fi

# 9. Root and a user's symbolic links: ~/.thunderbird -> /, ~/.pki -> a root directory, a
#    ~/.thunderbird -> a root directory holding a profile (in a second home), a
#    profile directory that is a symbolic link to root's profile, profiles.ini paths leading
#    outside the home, a pkcs11.txt that is a symbolic link to a root file. A modutil/certutil
#    stand-in first in PATH records its uid: never 0 for the user's home; root's files keep
#    every byte; the user's real profile gets the module (as the user); the run says what it
#    refused and exits 1. Then, after the registration, the user swaps the recorded profile for
#    a symbolic link to root's profile: --undo-recorded (the package's prerm) refuses it.
if [[ $EUID -eq 0 ]]; then
    H=$T/home9 RP=$T/rootprof RF=$T/rootfile UIDS=$T/uids.log
    mkdir -p "$T/bin" "$RP/a" "$RP/b" "$RP/c" "$T/rootpki/nssdb" "$H/.mozilla/firefox/good.default" "$H/.config/mozilla/firefox/x.default"
    for t in modutil certutil; do
        printf '#!/bin/bash\necho "$(id -u) %s $*" >> %q\nexec /usr/bin/%s "$@"\n' "$t" "$UIDS" "$t" > "$T/bin/$t"
        chmod 0755 "$T/bin/$t"
    done
    : > "$UIDS"; chmod 0666 "$UIDS"
    for p in "$RP/a" "$RP/b" "$RP/c" "$T/rootpki/nssdb" "$H/.mozilla/firefox/good.default" "$H/.config/mozilla/firefox/x.default"; do
        certutil -N -d "sql:$p" --empty-password
    done
    modutil -dbdir "sql:$RP/c" -add "$NAME" -libfile "$MOD" -force >/dev/null 2>&1  # root's own, with our module
    echo "root's file" > "$RF"; chmod 0600 "$RF"
    rm -f "$H/.config/mozilla/firefox/x.default/pkcs11.txt"
    ln -s "$RF" "$H/.config/mozilla/firefox/x.default/pkcs11.txt"
    ln -s "$RP/a" "$H/.mozilla/firefox/evil.default"
    ln -s / "$H/.thunderbird"
    mkdir -p "$T/roottb/r.default" "$T/home9b" && certutil -N -d "sql:$T/roottb/r.default" --empty-password
    ln -s "$T/roottb" "$T/home9b/.thunderbird"; chown -R -h nobody:nogroup "$T/home9b"
    ln -s "$T/rootpki" "$H/.pki"
    printf '[Profile0]\nIsRelative=1\nPath=good.default\n[Profile1]\nIsRelative=1\nPath=evil.default\n[Profile2]\nIsRelative=0\nPath=%s\n[Profile3]\nIsRelative=1\nPath=../../../rootprof/b\n' \
        "$RP/b" > "$H/.mozilla/firefox/profiles.ini"
    chown -R -h nobody:nogroup "$H"
    chmod -R go-rwx "$RP" "$T/rootpki" "$T/roottb"
    before=$(find "$RP" "$RF" "$T/rootpki" "$T/roottb" -type f -exec sha256sum {} + | sort)
    if out=$(PATH=$T/bin:$PATH "$REG" --module "$MOD" --state "$T/s9" --home "$T/home9b" 2>&1) ||
       out+=$(PATH=$T/bin:$PATH "$REG" --module "$MOD" --state "$T/s9" --home "$H" 2>&1); then
        fail "a home with planted symbolic links: exit 0 ($out)"
    else
        miss=""
        for m in "$H/.thunderbird: refused: a symbolic link" "$T/home9b/.thunderbird: refused: a symbolic link" "$H/.pki: refused: a symbolic link" \
                 "evil.default: refused: a symbolic link" "$RP/b: refused: outside the home" \
                 "x.default/pkcs11.txt: refused: a symbolic link" "rootprof/b: refused: outside the home"; do
            grep -qF -- "$m" <<<"$out" || miss+=" [$m]"
        done
        [[ -z "$miss" ]] && ok "symbolic links planted in the home: each refused with its reason, exit 1" ||
            fail "refusals missing:$miss in: $out"
    fi
    uids=$(cut -d' ' -f1 "$UIDS" | sort -u | tr '\n' ' ')
    [[ "$uids" == "$(id -u nobody) " ]] && ok "modutil ran only as the home's owner (uids: $uids)" ||
        fail "modutil/certutil ran as uid(s) $uids: $(cat "$UIDS")"
    [[ "$(find "$RP" "$RF" "$T/rootpki" "$T/roottb" -type f -exec sha256sum {} + | sort)" == "$before" ]] &&
        ok "root's profiles and files keep every byte" || fail "a root-owned file changed"
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- modutil -dbdir "sql:$H/.mozilla/firefox/good.default" -list 2>&1 |
        grep -qF "$NAME" && ok "the user's real profile got the module, as the user" || fail "good.default has no module"
    # The undo: good.default is now a symbolic link to root's profile that has the module.
    mv "$H/.mozilla/firefox/good.default" "$H/.mozilla/firefox/good.moved"
    ln -s "$RP/c" "$H/.mozilla/firefox/good.default"; chown -h nobody:nogroup "$H/.mozilla/firefox/good.default"
    : > "$UIDS"
    before=$(find "$RP" "$RF" "$T/rootpki" -type f -exec sha256sum {} + | sort)
    if out=$(PATH=$T/bin:$PATH "$REG" --undo-recorded --state "$T/s9" 2>&1); then
        fail "--undo-recorded through a swapped profile: exit 0 ($out)"
    elif [[ "$(find "$RP" "$RF" "$T/rootpki" -type f -exec sha256sum {} + | sort)" != "$before" ]] || grep -q '^0 ' "$UIDS"; then
        fail "--undo-recorded touched root's profile: $(cat "$UIDS")"
    elif ! grep -qF "good.default: refused: a symbolic link" <<<"$out" || ! grep -qF "good.default" "$T/s9/registrations"; then
        fail "--undo-recorded: no refusal or record dropped: $out"
    else ok "--undo-recorded refuses a recorded profile swapped for a symbolic link (root's profile untouched, still recorded)"; fi
else
    echo "skip: section 9 needs root (creates files of the user nobody)"
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
