#!/usr/bin/env bash
# Runs a command with TEST_DATABASE_URL pointing at a Postgres server.
#
# When TEST_DATABASE_URL is already set it is used as it is. Otherwise a throwaway cluster is
# created in a temporary folder (initdb), started on a free loopback port, and removed when the
# command ends. initdb refuses to run as root, so as root the cluster runs as the postgres user.
set -euo pipefail

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  exec "$@"
fi

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  echo "with-postgres: no PostgreSQL server found (apt-get install -y postgresql)" >&2
  exit 1
fi

tmp=$(mktemp -d /tmp/tutorline-pg.XXXXXX)
chmod 755 "$tmp"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

as_pg() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

if [ "$(id -u)" = "0" ]; then chown postgres "$tmp"; fi

cleanup() {
  as_pg "$pg_bin/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

as_pg "$pg_bin/initdb" -D "$tmp/data" -U tutorline -A trust --no-sync -E UTF8 >"$tmp/initdb.log" 2>&1 || {
  cat "$tmp/initdb.log" >&2
  exit 1
}
as_pg "$pg_bin/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 start \
  -o "-p $port -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 -c shared_preload_libraries=pg_stat_statements" \
  >/dev/null || {
  cat "$tmp/server.log" >&2
  exit 1
}

export TEST_DATABASE_URL="postgres://tutorline@127.0.0.1:$port/postgres?sslmode=disable"
export TEST_POSTGRES_DATA="$tmp/data"
export TEST_POSTGRES_BIN="$pg_bin"
echo "with-postgres: throwaway Postgres on 127.0.0.1:$port" >&2
"$@"
