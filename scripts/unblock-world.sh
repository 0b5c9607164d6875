#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A real local ias-unblockd for the demo and the integration tests: a private SoftHSMv2
# token holding the simulator's test master key, a self-signed TLS certificate for
# 127.0.0.1/localhost, a SQLite database, an admin token, and `ias-unblockd serve` in the
# background.
#
#   scripts/unblock-world.sh start [--set KEY=VALUE]...
#                                              start (or reuse) the service; prints module.conf.
#                                              Each --set is passed to `ias-unblockd serve`
#                                              (e.g. --set mail.transport=smtp); a service
#                                              already running is reused only without --set
#   scripts/unblock-world.sh stop              stop the service (safe to call twice)
#   scripts/unblock-world.sh status            running or not, URL, module.conf path
#   scripts/unblock-world.sh open-case SERIAL  open a case for SERIAL; prints the holder link
#                                              (stdout, alone on its line)
#
# open-case uses fixed test questions, answers case-sensitive, one per line in this order:
#   "Ville de naissance ?"            -> Lyon
#   "Nom de votre premier animal ?"   -> Rex
# (holder e-mail holder@example.org, language fr or $IAS_UNBLOCK_LANGUAGE). A live case of the
# same serial (open or secret issued) is closed first, so tests can re-run. The link is read
# from the mail in the outbox; with mail.transport=smtp, from the next message that arrives
# in $IAS_UNBLOCK_MAILDIR (files written by an SMTP sink such as scripts/smtp-sink.py; its
# headers are printed on stderr).
#
# The PKCS#11 module's lines are written to <run dir>/module.conf:
#   service_url = https://127.0.0.1:<port>
#   service_pin_sha256 = sha256//<base64 SHA-256 of the server's SubjectPublicKeyInfo DER>
#   service_ca_file = <run dir>/tls.crt
#
# Environment: IAS_UNBLOCK_WORLD_DIR (run dir, default <repo>/test-world/unblockd),
# IAS_UNBLOCK_PORT (default 8443), IAS_UNBLOCKD_BIN (service binary),
# IAS_UNBLOCK_MASTER_KEY (hex, default the simulator's 00112233445566778899AABBCCDDEEFF),
# IAS_UNBLOCK_TIMEOUT (seconds to wait for the server, default 30).
# Needs (Debian 12): softhsm2, openssl, curl.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${IAS_UNBLOCK_WORLD_DIR:-$REPO/test-world/unblockd}"
PORT="${IAS_UNBLOCK_PORT:-8443}"
MASTER_KEY="${IAS_UNBLOCK_MASTER_KEY:-00112233445566778899AABBCCDDEEFF}"
TIMEOUT="${IAS_UNBLOCK_TIMEOUT:-30}"
SOFTHSM_MODULE=/usr/lib/softhsm/libsofthsm2.so
URL="https://127.0.0.1:$PORT"
CONF="$DIR/ias-unblockd.conf"
PIDFILE="$DIR/unblockd.pid"

die() { echo "unblock-world: $*" >&2; exit 1; }
note() { echo "unblock-world: $*" >&2; }

unblockd_bin() {
    if [[ -n "${IAS_UNBLOCKD_BIN:-}" ]]; then
        [[ -x "$IAS_UNBLOCKD_BIN" ]] || die "IAS_UNBLOCKD_BIN=$IAS_UNBLOCKD_BIN is not executable"
        echo "$IAS_UNBLOCKD_BIN"; return
    fi
    local b
    for b in "$REPO/build/release/service/ias-unblockd" "$REPO/build/tools/service/ias-unblockd" \
             "$REPO/build/svc/service/ias-unblockd"; do
        [[ -x "$b" ]] && { echo "$b"; return; }
    done
    die "ias-unblockd not found: build it (cmake --build build/release --target ias-unblockd) or set IAS_UNBLOCKD_BIN"
}

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pidfile() {
    local file="$1" pid i
    [[ -f "$file" ]] || return 0
    pid="$(cat "$file")"
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
}

export SOFTHSM2_CONF="$DIR/softhsm2.conf"

