#!/usr/bin/env bash
# Builds capture's container image with podman on a machine that reaches no
# registry, starts it, sends an event and reads it back (docs/container.md).
#
#   scripts/container/build-and-run.sh            # as root, from the checkout
#
# 1. podman, buildah, debootstrap from Debian's packages if missing;
# 2. the base images from a debootstrapped Debian root (base-images.sh);
# 3. `podman build` (docker format, which keeps HEALTHCHECK) of the Dockerfile against them, `npm ci --offline` from
#    this machine's npm cache (mounted into the build), no network;
# 4. `podman run` with the data directory on a named volume, wait for the
#    HEALTHCHECK (readiness), POST an event on 127.0.0.1, read it back with
#    `posthog-capture log read` inside the container, check the image's user,
#    entrypoint and healthcheck, then `podman stop` (SIGTERM) must exit 0.
# If podman cannot run a container here, the script says why (the exact
# error) and proves the image another way: the built image's root file system
# is exported and its entrypoint is run with chroot as the image's user
# (same event round trip). Exit 0 = the round trip worked one way or the other;
# the last line says which.
set -euo pipefail
cd "$(dirname "$0")/../.."
IMAGE=${IMAGE:-localhost/posthog-capture:$(node -p "require('./package.json').version")}
NAME=posthog-capture-roundtrip-$$
VOLUME=$NAME-data
WORK=$(mktemp -d /var/tmp/posthog-capture-container.XXXXXX)
PORT=${PORT:-13000}
say() { printf '\n=== container: %s\n' "$*" >&2; }

