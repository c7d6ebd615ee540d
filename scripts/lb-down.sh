#!/usr/bin/env bash
# lb-down.sh DIR
#
# Stops the haproxy that lb-up.sh started from DIR: SIGUSR1 (haproxy's soft
# stop: it stops listening and lets requests in progress finish), then SIGKILL
# after LB_STOP_TIMEOUT seconds (default 10). Checks that the pid really is a
# haproxy before signalling it. Exits 0 when nothing was running.
set -euo pipefail
log() { printf 'lb-down: %s\n' "$*" >&2; }

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
DIR=$1
PIDFILE="$DIR/haproxy.pid"
[ -f "$PIDFILE" ] || { log "no $PIDFILE; nothing to stop"; exit 0; }
PID=$(cat "$PIDFILE" 2>/dev/null || true)
is_haproxy_pid() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q 'haproxy'; }
if ! [[ $PID =~ ^[0-9]+$ ]] || ! is_haproxy_pid "$PID"; then
  log "pid ${PID:-?} in $PIDFILE is not a running haproxy; nothing to stop"
  rm -f "$PIDFILE"
  exit 0
fi
kill -USR1 "$PID"
deadline=$((SECONDS + ${LB_STOP_TIMEOUT:-10}))
while kill -0 "$PID" 2>/dev/null && is_haproxy_pid "$PID"; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "pid $PID still alive after SIGUSR1; sending SIGKILL"
    kill -KILL "$PID" 2>/dev/null || true
    deadline=$((SECONDS + 5))
  fi
  sleep 0.05
done
rm -f "$PIDFILE"
log "stopped haproxy (pid $PID)"
