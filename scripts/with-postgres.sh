#!/usr/bin/env bash
# Runs a command with TEST_DATABASE_URL pointing at a Postgres server.
#
# When TEST_DATABASE_URL is already set it is used as it is. Otherwise a throwaway cluster is
# created in a temporary folder (initdb), started on a free loopback port, and removed when the
# command ends. initdb refuses to run as root, so as root the cluster runs as the postgres user.
# A second throwaway server with pgvector (scripts/pgvector-postgres.sh) serves hybrid search's
# tests: TEST_PGVECTOR_DATABASE_URL.
set -euo pipefail

if [ -n "${TEST_DATABASE_URL:-}" ] && [ -n "${TEST_PGVECTOR_DATABASE_URL:-}" ]; then
  exec "$@"
fi

as_pg() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

clusters=()
cleanup() {
  for dir in ${clusters[@]+"${clusters[@]}"}; do
    as_pg env LD_LIBRARY_PATH="$dir/lib" "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
  done
}
trap cleanup EXIT

# start_cluster BIN [OPTIONS]: a throwaway cluster on a free loopback port, removed on exit; sets
# last_dir and last_port.
start_cluster() {
  local bin=$1 options=${2:-}
  local tmp port
  tmp=$(mktemp -d /tmp/tutorline-pg.XXXXXX)
  chmod 755 "$tmp"
  clusters+=("$tmp")
  echo "$bin" >"$tmp/bin"
  ln -s "$bin/../lib" "$tmp/lib"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  if [ "$(id -u)" = "0" ]; then chown postgres "$tmp"; fi
  as_pg env LD_LIBRARY_PATH="$tmp/lib" "$bin/initdb" -D "$tmp/data" -U tutorline -A trust --no-sync -E UTF8 >"$tmp/initdb.log" 2>&1 || {
    cat "$tmp/initdb.log" >&2
    return 1
  }
  as_pg env LD_LIBRARY_PATH="$tmp/lib" "$bin/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 start \
    -o "-p $port -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 $options" \
    >/dev/null || {
    cat "$tmp/server.log" >&2
    return 1
  }
  last_dir=$tmp
  last_port=$port
}

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    echo "with-postgres: no PostgreSQL server found (apt-get install -y postgresql)" >&2
    exit 1
  fi
  start_cluster "$pg_bin" "-c shared_preload_libraries=pg_stat_statements"
  export TEST_DATABASE_URL="postgres://tutorline@127.0.0.1:$last_port/postgres?sslmode=disable"
  export TEST_POSTGRES_DATA="$last_dir/data"
  export TEST_POSTGRES_BIN="$pg_bin"
  echo "with-postgres: throwaway Postgres on 127.0.0.1:$last_port" >&2
fi

# Hybrid search's tests need pgvector, which Debian's server lacks: a second server that has it.
if [ -z "${TEST_PGVECTOR_DATABASE_URL:-}" ]; then
  vector_bin=$("$(dirname "$0")/pgvector-postgres.sh")
  start_cluster "$vector_bin"
  export TEST_PGVECTOR_DATABASE_URL="postgres://tutorline@127.0.0.1:$last_port/postgres?sslmode=disable"
  echo "with-postgres: throwaway Postgres with pgvector on 127.0.0.1:$last_port" >&2
fi
"$@"
