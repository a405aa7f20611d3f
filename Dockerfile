# One runtime image with the three executables. Alone (`docker run`), it runs the whole system on
# the embedded default (SQLite in /app/.tutorline); compose runs one executable per service.
ARG SWIFT_IMAGE=swift:6.3-bookworm

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# Dependencies fetched in a layer of their own, so that a source change does not fetch them again.
# (Building them in a layer of their own, against empty stand-ins of the project's targets, was
# tried: the next layer built everything again all the same.)
COPY Package.swift ./
RUN swift package resolve
COPY Shared Shared
COPY Services Services
COPY Benchmarks Benchmarks
COPY Tests Tests
# Stripped: the symbols are half of each binary (about 190 MB unstripped, 90 MB stripped).
RUN for product in tutorline-gateway tutorline-worker tutorline-stream; do \
      swift build -c release --static-swift-stdlib --product "$product" || exit 1; \
    done \
 && mkdir -p /staging/bin \
 && bin="$(swift build -c release --show-bin-path)" \
 && cp "$bin/tutorline-gateway" "$bin/tutorline-worker" "$bin/tutorline-stream" /staging/bin/ \
 && strip /staging/bin/*
COPY content /staging/content
COPY deploy/tutorline-embedded.sh /staging/bin/tutorline-embedded

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl libsqlite3-0 tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app tutorline \
 && mkdir -p /app/.tutorline /spool && chown tutorline /app/.tutorline /spool
COPY --from=build /staging/bin/ /usr/local/bin/
COPY --from=build /staging/content /app/content
WORKDIR /app
USER tutorline
ENV HOST=0.0.0.0 LOG_FORMAT=json
EXPOSE 8080 8081 8082
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s CMD curl -fsS "http://127.0.0.1:${PORT:-8080}/healthz" || exit 1
# The embedded default: `docker run -v tutorline:/app/.tutorline -p 127.0.0.1:8080:8080 -p 127.0.0.1:8081:8081 tutorline`
CMD ["tutorline-embedded"]
