#!/usr/bin/env bash
# The container deployment, run for real: builds the image, brings compose.yaml up with three
# stream replicas and two workers on a free loopback port, checks it through the proxy
# (scripts/compose_smoke.py says what), runs the image alone on the embedded default, and removes
# the containers, networks and volumes it created. Built images stay, as the build cache.
#
# Needs a Docker engine (started here if none runs: Debian's docker.io) and compose (v2's
# `docker compose`, or Debian 12's docker-compose 1.29). Where no image registry is reachable,
# the base images come from ../shared/tools/container-standins (STANDINS_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || { echo "compose-smoke: no Docker engine (apt-get install docker.io)" >&2; exit 1; }
  echo "compose-smoke: starting dockerd"
  (dockerd >/tmp/tutorline-dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "compose-smoke: dockerd did not start" >&2; tail -20 /tmp/tutorline-dockerd.log >&2; exit 1; }
fi

# The base images the Dockerfile and compose.yaml name: pulled where a registry answers, built
# from Debian packages by the stand-in scripts otherwise (in this order: the others build on
# debian:bookworm-slim).
standins="${STANDINS_DIR:-../shared/tools/container-standins}"
for pair in debian:bookworm-slim=debian-bookworm-slim nginx:1.27-bookworm=nginx-1.27-bookworm \
            postgres:16-bookworm=postgres-16-bookworm swift:6.3-bookworm=swift-6.3-bookworm; do
  image=${pair%%=*} script=${pair#*=}
  docker image inspect "$image" >/dev/null 2>&1 && continue
  if timeout 60 docker pull -q "$image" >/dev/null 2>&1; then continue; fi
  [ -f "$standins/$script.sh" ] || { echo "compose-smoke: cannot pull $image and no stand-in at $standins" >&2; exit 1; }
  echo "compose-smoke: building the stand-in for $image (Debian packages)"
  # Debian 12 has no postgresql-15-pgvector package: the Postgres stand-in is built without it
  # (nothing here needs the extension yet).
  sed 's/ postgresql-15-pgvector//' "$standins/$script.sh" | sh >"/tmp/tutorline-standin-$script.log" 2>&1 \
    || { tail -30 "/tmp/tutorline-standin-$script.log" >&2; exit 1; }
done

if docker compose version >/dev/null 2>&1; then compose="docker compose"
elif command -v docker-compose >/dev/null; then compose="docker-compose"
else echo "compose-smoke: no compose (apt-get install docker-compose)" >&2; exit 1; fi

exec python3 scripts/compose_smoke.py --compose "$compose" "$@"
