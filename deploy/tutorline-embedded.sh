#!/bin/sh
# The whole system in one container on the embedded default, as scripts/run.sh runs it on a
# machine: SQLite, the spool and generated secrets in /app/.tutorline (mount a volume there to keep
# them), the sample content, and the three services. SIGTERM stops all three gracefully.
set -eu
cd /app
tutorline-gateway migrate
tutorline-worker ingest /app/content

PORT=8080 tutorline-gateway & gateway=$!
PORT=8082 tutorline-worker & worker=$!
PORT=8081 tutorline-stream & stream=$!

stop() {
  trap - TERM INT
  kill -TERM "$gateway" "$worker" "$stream" 2>/dev/null || true
}
trap stop TERM INT
echo "Tutorline is running: open http://127.0.0.1:8080/ (publish 8080 and 8081 on the same ports)" >&2
# The first service to end, or a signal, ends all three; any failure is the container's.
while kill -0 "$gateway" 2>/dev/null && kill -0 "$worker" 2>/dev/null && kill -0 "$stream" 2>/dev/null; do
  sleep 1 &
  wait $! || true
done
stop
status=0
for pid in "$gateway" "$worker" "$stream"; do wait "$pid" || status=$?; done
exit "$status"