cleanup() {
  set +e
  podman rm -f "$NAME" >/dev/null 2>&1
  podman volume rm -f "$VOLUME" >/dev/null 2>&1
  [ -n "${CHROOT_PID:-}" ] && kill "$CHROOT_PID" 2>/dev/null
  mountpoint -q "$WORK/rootfs/proc" && umount "$WORK/rootfs/proc"
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null; then
  say "installing podman, buildah, debootstrap (Debian packages)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah debootstrap >/dev/null
fi

say "base images"
scripts/container/base-images.sh

# What podman needs to run a container on this machine. The defaults first;
# on the project's machines (cgroups v1/hybrid, no CAP_SYS_RESOURCE) crun fails
# with "setrlimit `RLIMIT_NOFILE`: Operation not permitted" and, with lower
# ulimits, "cgroups in hybrid mode not supported": runc (Debian package) and
# ulimits at or below this shell's work there. Every error is printed.
say "probing how podman can run a container here"
RUN_FLAGS=()
probe() { podman "$@" run --rm localhost/posthog-capture-base:run node --version >/dev/null 2>"$WORK/probe.err"; }
ULIMITS=(--ulimit "nofile=$(ulimit -n):$(ulimit -Hn)" --ulimit "nproc=4096:4096")
if probe; then
  RUNTIME=()
else
  echo "podman run (defaults): $(cat "$WORK/probe.err")" >&2
  command -v runc >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runc >/dev/null || true
  RUNTIME=(--runtime runc)
  RUN_FLAGS=("${ULIMITS[@]}")
  if ! podman "${RUNTIME[@]}" run --rm "${RUN_FLAGS[@]}" localhost/posthog-capture-base:run node --version >/dev/null 2>"$WORK/probe.err"; then
    echo "podman --runtime runc run with lower ulimits: $(cat "$WORK/probe.err")" >&2
  fi
fi
echo "podman flags: ${RUNTIME[*]:-} ${RUN_FLAGS[*]:-}" >&2

say "podman build $IMAGE"
podman "${RUNTIME[@]}" build "${RUN_FLAGS[@]}" --format docker --network=none \
  --volume "${NPM_CACHE:-$HOME/.npm}:/root/.npm" \
  --build-arg BUILD_BASE=localhost/posthog-capture-base:build \
  --build-arg RUNTIME_BASE=localhost/posthog-capture-base:run \
  --build-arg NPM_CI_FLAGS=--offline \
  -t "$IMAGE" . 2>&1 | tail -n 25

say "image settings"
podman image inspect "$IMAGE" --format 'User={{.Config.User}} Entrypoint={{json .Config.Entrypoint}} Volumes={{json .Config.Volumes}} Healthcheck={{json .Config.Healthcheck}}' \
  | tee "$WORK/inspect.txt"
grep -q 'User=capture:capture' "$WORK/inspect.txt"
grep -q 'Entrypoint=\["node","/opt/posthog-capture/dist/main.js"\]' "$WORK/inspect.txt"
grep -q '_readiness' "$WORK/inspect.txt"

EVENT_ID="container-check-$(date +%s)-$$"
BODY="{\"api_key\":\"phc_container_check\",\"batch\":[{\"event\":\"container check\",\"distinct_id\":\"$EVENT_ID\"}]}"

roundtrip() { # base-url read-command...
  local url=$1; shift
  for _ in $(seq 1 100); do curl -fsS "$url/_readiness" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fsS "$url/_readiness" >/dev/null
  local reply
  reply=$(curl -sS "$url/batch/" -H 'Content-Type: application/json' -d "$BODY")
  echo "POST /batch/ → $reply" >&2
  [ "$reply" = '{"code":1,"status":"ok"}' ]
  "$@" | tee "$WORK/read.txt" | tail -n 1 >&2
  grep -q "\"distinct_id\":\"$EVENT_ID\"" "$WORK/read.txt"
}

say "podman run"
if podman "${RUNTIME[@]}" run "${RUN_FLAGS[@]}" -d --name "$NAME" -p "127.0.0.1:$PORT:3000" -v "$VOLUME:/var/lib/posthog-capture" "$IMAGE" >"$WORK/run.out" 2>"$WORK/run.err"; then
  roundtrip "http://127.0.0.1:$PORT" podman "${RUNTIME[@]}" exec "$NAME" posthog-capture log read
  for _ in $(seq 1 30); do podman "${RUNTIME[@]}" healthcheck run "$NAME" >/dev/null 2>&1 && break; sleep 1; done
  podman "${RUNTIME[@]}" healthcheck run "$NAME" && echo "HEALTHCHECK: healthy" >&2
  podman "${RUNTIME[@]}" stop -t 30 "$NAME" >/dev/null
  code=$(podman inspect "$NAME" --format '{{.State.ExitCode}}')
  podman logs "$NAME" 2>&1 | tail -n 3 >&2
  [ "$code" = 0 ] || { echo "exit code after SIGTERM: $code" >&2; exit 1; }
  echo "container: OK: podman built, ran and stopped $IMAGE (exit 0 on SIGTERM); the event went in over HTTP and came back out of the volume"
  exit 0
fi

echo "podman run failed on this machine:" >&2
cat "$WORK/run.err" >&2
say "fallback: the image's root file system, its entrypoint run with chroot as its user"
podman rm -f "$NAME" >/dev/null 2>&1 || true
mkdir -p "$WORK/rootfs" "$WORK/data"
podman create --name "$NAME" "$IMAGE" >/dev/null
podman export "$NAME" | tar -C "$WORK/rootfs" -x
chown 10001:10001 "$WORK/data"
mount --bind /proc "$WORK/rootfs/proc"
mkdir -p "$WORK/rootfs/var/lib/posthog-capture"
mount --bind "$WORK/data" "$WORK/rootfs/var/lib/posthog-capture"
env -i PATH=/usr/local/bin:/usr/bin:/bin NODE_ENV=production ADDRESS="127.0.0.1:$PORT" DATA_DIR=/var/lib/posthog-capture WORKERS=1 \
  chroot --userspec=10001:10001 "$WORK/rootfs" node /opt/posthog-capture/dist/main.js >"$WORK/server.log" 2>&1 &
CHROOT_PID=$!
roundtrip "http://127.0.0.1:$PORT" env -i PATH=/usr/local/bin:/usr/bin:/bin DATA_DIR=/var/lib/posthog-capture \
  chroot --userspec=10001:10001 "$WORK/rootfs" posthog-capture log read
kill -TERM "$CHROOT_PID"; code=0; wait "$CHROOT_PID" || code=$?; CHROOT_PID=
umount "$WORK/rootfs/var/lib/posthog-capture"
[ "$code" = 0 ] || { echo "entrypoint exit code after SIGTERM: $code" >&2; exit 1; }
echo "container: OK (fallback): podman built $IMAGE but could not run it here (above); its file system and entrypoint ran under chroot as uid 10001 and round-tripped an event"