# Files written once per run dir (kept across stop/start so links and keys stay valid).
prepare() {
    command -v openssl >/dev/null || die "openssl missing: apt-get install openssl"
    command -v curl >/dev/null || die "curl missing: apt-get install curl"
    [[ -f "$SOFTHSM_MODULE" ]] || die "SoftHSMv2 missing ($SOFTHSM_MODULE): apt-get install softhsm2"
    mkdir -p "$DIR/softhsm/tokens" "$DIR/outbox"
    chmod 700 "$DIR"
    umask 077
    [[ -f "$SOFTHSM2_CONF" ]] || printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
        "$DIR/softhsm/tokens" > "$SOFTHSM2_CONF"
    [[ -f "$DIR/hsm.pin" ]] || openssl rand -hex 16 > "$DIR/hsm.pin"
    [[ -f "$DIR/so.pin" ]] || openssl rand -hex 16 > "$DIR/so.pin"
    [[ -f "$DIR/admin.token" ]] || openssl rand -hex 32 > "$DIR/admin.token"
    if [[ ! -f "$DIR/tls.crt" || ! -f "$DIR/tls.key" ]]; then
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
            -subj "/CN=127.0.0.1/O=ias-pkcs11 unblock world" \
            -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
            -keyout "$DIR/tls.key" -out "$DIR/tls.crt" 2>/dev/null || die "openssl req failed"
    fi
    cat > "$CONF" <<EOF
# Written by scripts/unblock-world.sh (test world only).
listen = 127.0.0.1
port = $PORT
public_url = $URL
tls.cert = $DIR/tls.crt
tls.key = $DIR/tls.key
database = sqlite:$DIR/unblockd.sqlite
hsm.module = $SOFTHSM_MODULE
hsm.token = ias-unblockd
hsm.pin_file = $DIR/hsm.pin
hsm.admin_key_diversification = emv-cps-sn8
admin.token_file = $DIR/admin.token
audit_log = $DIR/audit.log
outbox_dir = $DIR/outbox
support.web = https://support.example.org
support.email = support@example.org
support.phone = 08 92 23 02 52
support.hours = lun.-jeu. 9:00-12:30 et 13:30-18:00, ven. jusqu'à 17:00
brand.issuer = Autorité de test
brand.revocation_url = https://support.example.org/revocation
# Test world only: the tests use one card serial dozens of times a minute (production keeps
# the defaults, 10 per minute), and a cheap answer hash keeps the suites fast.
rate.serial_per_minute = 1000
rate.serial_burst = 1000
answers.iterations = 1000
EOF
    if [[ ! -f "$DIR/hsm.done" ]]; then
        local master="$DIR/master.hex"
        printf '%s\n' "$MASTER_KEY" > "$master"
        "$(unblockd_bin)" hsm-init --config "$CONF" --so-pin-file "$DIR/so.pin" --master-key-file "$master" \
            > "$DIR/hsm-init.log" 2>&1 || { rm -f "$master"; cat "$DIR/hsm-init.log" >&2; die "hsm-init failed"; }
        rm -f "$master"
        touch "$DIR/hsm.done"
    fi
}

spki_pin() {
    openssl x509 -in "$DIR/tls.crt" -pubkey -noout | openssl pkey -pubin -outform DER \
        | openssl dgst -sha256 -binary | openssl base64 -A
}

write_module_conf() {
    printf 'service_url = %s\nservice_pin_sha256 = sha256//%s\nservice_ca_file = %s\n' \
        "$URL" "$(spki_pin)" "$DIR/tls.crt" > "$DIR/module.conf"
}

answers() { # 0 when the server answers HTTPS requests (any HTTP status)
    local code
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$DIR/tls.crt" "$URL/v1/holder/case" || true)"
    [[ -n "$code" && "$code" != "000" ]]
}

