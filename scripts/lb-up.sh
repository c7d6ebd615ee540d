#!/usr/bin/env bash
# lb-up.sh DIR PORT BACKEND_PORT...
#
# Starts haproxy on 127.0.0.1:PORT in front of capture instances listening on
# 127.0.0.1:BACKEND_PORT (one or more), for tests and as a worked example for
# operators (docs/scaling.md). Writes DIR/haproxy.cfg, runs haproxy in the
# foreground of a background job with its log in DIR/haproxy.log and its pid
# in DIR/haproxy.pid, and a stats socket at DIR/haproxy.sock ("show stat").
# Installs Debian's haproxy first when it is missing (CI machines are fresh).
# Returns once a request through the balancer reaches a ready instance
# (GET /_readiness answers 200); the last stdout line is the URL, so
#   LB_URL=$(scripts/lb-up.sh "$TMPDIR/lb" 18080 3001 3002 3003)   works.
#
# The configuration (see docs/scaling.md for why each line is there):
# - round robin; HTTP health check GET /_readiness every LB_CHECK_INTERVAL_MS
#   (default 1000), an instance is taken out after LB_CHECK_FALL (2) failures
#   in a row and put back after LB_CHECK_RISE (2) successes;
# - keep-alive to the instances, X-Forwarded-For added (run capture with
#   TRUST_PROXY_HEADERS=127.0.0.1 to believe it);
# - a request whose connection fails, or whose instance closes without
#   answering (killed mid-request), is retried once on another instance:
#   the same thing an SDK does after a 502, and de-duplication makes it safe;
# - bodies up to 26 MiB are streamed, not buffered; capture answers 413 itself.
#
# Environment: LB_CHECK_INTERVAL_MS, LB_CHECK_FALL, LB_CHECK_RISE,
# LB_SERVER_TIMEOUT_S (longest wait for a reply, default 60: a 200 waits for
# fsync or Kafka's acks=all), LB_RETRY_ON (haproxy's retry-on list, default
# "conn-failure empty-response"; "none" turns retries off), LB_START_TIMEOUT
# (seconds to wait, default 20).
set -euo pipefail
log() { printf 'lb-up: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ $# -ge 3 ] || { echo "usage: $0 DIR PORT BACKEND_PORT..." >&2; exit 2; }
is_port() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge 1024 ] && [ "$1" -le 65535 ]; }
DIR_ARG=$1
PORT=$2
is_port "$PORT" || die "PORT must be 1024..65535"
shift 2
BACKENDS=("$@")
for backend in "${BACKENDS[@]}"; do is_port "$backend" || die "BACKEND_PORT $backend must be 1024..65535"; done
mkdir -p "$DIR_ARG"
DIR=$(cd "$DIR_ARG" && pwd)
INTERVAL=${LB_CHECK_INTERVAL_MS:-1000}
FALL=${LB_CHECK_FALL:-2}
RISE=${LB_CHECK_RISE:-2}
SERVER_TIMEOUT=${LB_SERVER_TIMEOUT_S:-60}
TIMEOUT=${LB_START_TIMEOUT:-20}
RETRY_ON=${LB_RETRY_ON:-conn-failure empty-response}
retry_words='^[a-z0-9 -]+$'
[[ $RETRY_ON =~ $retry_words ]] || die "LB_RETRY_ON must be a list of haproxy retry-on keywords (got '$RETRY_ON')"
for value in "$INTERVAL" "$FALL" "$RISE" "$SERVER_TIMEOUT" "$TIMEOUT"; do
  [[ $value =~ ^[1-9][0-9]*$ ]] || die "LB_* settings must be positive integers (got '$value')"
done

HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
if [ ! -x "$HAPROXY" ]; then
  log "haproxy not found; installing the Debian package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq haproxy >&2
  HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
fi

is_haproxy_pid() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q 'haproxy'; }
if [ -f "$DIR/haproxy.pid" ]; then
  old=$(cat "$DIR/haproxy.pid" 2>/dev/null || true)
  if [[ $old =~ ^[0-9]+$ ]] && is_haproxy_pid "$old"; then
    die "a haproxy is already running from $DIR (pid $old); run lb-down.sh $DIR first"
  fi
  rm -f "$DIR/haproxy.pid"
fi
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_busy "$PORT" && die "port $PORT on 127.0.0.1 is already in use"

{
  cat <<EOF
# Written by scripts/lb-up.sh; docs/scaling.md explains each setting.
global
    maxconn 4096
    stats socket $DIR/haproxy.sock mode 600 level admin
    log stdout format raw local0 info

defaults
    mode http
    log global
    option httplog
    # Log only errors, retries and redispatches, not every request.
    option dontlog-normal
    option forwardfor
    option http-keep-alive
    timeout connect 2s
    timeout client 30s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout queue 5s
    timeout server ${SERVER_TIMEOUT}s
    # Idle keep-alive connections to an instance are closed after 5 s, well
    # before capture's own HTTP_KEEP_ALIVE_TIMEOUT_MS (65 s), so haproxy never
    # reuses a connection the instance is closing.
    retries 1
    option redispatch 1
    retry-on $RETRY_ON

frontend capture
    bind 127.0.0.1:$PORT
    default_backend instances

backend instances
    balance roundrobin
    http-reuse safe
    option httpchk
    http-check send meth GET uri /_readiness
    http-check expect status 200
    default-server check inter ${INTERVAL}ms fastinter $(( (INTERVAL + 3) / 4 ))ms downinter ${INTERVAL}ms fall $FALL rise $RISE pool-purge-delay 5s on-marked-down shutdown-sessions
EOF
  n=0
  for backend in "${BACKENDS[@]}"; do
    n=$((n + 1))
    echo "    server capture$n 127.0.0.1:$backend"
  done
} >"$DIR/haproxy.cfg"

"$HAPROXY" -c -q -f "$DIR/haproxy.cfg" >&2 || die "haproxy rejected $DIR/haproxy.cfg"
# Foreground mode (-db) in a background job, so the log goes to a file of ours.
nohup "$HAPROXY" -db -f "$DIR/haproxy.cfg" >"$DIR/haproxy.log" 2>&1 </dev/null &
echo $! >"$DIR/haproxy.pid"

deadline=$((SECONDS + TIMEOUT))
until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/_readiness" || true)" = 200 ]; do
  if ! kill -0 "$(cat "$DIR/haproxy.pid")" 2>/dev/null; then
    tail -n 20 "$DIR/haproxy.log" >&2 || true
    rm -f "$DIR/haproxy.pid"
    die "haproxy exited; see $DIR/haproxy.log"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    tail -n 20 "$DIR/haproxy.log" >&2 || true
    # A failed start leaves nothing running behind it.
    kill -KILL "$(cat "$DIR/haproxy.pid")" 2>/dev/null || true
    rm -f "$DIR/haproxy.pid"
    die "no ready instance behind 127.0.0.1:$PORT within ${TIMEOUT}s; haproxy stopped"
  fi
  sleep 0.1
done
log "haproxy $("$HAPROXY" -v | sed -n '1s/^HAProxy version \([^ ]*\).*/\1/p') on 127.0.0.1:$PORT in front of ${#BACKENDS[@]} instance(s) (pid $(cat "$DIR/haproxy.pid"))"
echo "http://127.0.0.1:$PORT"
