#!/usr/bin/env bash
# redis-down.sh DIR [--kill]
#
# Stops the redis-server that redis-up.sh started from DIR: SIGTERM, then
# SIGKILL after REDIS_STOP_TIMEOUT seconds (default 10). --kill sends SIGKILL at
# once (a crash, for fail-open tests). Checks that the pid really is a
# redis-server before signalling it. Exits 0 when nothing was running.
set -euo pipefail
log() { printf 'redis-down: %s\n' "$*" >&2; }
# shellcheck source=lib/stop-pid.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/stop-pid.sh"

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 DIR [--kill]" >&2; exit 2; }
DIR=$1
SIGNAL=TERM
[ "${2:-}" = --kill ] && SIGNAL=KILL
[ -z "${2:-}" ] || [ "$2" = --kill ] || { echo "usage: $0 DIR [--kill]" >&2; exit 2; }
PIDFILE="$DIR/redis.pid"
[ -f "$PIDFILE" ] || { log "no $PIDFILE; nothing to stop"; exit 0; }
PID=$(cat "$PIDFILE" 2>/dev/null || true)
if ! pid_runs "$PID" redis-server; then
  log "pid ${PID:-?} in $PIDFILE is not a running redis-server; nothing to stop"
  rm -f "$PIDFILE"
  exit 0
fi
stop_pid "$PID" "$SIGNAL" "${REDIS_STOP_TIMEOUT:-10}" redis-server
rm -f "$PIDFILE"
log "stopped redis-server (pid $PID, SIG$SIGNAL)"
