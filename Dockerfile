# capture's container image (docs/container.md).
#
#   podman build -t posthog-capture:0.2.0 .             # or docker build
#
# Two stages on Debian 12 with Node.js 20. BUILD_BASE must have Node with its
# headers and npm; RUNTIME_BASE Node. The defaults are the official images;
# scripts/container/base-images.sh makes local equivalents where no registry
# is reachable (scripts/container/build-and-run.sh passes them).
ARG BUILD_BASE=docker.io/library/node:20-bookworm
ARG RUNTIME_BASE=docker.io/library/node:20-bookworm-slim

FROM ${BUILD_BASE} AS build
# Build dependencies of the Kafka client, installed when the base lacks them.
RUN dpkg -s libzstd-dev liblz4-dev libsasl2-dev libssl-dev python3 make g++ >/dev/null 2>&1 \
 || (apt-get update && apt-get install -y --no-install-recommends libzstd-dev liblz4-dev libsasl2-dev libssl-dev python3 make g++ \
     && rm -rf /var/lib/apt/lists/*)
# Built where it runs: the Kafka addon links librdkafka by absolute path.
WORKDIR /opt/posthog-capture
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY native ./native
COPY bin ./bin
COPY src ./src
# The debug UI's page, script and stylesheet (served only when DEBUG_UI_TOKEN is set).
COPY assets ./assets
# Served at GET /openapi.json (read from ../../docs relative to dist/http).
COPY docs/openapi.json ./docs/openapi.json
# Extra `npm ci` flags, e.g. --offline with a pre-filled cache mounted at /root/.npm.
ARG NPM_CI_FLAGS=
# The documented install with Kafka support (fails loudly), then drop the dev dependencies.
RUN npm run install:kafka -- ${NPM_CI_FLAGS} \
 && npm prune --omit=dev ${NPM_CI_FLAGS} --no-audit --no-fund \
 && rm -rf src native/kafka-batch/*.c

FROM ${RUNTIME_BASE}
RUN dpkg -s libzstd1 liblz4-1 libsasl2-2 libssl3 ca-certificates >/dev/null 2>&1 \
 || (apt-get update && apt-get install -y --no-install-recommends libzstd1 liblz4-1 libsasl2-2 libssl3 ca-certificates \
     && rm -rf /var/lib/apt/lists/*)
RUN groupadd --system --gid 10001 capture \
 && useradd --system --uid 10001 --gid capture --home-dir /var/lib/posthog-capture --shell /usr/sbin/nologin capture \
 && install -d -o capture -g capture -m 750 /var/lib/posthog-capture
WORKDIR /opt/posthog-capture
COPY --from=build /opt/posthog-capture /opt/posthog-capture
RUN ln -s /opt/posthog-capture/bin/posthog-capture.js /usr/local/bin/posthog-capture
ENV NODE_ENV=production \
    ADDRESS=0.0.0.0:3000 \
    DATA_DIR=/var/lib/posthog-capture \
    WORKERS=1
# The local log, or the Kafka spool: keep it on a volume.
VOLUME ["/var/lib/posthog-capture"]
EXPOSE 3000
USER capture:capture
# Readiness: 503 while starting, draining, or when nothing can be written.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const p=(process.env.ADDRESS||'').split(':').pop()||'3000';fetch('http://127.0.0.1:'+p+'/_readiness').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]
# The server itself as PID 1 (exec form): SIGTERM drains and exits 0.
ENTRYPOINT ["node", "/opt/posthog-capture/dist/main.js"]
