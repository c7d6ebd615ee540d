#!/usr/bin/env bash
# lb-down.sh DIR
#
# Stops the haproxy that lb-up.sh started from DIR: SIGUSR1 (haproxy's soft
# stop: it stops listening and lets requests in progress finish), then SIGKILL
# after LB_STOP_TIMEOUT seconds (default 10). Checks that the pid really is a
# haproxy before signalling it. Exits 0 when nothing was running.
set -euo pipefail
log() { printf 'lb-down: %s\n' "$*" >&2; }
# shellcheck source=lib/stop-pid.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/stop-pid.sh"

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
DIR=$1
PIDFILE="$DIR/haproxy.pid"
[ -f "$PIDFILE" ] || { log "no $PIDFILE; nothing to stop"; exit 0; }
PID=$(cat "$PIDFILE" 2>/dev/null || true)
if ! pid_runs "$PID" haproxy; then
  log "pid ${PID:-?} in $PIDFILE is not a running haproxy; nothing to stop"
  rm -f "$PIDFILE"
  exit 0
fi
stop_pid "$PID" USR1 "${LB_STOP_TIMEOUT:-10}" haproxy
rm -f "$PIDFILE"
log "stopped haproxy (pid $PID)"
