#!/usr/bin/env bash
# The test command: builds the executables the end-to-end tests start, then runs every test
# against a real Postgres (a throwaway one unless TEST_DATABASE_URL is set) and real SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build
exec scripts/with-postgres.sh swift test "$@"
