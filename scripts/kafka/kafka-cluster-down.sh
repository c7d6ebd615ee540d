#!/usr/bin/env bash
# kafka-cluster-down.sh DIR [--kill]
#
# Stops every node of the cluster kafka-cluster-up.sh started from DIR with
# kafka-down.sh (SIGTERM, SIGKILL after KAFKA_STOP_TIMEOUT; --kill: SIGKILL at once).
# All nodes are signalled at once: stopped one after another, the last one would
# wait out its timeout, because its controlled shutdown needs a controller quorum
# that left with the others. Nodes already stopped are skipped. Data is kept, so
# KAFKA_KEEP_DATA=1 kafka-cluster-up.sh DIR BASEPORT brings the cluster back.
# Exit 0 when no node is left running from DIR.
set -euo pipefail
KLOG_NAME=kafka-cluster-down
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=cluster-lib.sh
. "$KAFKA_SCRIPTS_DIR/cluster-lib.sh"

case $# in
  1) MODE=() ;;
  2) [ "$2" = --kill ] || { echo "usage: $0 DIR [--kill]" >&2; exit 2; }; MODE=(--kill) ;;
  *) echo "usage: $0 DIR [--kill]" >&2; exit 2 ;;
esac
pids=()
for id in "${KAFKA_CLUSTER_NODES[@]}"; do
  node=$(cluster_node_dir "$1" "$id")
  [ -d "$node" ] || continue
  "$KAFKA_SCRIPTS_DIR/kafka-down.sh" "$node" "${MODE[@]}" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit "$status"
