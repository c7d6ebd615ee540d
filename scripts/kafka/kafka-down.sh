#!/usr/bin/env bash
# kafka-down.sh DIR [--kill]
#
# Stops the broker that kafka-up.sh started from DIR (PID in DIR/kafka.pid).
# Default: SIGTERM, which runs Kafka's shutdown hook (clean shutdown, logs flushed
# and closed), then SIGKILL if it is still alive after KAFKA_STOP_TIMEOUT seconds
# (default 30). With --kill: SIGKILL at once, to simulate a crash. The data in DIR is
# kept either way, so `KAFKA_KEEP_DATA=1 kafka-up.sh DIR PORT` brings it back.
# Exit 0 when no broker is left running from DIR (also when none was running).
set -euo pipefail

log() { printf 'kafka-down: %s\n' "$*" >&2; }

case $# in
  1) MODE="term" ;;
  2) [ "$2" = --kill ] || { echo "usage: $0 DIR [--kill]" >&2; exit 2; }; MODE="kill" ;;
  *) echo "usage: $0 DIR [--kill]" >&2; exit 2 ;;
esac
DIR=$1
PIDFILE="$DIR/kafka.pid"
TIMEOUT=${KAFKA_STOP_TIMEOUT:-30}

if [ ! -f "$PIDFILE" ]; then
  log "no $PIDFILE: nothing to stop"
  exit 0
fi
PID=$(cat "$PIDFILE" 2>/dev/null || true)
if ! [[ $PID =~ ^[0-9]+$ ]] || ! kill -0 "$PID" 2>/dev/null; then
  log "pid ${PID:-?} is not running"
  rm -f "$PIDFILE"
  exit 0
fi
# Never signal a recycled PID: only a JVM whose command line runs kafka.Kafka.
cmdline=$(tr '\0' ' ' <"/proc/$PID/cmdline" 2>/dev/null || true)
if [[ $cmdline != *"kafka.Kafka "* ]]; then
  log "pid $PID is not a kafka.Kafka process; leaving it alone"
  rm -f "$PIDFILE"
  exit 0
fi

t0=$SECONDS
if [ "$MODE" = kill ]; then
  kill -KILL "$PID" 2>/dev/null || true
else
  kill -TERM "$PID" 2>/dev/null || true
fi
deadline=$((SECONDS + TIMEOUT))
while kill -0 "$PID" 2>/dev/null; do
  # Exited but not yet reaped by its parent (zombie leader, no other thread left:
  # only then are its sockets closed) counts as stopped.
  if [ "$(awk '{print $3}' "/proc/$PID/stat" 2>/dev/null)" = Z ] &&
     [ "$(find "/proc/$PID/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" -le 1 ]; then
    break
  fi
  if [ "$MODE" = term ] && [ "$SECONDS" -ge "$deadline" ]; then
    log "pid $PID still running after ${TIMEOUT}s; sending SIGKILL"
    kill -KILL "$PID" 2>/dev/null || true
    MODE="kill"
    deadline=$((SECONDS + 10))
  elif [ "$MODE" = kill ] && [ "$SECONDS" -ge "$deadline" ]; then
    log "ERROR: pid $PID survived SIGKILL"
    exit 1
  fi
  sleep 0.2
done
rm -f "$PIDFILE"
log "stopped pid $PID ($MODE, $((SECONDS - t0))s)"
