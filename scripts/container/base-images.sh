#!/usr/bin/env bash
# Assembles the two base images the Dockerfile builds on, locally, for machines
# that reach no container registry (docs/container.md):
#
#   localhost/posthog-capture-base:run    Debian 12 minbase + the runtime libraries
#                                         of the Kafka client + Node.js 20
#   localhost/posthog-capture-base:build  the same + compilers and -dev packages
#
# The root file systems come from debootstrap and the apt mirror this machine
# uses; Node.js (binary, npm, headers) is copied from this host, since Debian 12
# ships Node 18. Each image is imported with `podman import`. Images that exist
# already are kept (FORCE=1 rebuilds).
#
#   scripts/container/base-images.sh [WORKDIR]
set -euo pipefail
WORK=${1:-/var/tmp/posthog-capture-base}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
RUN_IMAGE=localhost/posthog-capture-base:run
BUILD_IMAGE=localhost/posthog-capture-base:build
RUN_PACKAGES=ca-certificates,libzstd1,liblz4-1,libsasl2-2,libssl3,libstdc++6
BUILD_PACKAGES="libzstd-dev liblz4-dev libsasl2-dev libssl-dev python3 make g++"

say() { printf 'base-images: %s\n' "$*" >&2; }
exists() { podman image exists "$1"; }

if [ "${FORCE:-0}" != 1 ] && exists "$RUN_IMAGE" && exists "$BUILD_IMAGE"; then
  say "$RUN_IMAGE and $BUILD_IMAGE exist (FORCE=1 to rebuild)"
  exit 0
fi

NODE=$(readlink -f "$(command -v node)")
PREFIX=$(dirname "$(dirname "$NODE")")
NODE_VERSION=$("$NODE" --version)
case "$NODE_VERSION" in v2[0-9].*|v[3-9][0-9].*) ;; *) say "host Node $NODE_VERSION is older than 20"; exit 1 ;; esac
[ -d "$PREFIX/lib/node_modules/npm" ] || { say "no npm next to $NODE"; exit 1; }
[ -e "$PREFIX/include/node/node_api.h" ] || { say "no Node headers in $PREFIX/include/node"; exit 1; }

ROOT="$WORK/root"
rm -rf "$ROOT" && mkdir -p "$WORK"
say "debootstrap $SUITE (minbase + $RUN_PACKAGES) from $MIRROR into $ROOT"
debootstrap --variant=minbase --include="$RUN_PACKAGES" "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
  || { tail -n 20 "$WORK/debootstrap.log" >&2; exit 1; }

say "copying Node.js $NODE_VERSION from $PREFIX"
mkdir -p "$ROOT/usr/local/bin" "$ROOT/usr/local/lib/node_modules" "$ROOT/usr/local/include"
cp "$NODE" "$ROOT/usr/local/bin/node"
cp -a "$PREFIX/lib/node_modules/npm" "$ROOT/usr/local/lib/node_modules/npm"
cp -a "$PREFIX/include/node" "$ROOT/usr/local/include/node"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/usr/local/bin/npx"
chroot "$ROOT" /usr/local/bin/node --version >/dev/null || { say "node does not run in the new root"; exit 1; }
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*

import() { # root image-name
  say "podman import → $2"
  tar --numeric-owner -C "$1" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' - "$2" >/dev/null
}
import "$ROOT" "$RUN_IMAGE"

say "adding the build packages: $BUILD_PACKAGES"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
mount --bind /proc "$ROOT/proc"
trap 'umount "$ROOT/proc" 2>/dev/null || true' EXIT
# shellcheck disable=SC2086
chroot "$ROOT" /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $BUILD_PACKAGES >/dev/null && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb"
umount "$ROOT/proc"
trap - EXIT
import "$ROOT" "$BUILD_IMAGE"
podman images --filter reference='localhost/posthog-capture-base' >&2
