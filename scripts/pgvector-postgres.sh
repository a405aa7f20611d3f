#!/usr/bin/env bash
# Prints the bin folder of a PostgreSQL server that has pgvector, fetching one when needed.
#
# Debian 12 (bookworm) packages no pgvector, so the tests' vector server is PostgreSQL 16.2 with
# pgvector 0.6.2 from the PyPI wheel `pgserver` (relocatable binaries), unpacked once into
# $TUTORLINE_CACHE (default ~/.cache/tutorline, or /var/cache/tutorline as root: the server runs
# as the postgres user, who cannot enter /root). Where a Postgres with pgvector is installed, point
# PGVECTOR_POSTGRES_BIN at its bin folder instead.
set -euo pipefail

if [ -n "${PGVECTOR_POSTGRES_BIN:-}" ]; then
  echo "$PGVECTOR_POSTGRES_BIN"
  exit 0
fi
version=0.1.4
if [ "$(id -u)" = "0" ]; then default_cache=/var/cache/tutorline; else default_cache="$HOME/.cache/tutorline"; fi
cache="${TUTORLINE_CACHE:-$default_cache}/pgserver-$version"
bin="$cache/pgserver/pginstall/bin"
if [ ! -x "$bin/postgres" ]; then
  mkdir -p "$cache"
  # Unpacked beside, then moved into place: two runs filling the cache at once do not mix.
  work=$(mktemp -d "$cache/unpack.XXXXXX")
  python3 -m venv "$work/venv" >&2
  "$work/venv/bin/pip" download -q --no-deps --only-binary :all: "pgserver==$version" -d "$work/wheel" >&2
  python3 -m zipfile -e "$work"/wheel/pgserver-*.whl "$work" >&2
  # zipfile keeps no modes; the wheel's tools look for libpq under the name auditwheel gave it.
  chmod -R a+rX "$work/pgserver"
  chmod a+x "$work"/pgserver/pginstall/bin/*
  for lib in "$work"/pgserver/pginstall/lib/libpq.so.5.*; do
    ln -sf "$(basename "$lib")" "$work/pgserver/pginstall/lib/libpq-084d956f.so.5.16"
  done
  chmod a+rx "$cache" "$(dirname "$cache")"
  mv -T "$work/pgserver" "$cache/pgserver" 2>/dev/null || true
  rm -rf "$work"
  [ -x "$bin/postgres" ] || { echo "pgvector-postgres: could not unpack pgserver into $cache" >&2; exit 1; }
fi
echo "$bin"
