#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian packages end to end: builds ias-pkcs11 and ias-unblockd with dpkg-buildpackage
# (from a copy of the tree, so the work tree stays clean), checks them with lintian, installs
# them with apt-get, checks the installed files, runs the client tests against the
# installed module (and the installed ias-unblockd for the unblock), purges them and checks
# that nothing is left.
#
#   scripts/package-test.sh [--port N] [--keep DIR] [--debs DIR]
#
# Install, tests and purge run in a throw-away copy-on-write view of this machine (an
# overlay over /, in private mount and PID namespaces, chrooted): apt-get and dpkg work as
# usual there, while the real system, its package database and the other PC/SC worlds are
# never touched, and whatever the run does (even a failed purge) vanishes with it. The
# overlay's upper layer is exactly what the packages changed: after the purge it must hold
# no trace of them. Needs root.
#
# Environment: IAS_SIM_BIN (the card simulator, test-only, not packaged; default
# build/release/sim/ias-card-sim). --port: the vpcd port of the private world (default
# 35970; the service gets port+100). --keep DIR: keep the .deb files and logs in DIR.
# --debs DIR: test the packages of an earlier --keep instead of building them.
# Ends with "N passed, N failed"; exit status 0 only when every check passed.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
SELF="$REPO/scripts/package-test.sh"

phase=main port=35970 keep="" debs="" T=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --port) port=$2; shift 2 ;;
        --keep) keep=$2; shift 2 ;;
        --debs) debs=$2; shift 2 ;;
        --in-namespace) phase=ns; T=$2; shift 2 ;;
        --in-root) phase=root; T=$2; shift 2 ;;
        *) echo "usage: $0 [--port N] [--keep DIR]" >&2; exit 2 ;;
    esac
done

passed=0 failed=0
ok() { echo "ok    $*"; passed=$((passed + 1)); }
fail() { echo "FAIL  $*"; failed=$((failed + 1)); }
check() {  # check DESCRIPTION COMMAND... : ok when the command succeeds (output kept on failure)
    local what=$1 out; shift
    if out=$("$@" 2>&1); then ok "$what"; else fail "$what"; printf '%s\n' "$out" | tail -n 20 | sed 's/^/      /'; fi
}
counts() { echo "$passed $failed" > "$T/counts.$phase"; }

MODULE_DIR=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)/pkcs11
MODULE=$MODULE_DIR/ias-pkcs11.so

# admin_setup PORT: the SETUP section of ias-unblockd(8), then serve for a moment.
admin_setup() {
    local port=$1 as=(runuser -u _ias-unblockd -- env SOFTHSM2_CONF=/etc/ias-unblockd/softhsm2.conf)
    local conf=/etc/ias-unblockd/ias-unblockd.conf pid code i
    cd /etc/ias-unblockd
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost -days 2 \
        -keyout tls.key -out tls.crt 2>/dev/null
    head -c 16 /dev/urandom | xxd -p > hsm.pin
    head -c 16 /dev/urandom | xxd -p > so.pin
    chgrp _ias-unblockd tls.key hsm.pin so.pin
    chmod 0640 tls.key hsm.pin so.pin
    "${as[@]}" ias-unblockd hsm-init --config ias-unblockd.conf --so-pin-file so.pin
    "${as[@]}" ias-unblockd serve --config "$conf" --set port="$port" &
    pid=$!
    code=000
    for ((i = 0; i < 100; i++)); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert tls.crt "https://localhost:$port/v1/holder/case" || true)
        [[ "$code" == 000 ]] || break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "GET /v1/holder/case: HTTP $code"
    kill "$pid" 2>/dev/null; wait "$pid" || true
    [[ "$code" =~ ^[1-5][0-9][0-9]$ ]] || return 1
    "${as[@]}" ias-unblockd admin --config "$conf" list-cases
    [[ "$(stat -c %U /var/lib/ias-unblockd/ias-unblockd.db)" == _ias-unblockd ]]
}

