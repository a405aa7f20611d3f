#!/usr/bin/env bash
# Runs the whole system on one machine and prints where to open it; Ctrl-C stops all three services.
#
# With nothing set, this is the embedded default: SQLite in .tutorline/, the spool in
# .tutorline/spool, secrets generated once into .tutorline/, and the offline answer engine.
# Set DATABASE_URL=postgres://... for Postgres (then STREAM_TOKEN_SECRET and AUTH_JWT_SECRET too),
# and LLM_BASE_URL (LLM_API_KEY, LLM_MODEL) for an OpenAI-compatible model.
set -euo pipefail
cd "$(dirname "$0")/.."

export GATEWAY_PORT="${GATEWAY_PORT:-8080}" STREAM_PORT="${STREAM_PORT:-8081}" WORKER_PORT="${WORKER_PORT:-8082}"
export STREAM_PUBLIC_URL="${STREAM_PUBLIC_URL:-http://127.0.0.1:$STREAM_PORT}"
export CORS_ORIGINS="${CORS_ORIGINS:-http://127.0.0.1:$GATEWAY_PORT,http://localhost:$GATEWAY_PORT}"

echo "Building (release; the first build takes a few minutes)…"
swift build -c release
bin=$(swift build -c release --show-bin-path)
"$bin/tutorline-gateway" migrate
"$bin/tutorline-worker" ingest content

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "Stopped."
}
trap stop INT TERM EXIT

PORT=$GATEWAY_PORT "$bin/tutorline-gateway" & pids+=($!)
PORT=$WORKER_PORT "$bin/tutorline-worker" & pids+=($!)
PORT=$STREAM_PORT "$bin/tutorline-stream" & pids+=($!)

for _ in $(seq 1 100); do
  (echo >"/dev/tcp/127.0.0.1/$GATEWAY_PORT" && echo >"/dev/tcp/127.0.0.1/$STREAM_PORT") 2>/dev/null && break
  sleep 0.1
done
echo
echo "Tutorline is running. Open http://127.0.0.1:$GATEWAY_PORT/ to chat with both assistants."
echo "Press Ctrl-C to stop."
wait -n "${pids[@]}"
