#!/usr/bin/env bash
# Prints the bin folder of a PostgreSQL server that has pgvector, fetching one when needed.
#
# Debian 12 (bookworm) packages no pgvector, so the tests' vector server is PostgreSQL 16.2 with
# pgvector 0.6.2 from the PyPI wheel `pgserver` (relocatable binaries), unpacked once into
# ${TUTORLINE_CACHE:-~/.cache/tutorline}. Where a Postgres with pgvector is installed, point
# PGVECTOR_POSTGRES_BIN at its bin folder instead.
set -euo pipefail

if [ -n "${PGVECTOR_POSTGRES_BIN:-}" ]; then
  echo "$PGVECTOR_POSTGRES_BIN"
  exit 0
fi
version=0.1.4
cache="${TUTORLINE_CACHE:-$HOME/.cache/tutorline}/pgserver-$version"
bin="$cache/pgserver/pginstall/bin"
if [ ! -x "$bin/postgres" ]; then
  mkdir -p "$cache"
  if [ ! -x "$cache/venv/bin/pip" ]; then python3 -m venv "$cache/venv" >&2; fi
  "$cache/venv/bin/pip" download -q --no-deps --only-binary :all: "pgserver==$version" -d "$cache/wheel" >&2
  python3 -m zipfile -e "$cache"/wheel/pgserver-*.whl "$cache" >&2
  # zipfile keeps no modes; the wheel's tools look for libpq under the name auditwheel gave it.
  chmod -R a+rX "$cache/pgserver"
  chmod a+x "$bin"/*
  for lib in "$cache"/pgserver/pginstall/lib/libpq.so.5.*; do
    ln -sf "$(basename "$lib")" "$cache/pgserver/pginstall/lib/libpq-084d956f.so.5.16"
  done
fi
echo "$bin"
