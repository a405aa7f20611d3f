#!/usr/bin/env bash
# Runs the whole system on one machine: builds, migrates, starts gateway, worker and stream,
# prints where to open it, and stops all three on Ctrl-C.
#
# Needs (until the embedded SQLite default lands): DATABASE_URL=postgres://...
# LLM_BASE_URL (any OpenAI-compatible API; LLM_API_KEY, LLM_MODEL) is optional: without it the
# worker answers with the offline engine, from the course excerpts.
# Secrets are generated once into .tutorline/ (never committed) unless set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${DATABASE_URL:?set DATABASE_URL=postgres://user:pass@host:port/db (the SQLite default is not built yet)}"

mkdir -p .tutorline
secret() {
  local file=".tutorline/$1"
  [ -s "$file" ] || (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n/+=' > "$file")
  cat "$file"
}
export STREAM_TOKEN_SECRET="${STREAM_TOKEN_SECRET:-$(secret stream-token-secret)}"
export AUTH_JWT_SECRET="${AUTH_JWT_SECRET:-$(secret auth-jwt-secret)}"
export SPOOL_DIR="${SPOOL_DIR:-.tutorline/spool}"

swift build -c release
bin=$(swift build -c release --show-bin-path)
"$bin/tutorline-gateway" migrate
"$bin/tutorline-worker" ingest content

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

PORT=8080 "$bin/tutorline-gateway" & pids+=($!)
PORT=8082 "$bin/tutorline-worker" & pids+=($!)
PORT=8081 "$bin/tutorline-stream" & pids+=($!)

echo
echo "Tutorline is running: gateway http://127.0.0.1:8080  stream http://127.0.0.1:8081  worker http://127.0.0.1:8082/healthz"
echo "A bearer token for the course tutor: $("$bin/tutorline-gateway" token --sub demo-user)"
echo "Press Ctrl-C to stop."
wait -n "${pids[@]}"
