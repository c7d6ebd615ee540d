#!/usr/bin/env bash
# redis-down.sh DIR [--kill]
#
# Stops the redis-server that redis-up.sh started from DIR: SIGTERM, then
# SIGKILL after REDIS_STOP_TIMEOUT seconds (default 10). --kill sends SIGKILL at
# once (a crash, for fail-open tests). Checks that the pid really is a
# redis-server before signalling it. Exits 0 when nothing was running.
set -euo pipefail
log() { printf 'redis-down: %s\n' "$*" >&2; }

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 DIR [--kill]" >&2; exit 2; }
DIR=$1
SIGNAL=TERM
[ "${2:-}" = --kill ] && SIGNAL=KILL
[ -z "${2:-}" ] || [ "$2" = --kill ] || { echo "usage: $0 DIR [--kill]" >&2; exit 2; }
PIDFILE="$DIR/redis.pid"
[ -f "$PIDFILE" ] || { log "no $PIDFILE; nothing to stop"; exit 0; }
PID=$(cat "$PIDFILE" 2>/dev/null || true)
is_redis_pid() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q 'redis-server'; }
if ! [[ $PID =~ ^[0-9]+$ ]] || ! is_redis_pid "$PID"; then
  log "pid ${PID:-?} in $PIDFILE is not a running redis-server; nothing to stop"
  rm -f "$PIDFILE"
  exit 0
fi
kill "-$SIGNAL" "$PID"
deadline=$((SECONDS + ${REDIS_STOP_TIMEOUT:-10}))
while kill -0 "$PID" 2>/dev/null; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "pid $PID still alive after SIGTERM; sending SIGKILL"
    kill -KILL "$PID" 2>/dev/null || true
    deadline=$((SECONDS + 5))
  fi
  sleep 0.05
done
rm -f "$PIDFILE"
log "stopped redis-server (pid $PID, SIG$SIGNAL)"