# The registration scenario of ias-pkcs11-register(1), "removing the package".
REG_NAME="IAS-ECC (ias-pkcs11)" REG_FF=/etc/firefox/policies/policies.json REG_HOME=/home/pkgtest-nobody
reg_has() { grep -qxF "name=$REG_NAME" "$1/pkcs11.txt"; }  # PROFILE: our module in its pkcs11.txt
reg_setup() {
    local as=(setpriv --reuid=nobody --regid=nogroup --clear-groups --) p
    mkdir -p "$(dirname "$REG_FF")"
    printf '{"policies":{"DisableTelemetry":true,"SecurityDevices":{"Add":{"Other":"/opt/other.so"}}}}\n' > "$REG_FF"
    cp "$REG_FF" "$T/ff-policies.orig"
    find /etc/thunderbird 2>/dev/null | sort > "$T/tb-before.txt"
    mkdir -p "$REG_HOME/.mozilla/firefox/a.default-esr" "$REG_HOME/.thunderbird/b.default"
    chown -R nobody:nogroup "$REG_HOME"
    for p in "$REG_HOME"/.mozilla/firefox/a.default-esr "$REG_HOME"/.thunderbird/b.default; do
        "${as[@]}" certutil -N -d "sql:$p" --empty-password
    done
    "${as[@]}" modutil -dbdir "sql:$REG_HOME/.thunderbird/b.default" -add "$REG_NAME" -libfile "$MODULE" -force >/dev/null 2>&1
    if out=$(ias-pkcs11-register --quiet 2>&1 && ias-pkcs11-register --quiet --home "$REG_HOME" 2>&1) &&
       ias-pkcs11-register --status --home "$REG_HOME" >/dev/null &&
       [[ "$(jq -c '.policies.SecurityDevices.Add' "$REG_FF")" == "{\"Other\":\"/opt/other.so\",\"$REG_NAME\":\"$MODULE\"}" ]]; then
        ok "ias-pkcs11-register: system policies of both applications and the profiles of a home"
    else
        fail "ias-pkcs11-register: $out $(cat "$REG_FF")"
    fi
    out=$(cut -f1,2 /var/lib/ias-pkcs11/registrations 2>&1 | grep -v '^dir' | sort | tr '\t\n' ' /')
    [[ "$out" == "policy $REG_FF/policy /etc/thunderbird/policies/policies.json/profile $REG_HOME/.mozilla/firefox/a.default-esr/profile $REG_HOME/.pki/nssdb/" &&
       "$(stat -c %U "$REG_HOME/.pki/nssdb/pkcs11.txt")" == nobody ]] &&
        ok "registrations recorded in /var/lib/ias-pkcs11 (not the admin's own profile entry; Chromium's ~/.pki/nssdb made as the user)" || fail "record: $out"
}
reg_check_removed() {  # after apt-get remove ias-pkcs11 (prerm: --undo-recorded)
    local a=$REG_HOME/.mozilla/firefox/a.default-esr b=$REG_HOME/.thunderbird/b.default
    [[ "$(jq -c '.policies.SecurityDevices' "$REG_FF")" == "{\"Add\":{\"Other\":\"/opt/other.so\"},\"Delete\":[\"$REG_NAME\"]}" &&
       "$(jq -c '.policies.DisableTelemetry' "$REG_FF")" == true ]] &&
        ok "remove: the module left Firefox's policy Add (named in Delete for the profiles), the rest kept" ||
        fail "remove: $REG_FF: $(cat "$REG_FF")"
    if reg_has "$a" || reg_has "$REG_HOME/.pki/nssdb"; then fail "remove: the module is still in a registered profile"
    elif ! reg_has "$b"; then fail "remove: the admin's own profile entry was removed"
    elif [[ "$(stat -c %U "$a/pkcs11.txt")" != nobody ]]; then fail "remove: $a/pkcs11.txt is no longer the user's"
    else ok "remove: out of the profile it was added to (still the user's), the admin's own entry kept"; fi
}
reg_check_purged() {  # after the purge: as before the registration
    [[ "$(jq -S -c . "$REG_FF")" == "$(jq -S -c . "$T/ff-policies.orig")" ]] &&
        ok "purge: Firefox's policies.json is the admin's again (no Add, no Delete entry of ours)" ||
        fail "purge: $REG_FF: $(cat "$REG_FF")"
    find /etc/thunderbird 2>/dev/null | sort > "$T/tb-after.txt"
    cmp -s "$T/tb-before.txt" "$T/tb-after.txt" && ok "purge: the Thunderbird policy file and directory it created are gone" ||
        fail "purge: /etc/thunderbird changed: $(diff "$T/tb-before.txt" "$T/tb-after.txt" | tr '\n' ' ')"
    [[ ! -e /var/lib/ias-pkcs11 ]] && ok "purge: no /var/lib/ias-pkcs11" || fail "purge: /var/lib/ias-pkcs11 left"
    reg_has "$REG_HOME/.thunderbird/b.default" && ok "purge: the admin's own profile entry kept" ||
        fail "purge: the admin's own profile entry is gone"
    rm -rf "$REG_HOME" /etc/firefox  # the test's own files
}

