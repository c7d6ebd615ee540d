#!/usr/bin/env bash
# redis-cluster-down.sh DIR
#
# Stops every redis-server that redis-cluster-up.sh started from DIR (one per
# DIR/<port>/redis.pid): SIGTERM, then SIGKILL after REDIS_STOP_TIMEOUT seconds
# (default 10). Checks that each pid really is a redis-server before
# signalling it. Exits 0 when nothing was running. Leaves DIR in place.
set -euo pipefail
log() { printf 'redis-cluster-down: %s\n' "$*" >&2; }

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
DIR=$1
is_redis_pid() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q 'redis-server'; }

stopped=()
shopt -s nullglob
for pidfile in "$DIR"/*/redis.pid; do
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [[ $pid =~ ^[0-9]+$ ]] && is_redis_pid "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    stopped+=("$pid")
  fi
done
deadline=$((SECONDS + ${REDIS_STOP_TIMEOUT:-10}))
for pid in "${stopped[@]}"; do
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "pid $pid still alive after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.05
  done
done
rm -f "$DIR"/*/redis.pid
log "stopped ${#stopped[@]} redis-server process(es) from $DIR (pids: ${stopped[*]:-none})"
