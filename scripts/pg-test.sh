#!/usr/bin/env bash
# Runs a command with CTFG_TEST_POSTGRES pointing at a PostgreSQL server,
# so the PostgreSQL store tests run instead of skipping:
#
#   bash scripts/pg-test.sh go test -race -count=1 ./internal/store/...
#
# - CTFG_TEST_POSTGRES already set: the command runs against that server.
# - Otherwise, when Debian's PostgreSQL binaries are installed
#   (/usr/lib/postgresql/<version>/bin; .ci/run installs `postgresql`), a
#   throwaway cluster is made in a temporary directory (initdb, trust
#   authentication, listening on 127.0.0.1 on a free port and on a socket
#   in that directory), started for the command, then stopped and removed
#   whatever the command's outcome. PostgreSQL refuses to run as root, so
#   as root the cluster belongs to the `postgres` user (made by the
#   package) and its tools run through runuser.
# - Without binaries the command runs as is and the PostgreSQL tests skip.
#
# The command's exit status is the script's.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: bash scripts/pg-test.sh COMMAND [ARGS...]" >&2
  exit 2
fi

if [ -n "${CTFG_TEST_POSTGRES:-}" ]; then
  exec "$@"
fi

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "pg-test: no PostgreSQL binaries under /usr/lib/postgresql: the PostgreSQL tests will skip (apt-get install postgresql)" >&2
  exec "$@"
fi

# as runs a PostgreSQL tool as the unprivileged owner of the cluster.
if [ "$(id -u)" -eq 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "pg-test: running as root and there is no postgres user to own the cluster" >&2
    exit 1
  fi
  as() { runuser -u postgres -- "$@"; }
else
  as() { "$@"; }
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/ctfg-pg.XXXXXX")
chmod 0755 "$dir"
[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
data=$dir/data
started=""

cleanup() {
  if [ -n "$started" ]; then
    as "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

as "$bindir/initdb" -D "$data" --no-sync -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
  cat "$dir/initdb.log" >&2; exit 1
}

# A free port: ask the kernel for one through bash's /dev/tcp is not
# possible, so try random high ports until the server starts on one
# (pg_ctl -w fails at once when the port is taken).
port=""
for _ in 1 2 3 4 5 6 7 8; do
  p=$((20000 + RANDOM % 40000))
  if as "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $p -k $dir -c max_connections=200" start >/dev/null 2>&1; then
    port=$p
    started=1
    break
  fi
done
if [ -z "$port" ]; then
  echo "pg-test: PostgreSQL did not start; its log:" >&2
  cat "$dir/server.log" >&2 || true
  exit 1
fi

export CTFG_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
echo "pg-test: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $data)" >&2
set +e
"$@"
status=$?
set -e
exit $status