# ---------------------------------------------------------------------------------------------
# Phase "root": inside the chroot (overlay of /): install, check, client tests, purge.
if [[ $phase == root ]]; then
    export DEBIAN_FRONTEND=noninteractive
    cd "$T"
    # shellcheck source=/dev/null
    source "$T/env"
    out=$(apt-get install -y "$T"/ias-pkcs11_*.deb "$T"/ias-unblockd_*.deb 2>&1) &&
        ok "apt-get install ./ias-pkcs11_*.deb ./ias-unblockd_*.deb" ||
        { fail "apt-get install"; echo "$out" | tail -n 20; counts; exit 1; }
    dpkg -L ias-pkcs11 ias-unblockd | sort -u > "$T/files.txt"

    syms=$(nm -D --defined-only "$MODULE" | awk '{print $3}')
    others=$(grep -v '^C_' <<<"$syms" || true)
    [[ -z "$others" && $(grep -c '^C_' <<<"$syms") -ge 68 ]] &&
        ok "module exports only C_* ($(grep -c '^C_' <<<"$syms") symbols)" || fail "module exports: ${others:-too few C_*}"
    dyn=$(objdump -p "$MODULE")
    if grep -q SONAME <<<"$dyn"; then fail "module has a SONAME"; else ok "module: no SONAME (plugin)"; fi
    out=$(p11-kit list-modules 2>&1 || true)
    grep -q '^ias-pkcs11: ias-pkcs11.so' <<<"$out" && ok "p11-kit list-modules shows ias-pkcs11" ||
        fail "p11-kit list-modules: $(grep -v '^ ' <<<"$out" | tr '\n' ' ')"
    conffiles=$(dpkg-query -W -f='${Conffiles}\n' ias-pkcs11 ias-unblockd)
    for f in /etc/ias-pkcs11/ias-pkcs11.conf /etc/ias-unblockd/ias-unblockd.conf /etc/ias-unblockd/softhsm2.conf; do
        grep -qF " $f " <<<"$conffiles" && ok "conffile $f" || fail "not a conffile: $f"
    done
    check "systemd-analyze verify ias-unblockd.service" systemd-analyze verify /lib/systemd/system/ias-unblockd.service
    # The unit's hardening: exposure level at most 1.1 (the threshold is in tenths); see the
    # unit's comment and ias-unblockd(8) for what is left and why.
    if out=$(systemd-analyze security --offline=yes --threshold=11 --no-pager /lib/systemd/system/ias-unblockd.service 2>&1); then
        ok "systemd-analyze security --offline=yes --threshold=11: $(grep -o 'exposure level.*' <<<"$out" | tail -n 1)"
    else
        fail "systemd-analyze security over the threshold 1.1: $(grep -E '✗|exposure level' <<<"$out" | tr -s ' ' | tr '\n' ';')"
    fi
    state=$(systemctl is-enabled ias-unblockd.service 2>&1 || true)
    [[ "$state" == disabled ]] && ok "ias-unblockd.service installed disabled" || fail "ias-unblockd.service: $state"
    getent passwd _ias-unblockd >/dev/null && [[ "$(stat -c %U "/var/lib/ias-unblockd")" == _ias-unblockd ]] &&
        ok "system user _ias-unblockd owns /var/lib/ias-unblockd" || fail "service user or state directory"
    check "ias-unblock --help" ias-unblock --help
    check "ias-unblockd --help" ias-unblockd --help
    check "ias-pkcs11-register --help" ias-pkcs11-register --help
    check "man pages installed" man -w ias-unblock ias-pkcs11-register ias-pkcs11.conf ias-unblockd ias-unblockd.conf

    # Client tests against the installed module, in a PC/SC world of this namespace.
    export IAS_MODULE=$MODULE
    "$REPO/scripts/test-world.sh" start >/dev/null 2>&1 || { fail "test world start"; counts; exit 1; }
    conf=$T/world-ias-pkcs11.conf
    printf 'reader_filter = Virtual PCD 00 00\n' > "$conf"
    out=$(IAS_PKCS11_CONF=$conf pkcs11-tool --module "$MODULE" -L 2>&1) && grep -q 'token label *: IAS-ECC SIM' <<<"$out" &&
        ok "pkcs11-tool -L (installed module)" || fail "pkcs11-tool -L: $out"
    out=$(IAS_PKCS11_CONF=$conf pkcs11-tool --module "$MODULE" -O 2>&1) && grep -q 'Certificate Object' <<<"$out" &&
        ok "pkcs11-tool -O (installed module)" || fail "pkcs11-tool -O: $out"
    out=$(IAS_PKCS11_CONF=$conf p11tool --list-tokens 2>&1) && grep -q 'IAS-ECC SIM' <<<"$out" &&
        ok "p11tool --list-tokens finds the token through the p11-kit registration" || fail "p11tool --list-tokens: $out"
    for c in list sign decrypt; do
        check "tests/world/module_pkcs11_tool.sh $c (installed module)" bash "$REPO/tests/world/module_pkcs11_tool.sh" "$c"
    done
    # The unblock: the installed ias-unblockd (SoftHSMv2 keys) and the installed module.
    export IAS_UNBLOCKD_BIN=/usr/sbin/ias-unblockd
    if "$REPO/scripts/unblock-world.sh" start >/dev/null 2>"$T/unblock-world.log"; then
        ok "installed ias-unblockd serves (scripts/unblock-world.sh)"
        check "tests/world/module_clients.sh p11tool-initialize-pin (installed module + service)" \
            bash "$REPO/tests/world/module_clients.sh" p11tool-initialize-pin
    else
        fail "installed ias-unblockd did not start: $(tail -n 5 "$T/unblock-world.log")"
    fi
    # Every client case (its nss-list and gnutls-p11tool cases check all that
    # tests/world/module_clients.sh nss and p11tool do, and more).
    check "tests/clients/run.sh (installed module)" bash "$REPO/tests/clients/run.sh"
    "$REPO/scripts/unblock-world.sh" stop >/dev/null 2>&1 || true
    "$REPO/scripts/test-world.sh" stop >/dev/null 2>&1 || true

    # The admin's setup of ias-unblockd as ias-unblockd(8) documents it: shipped configuration,
    # service user, private SoftHSM token; then the unit's command line (no systemd here).
    if (admin_setup "$((IAS_UNBLOCK_PORT + 1))") > "$T/admin-setup.log" 2>&1; then
        ok "ias-unblockd(8) setup: hsm-init, serve and admin as _ias-unblockd with the shipped config"
    else
        fail "ias-unblockd(8) setup: $(tail -n 8 "$T/admin-setup.log" | tr '\n' ' ')"
    fi
    # The admin's own files go before the purge (else the user is kept on purpose).
    rm -f /etc/ias-unblockd/tls.key /etc/ias-unblockd/tls.crt /etc/ias-unblockd/hsm.pin /etc/ias-unblockd/so.pin

    # Firefox/Thunderbird registration, undone by the removal and the purge: an admin's
    # Firefox policies (another device, another policy), no Thunderbird policy file yet, a
    # user's profile it registers, and one where the admin had added the module by hand.
    reg_setup
    if out=$(apt-get remove -y ias-pkcs11 2>&1); then
        ok "apt-get remove -y ias-pkcs11"; reg_check_removed
    else
        fail "apt-get remove ias-pkcs11: $(tail -n 10 <<<"$out")"
    fi

    # Purge: no file, directory, user or registration left.
    out=$(apt-get purge -y ias-pkcs11 ias-unblockd 2>&1) && ok "apt-get purge -y ias-pkcs11 ias-unblockd" ||
        fail "apt-get purge: $(tail -n 10 <<<"$out")"
    left=""
    while read -r f; do [[ ! -d "$f" && ( -e "$f" || -L "$f" ) ]] && left+=" $f"; done < "$T/files.txt"
    for d in /etc/ias-pkcs11 /etc/ias-unblockd /var/lib/ias-unblockd /usr/share/doc/ias-pkcs11 /usr/share/doc/ias-unblockd; do
        [[ -e "$d" ]] && left+=" $d"
    done
    [[ -z "$left" ]] && ok "purge removed every packaged file and directory" || fail "left after purge:$left"
    if getent passwd _ias-unblockd >/dev/null || getent group _ias-unblockd >/dev/null; then
        fail "user or group _ias-unblockd left: $(getent passwd _ias-unblockd) $(getent group _ias-unblockd) $(grep -i 'ias-unblockd\|user\|group' <<<"$out" | tr '\n' ' ')"
    else
        ok "purge removed the user and group _ias-unblockd"
    fi
    out=$(p11-kit list-modules 2>&1 || true)
    grep -q '^ias-pkcs11' <<<"$out" && fail "p11-kit still lists ias-pkcs11" || ok "p11-kit no longer lists ias-pkcs11"
    reg_check_purged
    counts
    exit 0
