#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs a command in a private PC/SC world: new mount and PID namespaces with their own
# /run/pcscd, so a second pcscd (and vpcd reader, on another port) can run beside the
# machine's test world without either seeing the other. Reader names are the usual
# "Virtual PCD 00 00/01"; scripts/test-world.sh works unchanged inside.
#
#   scripts/private-world.sh [--port N] [--dir DIR] -- COMMAND [ARGS...]
#
# Example: scripts/private-world.sh -- bash -c 'scripts/test-world.sh start && ctest -L world'
# Needs root (unshare, mount). Sets IAS_VPCD_PORT, IAS_WORLD_DIR, IAS_UNBLOCK_PORT (port+100),
# IAS_UNBLOCK_WORLD_DIR and IAS_PKCS11_CACHE_DIR for the scripts inside.
set -euo pipefail
port=36000
dir=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --port) port=$2; shift 2 ;;
        --dir) dir=$2; shift 2 ;;
        --) shift; break ;;
        *) break ;;
    esac
done
[[ $# -gt 0 ]] || { echo "usage: $0 [--port N] [--dir DIR] -- COMMAND..." >&2; exit 2; }
REPO="$(cd "$(dirname "$0")/.." && pwd)"
dir=${dir:-$REPO/test-world-$port}
mkdir -p "$dir"
# The unblock service of this world listens on its own port too (TCP is not private).
export IAS_VPCD_PORT=$port IAS_WORLD_DIR=$dir
# The module's public cache of this world (emptied at each card insertion, docs/cache.md).
export IAS_PKCS11_CACHE_DIR=$dir/pkcs11-cache
export IAS_UNBLOCK_PORT=$((port + 100)) IAS_UNBLOCK_WORLD_DIR=$dir/unblockd
# Inside: a private /run/pcscd; the world is stopped whatever the command does.
exec unshare --mount --pid --fork --mount-proc --propagation private bash -c '
    mkdir -p /run/pcscd && mount -t tmpfs -o mode=0755 tmpfs /run/pcscd
    trap "\"$0\"/scripts/unblock-world.sh stop >/dev/null 2>&1; \"$0\"/scripts/test-world.sh stop >/dev/null 2>&1 || true" EXIT
    shift
    "$@"
' "$REPO" placeholder "$@"
