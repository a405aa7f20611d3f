#!/usr/bin/env bash
# Schemathesis against the live system, with the API document the gateway serves: every
# operation of gateway and stream gets generated inputs (valid and invalid, and chains of calls
# along the document's links), and no answer may be a 5xx, a status, header or content type the
# document does not list, a body that does not match its schema, an invalid request accepted, or
# anything but 405 for a method an address does not take.
#
# The three services run as built (debug, by scripts/test.sh) on the embedded default, in a
# temporary folder, with the anonymous rate limits off (a fuzzer is one client sending thousands of
# requests: limited, it would see 429s and little else; the 429s themselves are tested elsewhere).
# Schemathesis comes from PyPI into a virtual environment outside the repository.
#
# Usage: scripts/api-fuzz.sh [seconds per service, default 120]
set -euo pipefail
cd "$(dirname "$0")/.."
budget="${1:-120}"
venv="${SCHEMATHESIS_VENV:-${TMPDIR:-/tmp}/tutorline-schemathesis}"
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis>=4.3,<5"
fi

bin=$(swift build --show-bin-path)
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
gateway_port=$(free_port) stream_port=$(free_port) worker_port=$(free_port)
export DATABASE_URL="sqlite:$work/db/tutorline.sqlite" SPOOL_DIR="$work/spool" LOG_LEVEL=warning
export STREAM_PUBLIC_URL="http://127.0.0.1:$stream_port" CORS_ORIGINS="http://127.0.0.1:$gateway_port"
export ANON_RATE_LIMIT=0 ANON_READ_RATE_LIMIT=0 USER_RATE_LIMIT=0 USER_MAX_ACTIVE_JOBS=0 OFFLINE_PACE_MS=1
"$bin/tutorline-gateway" migrate >/dev/null
"$bin/tutorline-worker" ingest content >/dev/null

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
PORT=$gateway_port "$bin/tutorline-gateway" >"$work/gateway.log" 2>&1 & pids+=($!)
PORT=$worker_port "$bin/tutorline-worker" >"$work/worker.log" 2>&1 & pids+=($!)
PORT=$stream_port "$bin/tutorline-stream" >"$work/stream.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$gateway_port/readyz" >/dev/null 2>&1 && curl -fsS "http://127.0.0.1:$stream_port/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done

# The document as served, and a signed-in user (the embedded default's key).
curl -fsS "http://127.0.0.1:$gateway_port/openapi.yaml" -o "$work/openapi.yaml"
token=$("$bin/tutorline-gateway" token --sub fuzz-user)

# Every check schemathesis has, but one: positive_data_acceptance expects any schema-valid request
# to be accepted, and a session cursor is opaque (only a nextCursor the server returned is valid;
# any other is rightly a 400), so a generated cursor can never pass it.
checks="${SCHEMATHESIS_CHECKS:-all}"
# schemathesis keeps a cache in the folder it runs in: the temporary one, not the repository.
cd "$work"
excluded="${SCHEMATHESIS_EXCLUDED_CHECKS:-positive_data_acceptance}"
status=0
echo "schemathesis: the gateway's operations, ${budget} s"
"$venv/bin/st" run "$work/openapi.yaml" --url "http://127.0.0.1:$gateway_port" --checks "$checks" --exclude-checks "$excluded" \
  --exclude-path-regex '/stream/' -H "Authorization: Bearer $token" \
  --max-time "$budget" --request-timeout 10 --no-color --seed 1 || status=$?
# The streams are the stream service's, on its own origin; a fuzzed job id is a 404 or a 400 there
# (no token of a real job can be generated), and the 200 stream itself is tested end to end.
echo "schemathesis: the stream service's operations, ${budget} s"
"$venv/bin/st" run "$work/openapi.yaml" --url "http://127.0.0.1:$stream_port" --checks "$checks" --exclude-checks "$excluded" \
  --include-path-regex '/stream/' --phases examples,coverage,fuzzing \
  --max-time "$budget" --request-timeout 10 --no-color --seed 1 || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- gateway log (tail)"; tail -n 40 "$work/gateway.log"
  echo "--- stream log (tail)"; tail -n 40 "$work/stream.log"
fi
exit "$status"
