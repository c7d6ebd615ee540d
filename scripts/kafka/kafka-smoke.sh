#!/usr/bin/env bash
# kafka-smoke.sh DIR PORT
#
# End-to-end check of these scripts on this machine (takes about a minute):
#   1. kafka-up.sh on a fresh DIR (topics created)
#   2. produce a small record and a 3 MB record to events_plugin_ingestion, read both back
#   3. produce a 3 MB record to a topic the broker auto-creates (broker defaults)
#   4. kafka-down.sh (SIGTERM), KAFKA_KEEP_DATA=1 kafka-up.sh, read the old records again
#   5. kafka-down.sh --kill (crash), KAFKA_KEEP_DATA=1 kafka-up.sh, read them again
#   6. kafka-down.sh
# Leaves no broker running (also on failure). Prints "kafka smoke: OK" at the end.
set -euo pipefail
KLOG_NAME=kafka-smoke
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 DIR PORT" >&2; exit 2; }
DIR=$1 PORT=$2
UP="$KAFKA_SCRIPTS_DIR/kafka-up.sh"
DOWN="$KAFKA_SCRIPTS_DIR/kafka-down.sh"
trap '"$DOWN" "$DIR" || true' EXIT

timed() { local t0=$SECONDS; "$@"; klog "  ($((SECONDS - t0))s: ${*##*/})"; }

klog "1. fresh start"
t0=$SECONDS
B=$("$UP" "$DIR" "$PORT" | tail -n 1)
klog "  bootstrap $B, cold/fresh start took $((SECONDS - t0))s"
[ "$B" = "127.0.0.1:$PORT" ] || kdie "kafka-up printed '$B'"

kafka_resolve_libs
kafka_build_tool
TOPIC=events_plugin_ingestion
KEY="smoke-$$-$RANDOM"

klog "2. produce + consume on $TOPIC"
kafka_tool produce "$B" "$TOPIC" "$KEY" "hello from kafka-smoke" >&2
kafka_tool produce "$B" "$TOPIC" "$KEY-big" --size 3000000 >&2
check_old() {
  local out
  out=$(kafka_tool consume "$B" "$TOPIC" 2 30) || kdie "could not read back the records"
  grep -q " $KEY 22 hello from kafka-smoke" <<<"$out" || { printf '%s\n' "$out" >&2; kdie "small record missing"; }
  grep -q " $KEY-big 3000000 " <<<"$out" || { printf '%s\n' "$out" >&2; kdie "3 MB record missing"; }
  klog "  both records read back"
}
check_old

klog "3. 3 MB record to an auto-created topic"
kafka_tool produce "$B" "smoke_autocreated_$$" "$KEY" --size 3000000 >&2

klog "4. clean stop, restart with kept data"
timed "$DOWN" "$DIR"
t0=$SECONDS
B=$(KAFKA_KEEP_DATA=1 "$UP" "$DIR" "$PORT" | tail -n 1)
klog "  warm restart took $((SECONDS - t0))s"
check_old

klog "5. crash (SIGKILL), restart with kept data"
timed "$DOWN" "$DIR" --kill
t0=$SECONDS
B=$(KAFKA_KEEP_DATA=1 "$UP" "$DIR" "$PORT" | tail -n 1)
klog "  restart after crash took $((SECONDS - t0))s"
check_old

klog "6. stop"
timed "$DOWN" "$DIR"
trap - EXIT
echo "kafka smoke: OK"
