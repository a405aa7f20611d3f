#!/usr/bin/env bash
# Tutorline across hosts (network namespaces) with EVENT_LOG=postgres: see scripts/hosts_test.py.
# Needs root, iproute2, Postgres and nginx; builds the executables first.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build
exec python3 scripts/hosts_test.py "$@"