start() {
    local -a sets=()
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --set)
                [[ $# -ge 2 && "$2" == ?*=* ]] || die "usage: $0 start [--set KEY=VALUE]..."
                sets+=(--set "$2"); shift 2 ;;
            --set=?*=*) sets+=(--set "${1#--set=}"); shift ;;
            *) die "start: unknown argument '$1' (usage: $0 start [--set KEY=VALUE]...)" ;;
        esac
    done
    if alive "$PIDFILE"; then
        [[ ${#sets[@]} -eq 0 ]] || die "already running (pid $(cat "$PIDFILE")): stop it first to start with --set"
        note "already running (pid $(cat "$PIDFILE")) on $URL"
        write_module_conf
        cat "$DIR/module.conf"
        return 0
    fi
    prepare
    local bin i
    bin="$(unblockd_bin)"
    if answers; then die "something else already answers on $URL (set IAS_UNBLOCK_PORT)"; fi
    # The admin commands (open-case) use the same settings as the running service.
    printf '%s\n' "${sets[@]}" | grep -v '^--set$' > "$DIR/serve.sets" || true
    setsid "$bin" serve --config "$CONF" "${sets[@]}" >> "$DIR/serve.log" 2>&1 < /dev/null &
    echo $! > "$PIDFILE"
    for ((i = 0; i < TIMEOUT * 10; i++)); do
        alive "$PIDFILE" || { rm -f "$PIDFILE"; tail -n 20 "$DIR/serve.log" >&2; die "ias-unblockd exited"; }
        answers && break
        sleep 0.1
    done
    answers || { stop_pidfile "$PIDFILE"; tail -n 20 "$DIR/serve.log" >&2; die "timeout after ${TIMEOUT}s waiting for $URL"; }
    write_module_conf
    note "ready: ias-unblockd $(cat "$PIDFILE") on $URL (run dir $DIR; module lines in $DIR/module.conf)"
    cat "$DIR/module.conf"
}

admin() {
    local -a sets=()
    local line
    if [[ -f "$DIR/serve.sets" ]]; then
        while IFS= read -r line; do [[ -z "$line" ]] || sets+=(--set "$line"); done < "$DIR/serve.sets"
    fi
    "$(unblockd_bin)" admin --config "$CONF" "${sets[@]}" "$@"
}

# smtp_link MAILDIR COUNT: waits for message number COUNT+1 in MAILDIR, prints its headers on
# stderr and the holder link of its text part (decoded) on stdout.
smtp_link() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import email, email.policy, glob, re, sys, time
d, before = sys.argv[1], int(sys.argv[2])
for _ in range(300):
    files = sorted(glob.glob(d + "/*.eml"))
    if len(files) > before:
        break
    time.sleep(0.1)
else:
    sys.exit(1)
msg = email.message_from_binary_file(open(files[before], "rb"), policy=email.policy.default)
for h in ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"):
    print(f"    {h}: {msg[h]}", file=sys.stderr)
text = msg.get_body(preferencelist=("plain",)).get_content()
print(re.search(r"https://\S+/h/[0-9A-Za-z_-]+", text).group(0))
PY
}

open_case() {
    local serial="$1" out id link before
    [[ -f "$CONF" ]] || die "not prepared: run $0 start first"
    serial="${serial^^}"
    # Close a live case of the same serial (tests re-run with the same card serial).
    while IFS=$'\t' read -r id s state _; do
        if [[ "$s" == "$serial" && ( "$state" == open || "$state" == secret_issued ) ]]; then
            admin close-case "$id" --reason "superseded by unblock-world open-case" >/dev/null 2>&1 || true
        fi
    done < <(admin list-cases 2>/dev/null)
    before="$(ls "${IAS_UNBLOCK_MAILDIR:-/nonexistent}" 2>/dev/null | grep -c '[.]eml$' || true)"
    out="$(printf 'Lyon\nRex\n' | admin create-case --serial "$serial" --email holder@example.org \
        --language "${IAS_UNBLOCK_LANGUAGE:-fr}" \
        --question "Ville de naissance ?" --question "Nom de votre premier animal ?" 2>/dev/null)" \
        || die "create-case failed for $serial"
    id="$(sed -n 's/^case \([0-9][0-9]*\) created.*/\1/p' <<<"$out")"
    if [[ "$out" == *"queued for SMTP delivery"* ]]; then
        [[ -n "${IAS_UNBLOCK_MAILDIR:-}" ]] || die "case $id: mail queued for SMTP; set IAS_UNBLOCK_MAILDIR to read it"
        link="$(smtp_link "$IAS_UNBLOCK_MAILDIR" "$before")" || die "case $id: no mail arrived in $IAS_UNBLOCK_MAILDIR"
        note "case $id opened for $serial (answers: Lyon / Rex)"
        echo "$link"
        return 0
    fi
    [[ -n "$id" && -f "$DIR/outbox/case-$id.eml" ]] || die "no e-mail in the outbox for case '$id'"
    link="$(grep -oE 'https://[^ ]+/h/[0-9A-Za-z]+' "$DIR/outbox/case-$id.eml" | head -n 1)"
    [[ -n "$link" ]] || die "no link in $DIR/outbox/case-$id.eml"
    note "case $id opened for $serial (answers: Lyon / Rex)"
    echo "$link"
}

case "${1:-}" in
    start) shift; start "$@" ;;
    stop)
        stop_pidfile "$PIDFILE"
        note "stopped"
        ;;
    status)
        if alive "$PIDFILE"; then
            echo "ias-unblockd: running (pid $(cat "$PIDFILE")) on $URL"
            echo "module.conf: $DIR/module.conf"
        else
            echo "ias-unblockd: stopped"
        fi
        ;;
    open-case)
        [[ $# -ge 2 ]] || die "usage: $0 open-case SERIAL"
        open_case "$2"
        ;;
    *)
        sed -n '2,30p' "$0" >&2
        exit 2
        ;;
esac