fi

# ---------------------------------------------------------------------------------------------
# Phase "ns": private mount + PID namespace; an overlay of / to chroot into.
if [[ $phase == ns ]]; then
    O=$T/overlay
    mkdir -p "$O"
    mount -t tmpfs -o mode=0755 tmpfs "$O"
    mkdir -p "$O/upper" "$O/work" "$O/root"
    mount -t overlay overlay -o "lowerdir=/,upperdir=$O/upper,workdir=$O/work" "$O/root"
    R=$O/root
    mount --rbind /dev "$R/dev"
    mount --rbind /sys "$R/sys"
    mount -t proc proc "$R/proc"
    mount -t tmpfs -o mode=0755 tmpfs "$R/run"
    mkdir -p "$R/run/pcscd" "$R/run/lock"
    # The test's directory and the work tree are the real ones (also when they are on other
    # file systems than /, which the overlay does not cross).
    mkdir -p "$R$T" "$R$REPO"
    mount --bind "$T" "$R$T"
    mount --bind "$REPO" "$R$REPO"
    set +e
    chroot "$R" /bin/bash "$SELF" --in-root "$T"
    set -e
    # What the run left in the system: everything in the upper layer but the package
    # database, logs, caches and this test's own files.
    leftovers=$(cd "$O/upper" && find . -mindepth 1 \( -path ./var/lib/dpkg -o -path ./var/log -o -path ./var/cache \
        -o -path ./var/lib/apt -o -path ./var/lib/systemd/deb-systemd-helper-enabled -o -path ./var/lib/systemd/deb-systemd-helper-masked \
        -o -path ./etc/ld.so.cache -o -path ./root -o -path ".$T" -o -path ".$REPO" \) -prune -o -print |
        grep -i 'ias' || true)
    # A tree that ends empty (or holds whiteouts of nothing) is no leftover.
    if [[ -n "$leftovers" ]]; then
        fail "the system changed after the purge: $(tr '\n' ' ' <<<"$leftovers")"
    else
        ok "nothing of the packages left in the system (overlay upper layer checked)"
    fi
    counts
    exit 0
