# One runtime image with the three executables; each compose service picks its command.
ARG SWIFT_IMAGE=swift:6.3-bookworm

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# Dependencies first, so that a source change does not fetch them again.
COPY Package.swift ./
RUN swift package resolve
COPY Shared Shared
COPY Services Services
COPY Benchmarks Benchmarks
COPY Tests Tests
RUN swift build -c release --static-swift-stdlib --product tutorline-gateway \
 && swift build -c release --static-swift-stdlib --product tutorline-worker \
 && swift build -c release --static-swift-stdlib --product tutorline-stream \
 && mkdir -p /staging/bin \
 && cp "$(swift build -c release --show-bin-path)"/tutorline-gateway "$(swift build -c release --show-bin-path)"/tutorline-worker \
       "$(swift build -c release --show-bin-path)"/tutorline-stream /staging/bin/
COPY content /staging/content

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl libsqlite3-0 tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app tutorline \
 && mkdir -p /app /spool && chown tutorline /spool
COPY --from=build /staging/bin/ /usr/local/bin/
COPY --from=build /staging/content /app/content
WORKDIR /app
USER tutorline
ENV HOST=0.0.0.0 LOG_FORMAT=json SPOOL_DIR=/spool
EXPOSE 8080 8081 8082
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s CMD curl -fsS "http://127.0.0.1:${PORT:-8080}/healthz" || exit 1
CMD ["tutorline-gateway"]
