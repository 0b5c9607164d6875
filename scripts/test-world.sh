#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The PC/SC test world: pcscd (pcsc-lite) with the vsmartcard vpcd reader driver, and
# ias-card-sim connected to it as the card in "Virtual PCD 00 00".
#
#   scripts/test-world.sh start [STATE]   start pcscd + simulator (default card created if needed)
#   scripts/test-world.sh insert STATE    swap the card: restart the simulator on another state file
#   scripts/test-world.sh remove          pull the card (stop the simulator)
#   scripts/test-world.sh stop            stop simulator and pcscd (safe to call twice)
#   scripts/test-world.sh status          what runs
#
# Environment: IAS_WORLD_DIR (default <repo>/test-world), IAS_SIM_BIN (simulator binary),
# IAS_VPCD_PORT (default 35963), IAS_SIM_PERSONALITY (card family of the default card, see
# `ias-card-sim personalities`; default: the default layout), IAS_SIM_ARGS (extra `ias-card-sim run` arguments, e.g.
# "--force-get-response"), IAS_WORLD_TIMEOUT (seconds, default 20).
# The default card: serial 0010000000123456, user PIN 4711, PUK 12345678, test master key.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORLD="${IAS_WORLD_DIR:-$REPO/test-world}"
PORT="${IAS_VPCD_PORT:-35963}"
TIMEOUT="${IAS_WORLD_TIMEOUT:-20}"
VPCD_DRIVER=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
READER="Virtual PCD 00 00"

die() { echo "test-world: $*" >&2; exit 1; }
note() { echo "test-world: $*" >&2; }

sim_bin() {
    if [[ -n "${IAS_SIM_BIN:-}" ]]; then
        [[ -x "$IAS_SIM_BIN" ]] || die "IAS_SIM_BIN=$IAS_SIM_BIN is not executable"
        echo "$IAS_SIM_BIN"; return
    fi
    local b
    for b in "$REPO/build/release/sim/ias-card-sim" "$REPO/build/sim/sim/ias-card-sim" "$REPO/build/asan/sim/ias-card-sim"; do
        [[ -x "$b" ]] && { echo "$b"; return; }
    done
    die "ias-card-sim not found: build it (cmake --preset release && cmake --build build/release) or set IAS_SIM_BIN"
}

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Stops the process whose pid is in file $1 (TERM, then KILL after 5 s) and removes the file.
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

# 0 when opensc-tool sees a card in our reader ("Yes" in the Card column).
card_present() { opensc-tool -l 2>/dev/null | grep -E "^[0-9]+ +Yes .*$READER" >/dev/null; }
reader_present() { opensc-tool -l 2>/dev/null | grep -F "$READER" >/dev/null; }

wait_for() {
    local what="$1" check="$2" i
    for ((i = 0; i < TIMEOUT * 10; i++)); do
        if $check; then return 0; fi
        sleep 0.1
    done
    die "timeout after ${TIMEOUT}s waiting for $what (logs: $WORLD/pcscd.log, $WORLD/sim.log)"
}
card_absent() { ! card_present; }

write_reader_conf() {
    mkdir -p "$WORLD/reader.conf.d"
    printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x%X\nLIBPATH      %s\nCHANNELID    0x%X\n' \
        "$PORT" "$VPCD_DRIVER" "$PORT" > "$WORLD/reader.conf.d/vpcd"
}

