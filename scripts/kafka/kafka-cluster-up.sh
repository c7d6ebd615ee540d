#!/usr/bin/env bash
# kafka-cluster-up.sh DIR BASEPORT
#
# Starts a 3-node Apache Kafka cluster (KRaft) on 127.0.0.1 for the cluster tests:
# each node is a broker and one of three controller voters (combined mode), so one
# node lost leaves a working quorum and two brokers. The jars and the JVM flags are
# those of kafka-up.sh (pom.xml, cached after the first run).
#
#   DIR       working folder, created if missing: cluster.env, cluster.id and
#             node-1/ node-2/ node-3/ (each laid out like a kafka-up.sh DIR)
#   BASEPORT  node ID serves clients on BASEPORT+2*(ID-1), its controller on the
#             port after: six consecutive ports, BASEPORT..BASEPORT+5
#
# Returns once every node answers and a producer gets a record acknowledged with
# acks=all, after creating the project's topics with replication factor 3 and
# min.insync.replicas=2. The last stdout line is the bootstrap list
# (127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3); everything else goes to stderr. On
# failure every node it started is stopped again.
#
# Environment (all optional):
#   KAFKA_KEEP_DATA=1            keep the nodes' data (restart the whole cluster)
#   KAFKA_CREATE_TOPICS=0        skip creating the project's topics
#   KAFKA_REPLICATION_FACTOR     replicas of the created topics (default 3)
#   KAFKA_MIN_INSYNC_REPLICAS    min.insync.replicas of the created topics (default 2)
#   KAFKA_TOPIC_PARTITIONS, KAFKA_MAX_MESSAGE_BYTES   as for kafka-up.sh (4, 10 MiB)
#   KAFKA_START_TIMEOUT          seconds to wait for the cluster (default 180)
#   KAFKA_HEAP_OPTS              per node, default "-Xms128m -Xmx384m"
#   KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_OPTS, KAFKA_VERSION, KAFKA_LIB_CACHE, ... as kafka-up.sh
set -euo pipefail
KLOG_NAME=kafka-cluster-up
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=cluster-lib.sh
. "$KAFKA_SCRIPTS_DIR/cluster-lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 DIR BASEPORT" >&2; exit 2; }
BASE=$2
[[ $BASE =~ ^[0-9]+$ ]] && [ "$BASE" -ge 1024 ] && [ "$BASE" -le 65530 ] || kdie "BASEPORT must be 1024..65530"
mkdir -p "$1"
DIR=$(cd "$1" && pwd)
START_TIMEOUT=${KAFKA_START_TIMEOUT:-180}
command -v "$JAVA" >/dev/null || kdie "java not found (set JAVA_HOME or PATH)"
T0=$SECONDS

for id in "${KAFKA_CLUSTER_NODES[@]}"; do
  pid=$(cluster_node_pid "$DIR" "$id" || true)
  [ -z "$pid" ] || kdie "node $id of $DIR is already running (pid $pid); run kafka-cluster-down.sh $DIR first"
done
kafka_resolve_libs
kafka_build_tool

# ---- 1. storage: one cluster id, three formatted nodes ---------------------------
if [ "${KAFKA_KEEP_DATA:-0}" != 1 ]; then
  for id in "${KAFKA_CLUSTER_NODES[@]}"; do rm -rf "$(cluster_node_dir "$DIR" "$id")/data"; done
  rm -f "$DIR/cluster.id"
fi
printf 'BASEPORT=%s\n' "$BASE" >"$DIR/cluster.env"
if [ ! -s "$DIR/cluster.id" ]; then
  # 16 random bytes in unpadded base64url, not starting with '-' (as kafka-up.sh).
  CLUSTER_ID=-
  while [[ $CLUSTER_ID == -* ]]; do CLUSTER_ID=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'); done
  printf '%s\n' "$CLUSTER_ID" >"$DIR/cluster.id"
fi
for id in "${KAFKA_CLUSTER_NODES[@]}"; do cluster_prepare_node "$DIR" "$BASE" "$id" & done
for id in "${KAFKA_CLUSTER_NODES[@]}"; do wait -n || kdie "formatting a node failed"; done
klog "formatted 3 nodes (cluster id $(cat "$DIR/cluster.id"))"

# ---- 2. start all three at once (the quorum needs two of them) ----------------------
stop_all() {
  for id in "${KAFKA_CLUSTER_NODES[@]}"; do "$KAFKA_SCRIPTS_DIR/kafka-down.sh" "$(cluster_node_dir "$DIR" "$id")" --kill || true; done
}
fail_start() { stop_all; kdie "$1"; }
for id in "${KAFKA_CLUSTER_NODES[@]}"; do (cluster_launch_node "$DIR" "$BASE" "$id") || fail_start "node $id did not start"; done
deadline=$((SECONDS + START_TIMEOUT))
for id in "${KAFKA_CLUSTER_NODES[@]}"; do
  cluster_wait_node "$DIR" "$BASE" "$id" "$deadline" || fail_start "node $id is not up"
done
klog "all nodes answer requests after $((SECONDS - T0))s"

# ---- 3. readiness: a record acknowledged by all three replicas -----------------------
BOOTSTRAP=$(cluster_bootstrap "$BASE")
left=$((deadline - SECONDS)); [ "$left" -ge 10 ] || left=10
kafka_tool --replication 3 --min-isr 2 ready "$BOOTSTRAP" "$left" || fail_start "no successful produce within ${START_TIMEOUT}s"

# ---- 4. the project's topics, replicated ----------------------------------------------
if [ "${KAFKA_CREATE_TOPICS:-1}" != 0 ]; then
  KAFKA_REPLICATION_FACTOR=${KAFKA_REPLICATION_FACTOR:-3} KAFKA_MIN_INSYNC_REPLICAS=${KAFKA_MIN_INSYNC_REPLICAS:-2} \
    kafka_create_topics "$BOOTSTRAP" || fail_start "creating topics failed"
fi
klog "cluster up in $((SECONDS - T0))s"
printf '%s\n' "$BOOTSTRAP"
