#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# World manipulations of module_faults_test (issue 9), inside the test world:
#   faults_fixture.sh card             a fresh default card (PIN 4711) in the reader
#   faults_fixture.sh kill-pcscd       SIGKILL pcscd (the simulator loses its vpcd link too)
#   faults_fixture.sh restart          pcscd + simulator again, with a fresh card
#   faults_fixture.sh remove           pull the card (stop the simulator)
#   faults_fixture.sh unplug-reader    pcscd restarted without the vpcd reader: the reader is gone
# vpcd is a static reader of pcscd's reader.conf: it exists while pcscd runs with that
# configuration, whether a simulator is connected or not (no simulator = no card). A reader
# unplug is therefore pcscd running without that configuration entry.
source "$(dirname "$0")/lib.sh" faults
PIDFILE="$WORLD/pcscd.pid"

kill_pcscd() {
    [[ -f "$PIDFILE" ]] && kill -KILL "$(cat "$PIDFILE")" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 0.1; done
    rm -f "$PIDFILE"
    "$REPO/scripts/test-world.sh" remove >/dev/null 2>&1 || true  # the simulator's link died with pcscd
}

case "${1:?}" in
card) fresh_card ;;
kill-pcscd) kill_pcscd ;;
restart)
    "$REPO/scripts/test-world.sh" stop >/dev/null 2>&1
    "$REPO/scripts/test-world.sh" start 2>/dev/null
    fresh_card
    ;;
remove) "$REPO/scripts/test-world.sh" remove 2>/dev/null ;;
unplug-reader)
    kill_pcscd
    mkdir -p "$WORLD/no-readers.d"
    rm -f /run/pcscd/pcscd.comm
    pcscd -f -c "$WORLD/no-readers.d" >> "$WORLD/pcscd.log" 2>&1 &
    echo $! > "$PIDFILE"
    for _ in $(seq 100); do [[ -S /run/pcscd/pcscd.comm ]] && break; sleep 0.1; done
    out=$(opensc-tool -l 2>&1 || true)
    ! grep -qF "Virtual PCD" <<<"$out" || fail "the vpcd reader is still listed"
    ;;
*) echo "unknown command $1" >&2; exit 2 ;;
esac
