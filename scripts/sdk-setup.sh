#!/usr/bin/env bash
# Installs what the SDK acceptance suite (`npm run test:sdk`, test/sdk/) needs, on a fresh machine
# or again on a set-up one (every step checks first, so a rerun takes seconds):
#   1. Chromium from Debian (/usr/bin/chromium), driven by the pinned playwright-core
#   2. a Python venv in .tmp/sdk-venv with posthog-python pinned in test/sdk/python/requirements.txt
#   3. posthog-go (pinned in test/sdk/go/go.mod + go.sum) from the Go module proxy, and the
#      driver built once so the Go build cache is warm (the first build takes ~20 s on 2 cores)
#   4. the pinned npm devDependencies (posthog-node, posthog-js, playwright-core)
# Needs root for apt-get (as on the project's machines). Env: SDK_VENV, PYTHON, GO.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${SDK_VENV:-.tmp/sdk-venv}
PYTHON=${PYTHON:-python3}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
APT_UPDATED=0

step() {
  local name=$1 started=$SECONDS
  shift
  echo "== sdk-setup: ${name}"
  "$@"
  echo "   ${name}: done in $((SECONDS - started)) s"
}

apt_install() {
  if [ "$APT_UPDATED" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

chromium_step() {
  if [ -x /usr/bin/chromium ]; then
    echo "   already installed: $(/usr/bin/chromium --version 2>/dev/null)"
  else
    apt_install chromium
    /usr/bin/chromium --version 2>/dev/null
  fi
}

python_step() {
  if ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV" 2>/dev/null || { apt_install python3-venv && "$PYTHON" -m venv "$VENV"; }
  fi
  # Already-satisfied pins need no network; a changed pin upgrades in place.
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r test/sdk/python/requirements.txt
  "$VENV/bin/python" -c 'import posthog.version as v; print("   posthog-python", v.VERSION)'
}

go_step() {
  (
    cd test/sdk/go
    GOFLAGS=-mod=readonly "$GO" mod download
    mkdir -p ../../../.tmp/sdk
    GOFLAGS=-mod=readonly "$GO" build -o ../../../.tmp/sdk/posthog-go-driver .
    echo "   posthog-go $("$GO" list -m -f '{{.Version}}' github.com/posthog/posthog-go) with $("$GO" env GOVERSION)"
  )
}

npm_step() {
  if node -e "for (const p of ['posthog-node', 'posthog-js', 'playwright-core']) require('fs').accessSync('node_modules/' + p + '/package.json')" 2>/dev/null; then
    echo "   already installed"
  elif [ -d node_modules ]; then
    npm install --no-audit --no-fund
  else
    npm ci --no-audit --no-fund
  fi
}

step "chromium (Debian package)" chromium_step
step "python venv ${VENV}" python_step
step "posthog-go modules and driver" go_step
step "npm devDependencies" npm_step
echo "== sdk-setup: ready; run: npm run test:sdk"
