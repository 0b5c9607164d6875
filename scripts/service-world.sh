#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The service's test world: a private PostgreSQL 15 server (initdb in a temporary
# directory, unix socket only, trust auth for the local test user), for the tests labelled
# "postgres" and for the bench.
#   scripts/service-world.sh start        # prints the export line for IAS_TEST_PG
#   scripts/service-world.sh stop
#   scripts/service-world.sh test [build-dir]   # start, ctest -L postgres, stop
set -euo pipefail

dir=${IAS_SERVICE_WORLD:-/tmp/ias-service-world-$(id -u)}
port=${IAS_SERVICE_WORLD_PG_PORT:-5433}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "service-world: PostgreSQL server binaries not found (apt-get install postgresql-15)" >&2; exit 1; }

# PostgreSQL refuses to run as root: run it as the 'postgres' system user then.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

conninfo() { echo "host=$dir port=$port user=ias"; }

start() {
  if [ -f "$dir/pg/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/pg" status >/dev/null 2>&1; then
    echo "export IAS_TEST_PG=\"$(conninfo)\""
    return
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  as_owner "$bin/initdb" -D "$dir/pg" -U ias --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$bin/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w \
    -o "-k $dir -c listen_addresses='' -p $port -c max_connections=200 -c fsync=off" start >/dev/null \
    || { cat "$dir/pg.log" >&2; exit 1; }
  echo "export IAS_TEST_PG=\"$(conninfo)\""
}

stop() {
  if [ -d "$dir/pg" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  test)
    build=${2:-build/svc}
    start >/dev/null
    trap stop EXIT
    IAS_TEST_PG="$(conninfo)" ctest --test-dir "$build" -L postgres --output-on-failure
    ;;
  *) echo "usage: $0 start|stop|test [build-dir]" >&2; exit 2 ;;
esac
