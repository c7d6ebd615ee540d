#!/usr/bin/env bash
# Installs capture with Kafka support: `npm run install:kafka` (or run this file).
#
# The Kafka client (@confluentinc/kafka-javascript, librdkafka) is an optional
# native dependency, so a plain `npm ci` drops it without a word when it cannot
# be built. This script builds it the way CI does and fails loudly instead:
#   1. checks the build tools and libraries (zstd, lz4, SASL, OpenSSL headers,
#      python3, make, a C++ compiler); as root with apt-get it installs what is
#      missing, otherwise it stops and prints the apt-get command to run;
#   2. `CKJS_LINKING=dynamic npm ci`: librdkafka built against those system
#      libraries, with the installed Node's headers (nothing is downloaded);
#   3. loads the client, and builds capture's Kafka batch addon (build:native).
# Extra arguments are passed to `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'install-kafka: %s\n' "$*"; }
die() { printf 'install-kafka: FAILED: %s\n' "$*" >&2; exit 1; }

PACKAGES=(libzstd-dev liblz4-dev libsasl2-dev libssl-dev python3 make g++)

missing_packages() {
  local missing=()
  [ -e /usr/include/zstd.h ] || missing+=(libzstd-dev)
  [ -e /usr/include/lz4.h ] || missing+=(liblz4-dev)
  [ -e /usr/include/sasl/sasl.h ] || missing+=(libsasl2-dev)
  [ -e /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
  command -v python3 >/dev/null || missing+=(python3)
  command -v make >/dev/null || missing+=(make)
  command -v g++ >/dev/null || missing+=(g++)
  echo "${missing[@]:-}"
}

missing=$(missing_packages)
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing build dependencies: $missing"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing >/dev/null || { apt-get update -qq && apt-get install -y -qq $missing >/dev/null; } \
      || die "apt-get could not install: $missing"
  else
    die "missing build dependencies: $missing. Install them (Debian/Ubuntu: sudo apt-get install -y ${PACKAGES[*]}) and run this again."
  fi
fi

# node-gyp must compile against the running Node's headers; point it at them
# when they are installed next to node (Debian's nodejs, the official tarballs).
if [ -z "${npm_config_nodedir:-}" ]; then
  nodedir=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  [ -e "$nodedir/include/node/node_api.h" ] && export npm_config_nodedir="$nodedir"
fi

say "npm ci with the Kafka client built from source (about a minute)"
CKJS_LINKING=dynamic npm ci --no-audit --no-fund "$@"

# npm ignores a failed build of an optional dependency; this is the loud part.
if ! version=$(node -e "console.log(require('@confluentinc/kafka-javascript').librdkafkaVersion)" 2>&1); then
  printf '%s\n' "$version" >&2
  die "the Kafka client @confluentinc/kafka-javascript did not build (see the npm output above)."
fi
npm run --silent build:native || die "capture's Kafka batch addon did not build (see above)."
say "done: Kafka client with librdkafka $version and the batch addon. Start with KAFKA_HOSTS=HOST:9092 npm start"
