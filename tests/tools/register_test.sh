#!/bin/bash
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
if [[ "$recorded" == "policy $FF add 0/policy $TB add 0/profile $P3 $MOD/" &&
      "$(stat -c %U "$REC")" == "$(id -un)" && "$(stat -c %a "$REC")" == 600 ]]; then
    ok "records the two policy entries and the one profile it added (not the admin's profile), mode 0600"
else fail "record: $recorded ($(stat -c '%U %a' "$REC"))"; fi
[[ "$(stat -c %U "$P3/pkcs11.txt")" == nobody ]] && ok "a profile changed by root stays its owner's (pkcs11.txt)" ||
    fail "pkcs11.txt of $P3 is now $(stat -c %U "$P3/pkcs11.txt")'s"
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

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
