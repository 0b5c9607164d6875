#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 18: the module in a set-user-ID root program run by an unprivileged user
# (AT_SECURE) ignores IAS_PKCS11_CONF and IAS_PKCS11_LOG: no file is created at the user's
# paths and the system config (/etc/ias-pkcs11/ias-pkcs11.conf, bind-mounted over in a
# private mount namespace) is the one used. Control runs without the set-user-ID bit show
# that the same environment is honoured there (so the test can fail), and that a log file
# in a directory others can write to, or behind a symbolic link, is refused.
# Needs root (setuid install, unshare, mount, setpriv); LABELS world (release build).
#   module_setuid.sh LOADER
source "$(dirname "$0")/lib.sh" setuid
LOADER=${1:?usage: module_setuid.sh LOADER}
[[ $(id -u) == 0 ]] || fail "needs root"
NOBODY=65534

# Somewhere not mounted nosuid and reachable by nobody.
dir=$(mktemp -d /var/tmp/ias-setuid.XXXXXX)
created_etc=""
cleanup() {
    rm -rf "$dir"
    [[ -z $created_etc ]] || rmdir /etc/ias-pkcs11 2>/dev/null || true
}
trap cleanup EXIT
if findmnt -n -o OPTIONS -T "$dir" | tr , '\n' | grep -qx nosuid; then fail "$dir is on a nosuid file system"; fi
chmod 755 "$dir"
install -o root -g root -m 4755 "$LOADER" "$dir/loader"
install -o root -g root -m 0644 "$MODULE" "$dir/ias-pkcs11.so"
mkdir -m 755 "$dir/etc"
printf 'log_level = info\nreader_filter = Virtual PCD 00 00\n' > "$dir/etc/ias-pkcs11.conf"
mkdir -m 700 "$dir/user" && chown "$NOBODY:$NOBODY" "$dir/user"
printf 'log_level = debug\nlog_file = %s\nservice_url = https://attacker.example\n' "$dir/user/from-conf.log" \
    > "$dir/user/user.conf"
chown "$NOBODY:$NOBODY" "$dir/user/user.conf"
if [[ ! -d /etc/ias-pkcs11 ]]; then mkdir -m 755 /etc/ias-pkcs11 && created_etc=yes; fi

# run_as_nobody LOG-SPEC: the loader as uid/gid nobody, with the user's environment.
run_as_nobody() {
    unshare --mount --propagation private bash -c '
        mount --bind "$1/etc" /etc/ias-pkcs11
        exec setpriv --reuid="$3" --regid="$3" --clear-groups \
            env IAS_PKCS11_CONF="$1/user/user.conf" IAS_PKCS11_LOG="$2" SSLKEYLOGFILE="$1/user/keylog" \
            "$1/loader" "$1/ias-pkcs11.so"' _ "$dir" "$1" "$NOBODY" 2>"$dir/stderr" >"$dir/stdout" || true
    cat "$dir/stdout" "$dir/stderr"
}

# 1. Set-user-ID root: the environment is ignored.
out=$(run_as_nobody "debug:$dir/user/from-env.log")
expect_contains "$out" "loader: C_Initialize=0 C_GetInfo=0 C_Finalize=0" "setuid loader"
left=$(ls -A "$dir/user")
[[ $left == user.conf ]] || fail "setuid run created files at the user's paths: $(tr '\n' ' ' <<<"$left")"
expect_contains "$out" "initialized (log level info)" "system config used"
expect_not_contains "$out" "attacker.example" "user's config"
expect_contains "$out" "AT_SECURE" "privileged process noted"
pass "set-user-ID root: IAS_PKCS11_CONF / IAS_PKCS11_LOG ignored, system config used, no file created"

# 2. Control: the same program without the set-user-ID bit honours the user's environment.
chmod 0755 "$dir/loader"
out=$(run_as_nobody "debug:$dir/user/from-env.log")
expect_contains "$out" "loader: C_Initialize=0" "plain loader"
[[ -s $dir/user/from-env.log ]] || fail "control run: IAS_PKCS11_LOG not honoured without set-user-ID: $out"
grep -qF "initialized (log level debug)" "$dir/user/from-env.log" || fail "control run: user's log level not used"
pass "without set-user-ID the user's variables are used (the check above can fail)"
# The user's config names a service without service_pin_sha256: one warning per process,
# though the loader initialises the module twice.
n=$(grep -c "service_pin_sha256 not set: the unblock service https://attacker.example is trusted on any public CA" \
    "$dir/user/from-env.log" || true)
[[ $n == 1 ]] || fail "expected one no-pin warning per process, got $n: $(cat "$dir/user/from-env.log")"
rm -f "$dir/user/from-env.log"
pass "no service_pin_sha256: warned once per process"

# 3. A log file in a directory others can write to (sticky or not), or a symbolic link: refused.
mkdir -m 1777 "$dir/shared"
out=$(run_as_nobody "debug:$dir/shared/x.log")
[[ ! -e $dir/shared/x.log ]] || fail "log file created in a world-writable directory"
expect_contains "$out" "refused (directory writable by group or others)" "world-writable directory"
ln -s "$dir/user/target" "$dir/user/link.log"
out=$(run_as_nobody "debug:$dir/user/link.log")
[[ ! -e $dir/user/target ]] || fail "log written through a symbolic link"
expect_contains "$out" "refused" "symbolic link"
pass "log file refused in a world-writable directory and through a symbolic link"