start_pcscd() {
    if alive "$WORLD/pcscd.pid"; then return 0; fi
    [[ -f "$VPCD_DRIVER" ]] || die "vpcd driver missing ($VPCD_DRIVER): apt-get install vsmartcard-vpcd"
    command -v pcscd >/dev/null || die "pcscd missing: apt-get install pcscd"
    if command -v systemctl >/dev/null 2>&1; then
        systemctl stop pcscd.socket pcscd.service >/dev/null 2>&1 || true
    fi
    # Another pcscd in *our* mount namespace owns /run/pcscd (scripts/private-world.sh runs
    # pcscd in namespaces of their own: those do not count).
    local other="" pid
    for pid in $(pgrep -x pcscd || true); do
        [[ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" == "$(readlink /proc/self/ns/mnt)" ]] && other="$pid"
    done
    [[ -z "$other" ]] || die "another pcscd is running (pid $other); stop it first (only one pcscd per mount namespace)"
    write_reader_conf
    rm -f /run/pcscd/pcscd.comm 2>/dev/null || true
    pcscd -f -c "$WORLD/reader.conf.d" > "$WORLD/pcscd.log" 2>&1 &
    echo $! > "$WORLD/pcscd.pid"
    wait_for "pcscd and the vpcd reader" reader_present
}

# The default card is of the family IAS_SIM_PERSONALITY (default: the default layout); a
# default card of another family is personalised again.
default_card() {
    local state="$WORLD/default-card.json" want="${IAS_SIM_PERSONALITY:-default}" have
    [[ "$want" == default ]] && want=amos
    if [[ -f "$state" ]]; then
        have="$("$(sim_bin)" show --state "$state" 2>/dev/null | sed -n 's/^personality: *//p')"
        [[ "$have" == "$want" ]] || rm -f "$state"
    fi
    if [[ ! -f "$state" ]]; then
        "$(sim_bin)" personalise --personality "$want" --state "$state" --serial 0010000000123456 --pin 4711 \
            --puk 12345678 --ca-dir "$WORLD/ca" --label "IAS-ECC SIM" >&2
    fi
    echo "$state"
}

start_sim() {
    local state="$1"
    [[ -f "$state" ]] || die "card state $state not found"
    state="$(cd "$(dirname "$state")" && pwd)/$(basename "$state")"
    # shellcheck disable=SC2086
    "$(sim_bin)" run --state "$state" --port "$PORT" --apdu-log "$WORLD/apdu.log" ${IAS_SIM_ARGS:-} \
        >> "$WORLD/sim.log" 2>&1 &
    echo $! > "$WORLD/sim.pid"
    echo "$state" > "$WORLD/card.path"
    wait_for "the card in \"$READER\"" card_present
}

remove_card() {
    if alive "$WORLD/sim.pid" || [[ -f "$WORLD/sim.pid" ]]; then
        stop_pidfile "$WORLD/sim.pid"
        if alive "$WORLD/pcscd.pid"; then wait_for "card removal" card_absent; fi
    fi
    rm -f "$WORLD/card.path"
}

cmd="${1:-}"
case "$cmd" in
    start)
        mkdir -p "$WORLD"
        start_pcscd
        if alive "$WORLD/sim.pid"; then
            [[ $# -ge 2 ]] || { note "already running"; exit 0; }
            remove_card
        fi
        start_sim "${2:-$(default_card)}"
        note "ready: pcscd $(cat "$WORLD/pcscd.pid"), ias-card-sim $(cat "$WORLD/sim.pid"), card $(cat "$WORLD/card.path")"
        ;;
    insert)
        [[ $# -ge 2 ]] || die "usage: $0 insert STATE"
        alive "$WORLD/pcscd.pid" || die "the world is not started ($0 start)"
        remove_card
        # A new card state may hold other keys under the same serial and TokenInfo (a card
        # re-personalised in place, which the module's public cache cannot see: docs/cache.md):
        # the world's cache directory starts empty, unless a test swaps cards on purpose.
        [[ -n "${IAS_WORLD_KEEP_CACHE:-}" ]] || rm -rf "$WORLD/pkcs11-cache"
        start_sim "$2"
        ;;
    remove)
        remove_card
        ;;
    stop)
        stop_pidfile "$WORLD/sim.pid"
        stop_pidfile "$WORLD/pcscd.pid"
        rm -f "$WORLD/card.path"
        note "stopped"
        ;;
    status)
        if alive "$WORLD/pcscd.pid"; then echo "pcscd: running (pid $(cat "$WORLD/pcscd.pid"))"; else echo "pcscd: stopped"; fi
        if alive "$WORLD/sim.pid"; then
            echo "ias-card-sim: running (pid $(cat "$WORLD/sim.pid")), card $(cat "$WORLD/card.path" 2>/dev/null)"
        else
            echo "ias-card-sim: stopped"
        fi
        if alive "$WORLD/pcscd.pid"; then
            if card_present; then echo "card: present in \"$READER\""; else echo "card: absent"; fi
        fi
        ;;
    *)
        sed -n '2,16p' "$0" >&2
        exit 2
        ;;
esac
