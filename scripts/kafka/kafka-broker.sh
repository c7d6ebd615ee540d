#!/usr/bin/env bash
# kafka-broker.sh DIR ID start|stop|kill|pid
#
# One node (ID 1..3) of the cluster kafka-cluster-up.sh started from DIR:
#   start  starts it again on its kept data and returns once it answers requests;
#          prints its address (127.0.0.1:PORT) as the last stdout line. Catching up
#          (back in the ISR of its partitions) happens after that: poll the metadata.
#   stop   SIGTERM (controlled shutdown: its partitions get other leaders first),
#          SIGKILL after KAFKA_STOP_TIMEOUT (30 s); the same as kafka-down.sh DIR/node-ID
#   kill   SIGKILL at once (a crash)
#   pid    prints the node's JVM pid; exit 1 if it is not running
# Environment for start: KAFKA_START_TIMEOUT (default 120), and the JVM variables of
# kafka-cluster-up.sh.
set -euo pipefail
KLOG_NAME=kafka-broker
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=cluster-lib.sh
. "$KAFKA_SCRIPTS_DIR/cluster-lib.sh"

[ $# -eq 3 ] || { echo "usage: $0 DIR ID start|stop|kill|pid" >&2; exit 2; }
DIR=$1 ID=$2
[[ " ${KAFKA_CLUSTER_NODES[*]} " == *" $ID "* ]] || kdie "ID must be one of ${KAFKA_CLUSTER_NODES[*]}"
NODE=$(cluster_node_dir "$DIR" "$ID")
case $3 in
  start)
    BASE=$(cluster_baseport "$DIR")
    [ -f "$NODE/data/meta.properties" ] || kdie "node $ID has no formatted storage in $NODE/data"
    kafka_resolve_libs
    t0=$SECONDS
    cluster_prepare_node "$DIR" "$BASE" "$ID"
    cluster_launch_node "$DIR" "$BASE" "$ID"
    if ! cluster_wait_node "$DIR" "$BASE" "$ID" $((SECONDS + ${KAFKA_START_TIMEOUT:-120})); then
      "$KAFKA_SCRIPTS_DIR/kafka-down.sh" "$NODE" --kill || true
      kdie "node $ID did not come back"
    fi
    klog "node $ID answers requests after $((SECONDS - t0))s"
    printf '127.0.0.1:%s\n' "$(cluster_port "$BASE" "$ID")"
    ;;
  stop) exec "$KAFKA_SCRIPTS_DIR/kafka-down.sh" "$NODE" ;;
  kill) exec "$KAFKA_SCRIPTS_DIR/kafka-down.sh" "$NODE" --kill ;;
  pid) cluster_node_pid "$DIR" "$ID" || { klog "node $ID is not running"; exit 1; } ;;
  *) echo "usage: $0 DIR ID start|stop|kill|pid" >&2; exit 2 ;;
esac