fi

# ---------------------------------------------------------------------------------------------
# Phase "main": build, lintian, then the namespace.
[[ "$(id -u)" -eq 0 ]] || { echo "package-test: needs root (apt-get, namespaces)" >&2; exit 1; }
T=$(mktemp -d /tmp/ias-package-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
sim=${IAS_SIM_BIN:-$REPO/build/release/sim/ias-card-sim}
[[ -x "$sim" ]] || { echo "package-test: $sim missing (cmake --build --preset release --target ias-card-sim)" >&2; exit 1; }
printf 'export IAS_SIM_BIN=%q IAS_VPCD_PORT=%q IAS_WORLD_DIR=%q IAS_UNBLOCK_PORT=%q IAS_UNBLOCK_WORLD_DIR=%q\n' \
    "$sim" "$port" "$T/world" "$((port + 100))" "$T/world/unblockd" > "$T/env"

# CPU seconds of this script's waited-for children (cutime + cstime), for the time lines.
cpu_now() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%d", ($16 + $17) / hz }' "/proc/$$/stat"; }
start=$SECONDS start_cpu=$(cpu_now)
if [[ -n "$debs" ]]; then
    cp "$debs"/*.deb "$debs"/*.changes "$debs"/*.buildinfo "$T/"
    ok "packages from $debs (not rebuilt)"
else
    mkdir -p "$T/src"
    (cd "$REPO" && git ls-files -co --exclude-standard -z | tar --null -T - -cf - 2>/dev/null) | tar -xf - -C "$T/src"
    # No -dbgsym packages: nothing here installs or tests them, and making them (objcopy, xz)
    # and linting them is CI time; ias-pkcs11 and ias-unblockd are the same without them.
    if (cd "$T/src" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }noautodbgsym" \
            dpkg-buildpackage -us -uc -b -j"$(nproc)") > "$T/build.log" 2>&1; then
        ok "dpkg-buildpackage -us -uc -b ($((SECONDS - start)) s, $(($(cpu_now) - start_cpu)) s CPU)"
    else
        fail "dpkg-buildpackage (log: $T/build.log)"; tail -n 30 "$T/build.log"
        echo "$passed passed, $failed failed"; exit 1
    fi
    rm -rf "$T/src"
fi
for deb in "$T"/ias-pkcs11_*.deb "$T"/ias-unblockd_*.deb; do
    echo "== $(basename "$deb")"; dpkg -c "$deb" | awk '{print "   " $1, $6}' | grep -v '/$'
done
# Reproducible: no packaged file names the tree it was built in (this script's temporary
# directory, debhelper's obj-<triplet>): a build elsewhere gives the same files.
mkdir -p "$T/x"
for deb in "$T"/ias-pkcs11_*.deb "$T"/ias-unblockd_*.deb; do dpkg-deb -x "$deb" "$T/x"; done
if hits=$(grep -rlE -- 'ias-package-test[.]|/obj-[a-z0-9_]+-linux-gnu' "$T/x"); then
    fail "packaged files name the build directory: ${hits//$T\/x/}"
else
    ok "no packaged file names the build directory"
fi
rm -rf "$T/x"
[[ -z "$keep" ]] || { mkdir -p "$keep"; cp "$T"/*.deb "$T"/*.changes "$T"/*.buildinfo "$keep/"; [[ ! -f "$T/build.log" ]] || cp "$T/build.log" "$keep/"; }

# lintian (CPU) runs while the namespace phase mostly waits on the card, servers and browsers.
# (lintian's "running with root privileges is not recommended" is a note on stderr, no tag)
t=$SECONDS t_cpu=$(cpu_now)
lintian --fail-on warning,error "$T"/*.changes > "$T/lintian.log" 2>&1 &
lintian_pid=$!
unshare --mount --pid --fork --propagation private bash "$SELF" --in-namespace "$T" || true
if wait "$lintian_pid"; then
    ok "lintian --fail-on warning,error: no error, no warning"
else
    fail "lintian"; sed 's/^/      /' "$T/lintian.log"
fi
for p in root ns; do
    if [[ -f "$T/counts.$p" ]]; then
        read -r a b < "$T/counts.$p"; passed=$((passed + a)); failed=$((failed + b))
    else
        fail "phase $p ended early"
    fi
done
echo "lintian with install, client tests, purge: $((SECONDS - t)) s, $(($(cpu_now) - t_cpu)) s CPU; total $((SECONDS - start)) s, $(($(cpu_now) - start_cpu)) s CPU"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
