#!/usr/bin/env bash
# redis-up.sh DIR PORT
#
# Starts a throwaway redis-server on 127.0.0.1:PORT for tests and benchmarks:
# no persistence (no RDB, no AOF), daemonized, pid file DIR/redis.pid, log
# DIR/redis.log. Installs the Debian package first when redis-server is missing
# (CI machines are fresh). Returns once PING answers PONG; the last stdout line
# is the URL, so  REDIS_URL=$(scripts/redis-up.sh "$TMPDIR/redis" 16379)  works.
#
# Environment: REDIS_START_TIMEOUT (seconds to wait for PONG, default 20).
set -euo pipefail
log() { printf 'redis-up: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ $# -eq 2 ] || { echo "usage: $0 DIR PORT" >&2; exit 2; }
PORT=$2
[[ $PORT =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1024 ] && [ "$PORT" -le 65535 ] || die "PORT must be 1024..65535"
mkdir -p "$1"
DIR=$(cd "$1" && pwd)
TIMEOUT=${REDIS_START_TIMEOUT:-20}

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  log "redis-server not found; installing the Debian package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq redis-server >&2
fi

is_redis_pid() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q 'redis-server'; }
if [ -f "$DIR/redis.pid" ]; then
  old=$(cat "$DIR/redis.pid" 2>/dev/null || true)
  if [[ $old =~ ^[0-9]+$ ]] && is_redis_pid "$old"; then
    die "a redis-server is already running from $DIR (pid $old); run redis-down.sh $DIR first"
  fi
  rm -f "$DIR/redis.pid"
fi
# A server that was just killed may hold its port for a moment.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 1 40); do port_busy "$PORT" || break; sleep 0.25; done
port_busy "$PORT" && die "port $PORT on 127.0.0.1 is already in use"

redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --dir "$DIR" \
  || die "redis-server did not start; see $DIR/redis.log"

deadline=$((SECONDS + TIMEOUT))
until [ "$(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null || true)" = PONG ]; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    tail -n 20 "$DIR/redis.log" >&2 || true
    die "no PONG on 127.0.0.1:$PORT within ${TIMEOUT}s"
  fi
  sleep 0.1
done
log "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') ready on 127.0.0.1:$PORT (pid $(cat "$DIR/redis.pid"))"
echo "redis://127.0.0.1:$PORT"
