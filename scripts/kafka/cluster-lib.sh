# shellcheck shell=bash
# Helpers for the 3-node test cluster (kafka-cluster-up.sh, kafka-broker.sh,
# kafka-cluster-down.sh). Source it after lib.sh; it defines functions only.
#
# Layout of a cluster DIR:
#   DIR/cluster.env     BASEPORT=... (written by kafka-cluster-up.sh; kafka-broker.sh reads it)
#   DIR/cluster.id      the cluster id every node is formatted with
#   DIR/node-ID/        one node (ID 1..3): server.properties, data/, kafka.log,
#                       kafka.pid, format.log; the same files as a kafka-up.sh DIR,
#                       so kafka-down.sh DIR/node-ID stops one node.
# Ports: node ID serves clients on BASEPORT+2*(ID-1) and its controller on the port after.

KAFKA_CLUSTER_NODES=(1 2 3)

cluster_node_dir() { printf '%s/node-%s\n' "$1" "$2"; }
cluster_port() { printf '%s\n' $(($1 + 2 * ($2 - 1))); }
cluster_controller_port() { printf '%s\n' $(($1 + 2 * ($2 - 1) + 1)); }

# cluster_bootstrap BASEPORT: "127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3"
cluster_bootstrap() {
  local id out=()
  for id in "${KAFKA_CLUSTER_NODES[@]}"; do out+=("127.0.0.1:$(cluster_port "$1" "$id")"); done
  (IFS=,; printf '%s\n' "${out[*]}")
}

# cluster_voters BASEPORT: the static controller.quorum.voters list.
cluster_voters() {
  local id out=()
  for id in "${KAFKA_CLUSTER_NODES[@]}"; do out+=("$id@127.0.0.1:$(cluster_controller_port "$1" "$id")"); done
  (IFS=,; printf '%s\n' "${out[*]}")
}

# cluster_baseport DIR: the BASEPORT recorded by kafka-cluster-up.sh.
cluster_baseport() {
  local base
  [ -f "$1/cluster.env" ] || kdie "$1 is not a cluster dir (no cluster.env; run kafka-cluster-up.sh first)"
  base=$(sed -n 's/^BASEPORT=\([0-9][0-9]*\)$/\1/p' "$1/cluster.env")
  [ -n "$base" ] || kdie "no BASEPORT in $1/cluster.env"
  printf '%s\n' "$base"
}

# cluster_node_pid DIR ID: the node's pid if it is a running broker, else nothing (exit 1).
cluster_node_pid() {
  local pid
  pid=$(cat "$(cluster_node_dir "$1" "$2")/kafka.pid" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] && kafka_is_broker_pid "$pid" && printf '%s\n' "$pid"
}

# cluster_prepare_node DIR BASEPORT ID: writes server.properties and formats data/ with
# DIR/cluster.id when it holds no storage yet. Data already there is kept.
cluster_prepare_node() {
  local dir=$1 base=$2 id=$3 node
  node=$(cluster_node_dir "$dir" "$id")
  mkdir -p "$node/data" "$node/logs"
  sed -e "s|@NODE_ID@|$id|g" -e "s|@PORT@|$(cluster_port "$base" "$id")|g" \
    -e "s|@CONTROLLER_PORT@|$(cluster_controller_port "$base" "$id")|g" \
    -e "s|@VOTERS@|$(cluster_voters "$base")|g" -e "s|@DATA_DIR@|$node/data|g" \
    "$KAFKA_SCRIPTS_DIR/cluster.properties.template" >"$node/server.properties"
  [ -f "$node/data/meta.properties" ] && return 0
  # shellcheck disable=SC2086
  if ! "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 $TOOL_LOG_OPTS -cp "$KAFKA_LIB_DIR/*" \
        kafka.tools.StorageTool format -t "$(cat "$dir/cluster.id")" -c "$node/server.properties" \
        >"$node/format.log" 2>&1; then
    cat "$node/format.log" >&2
    kdie "storage format of node $id failed"
  fi
}

# cluster_launch_node DIR BASEPORT ID: starts the node's JVM in the background
# (pid in DIR/node-ID/kafka.pid) without waiting for it.
cluster_launch_node() {
  local dir=$1 base=$2 id=$3 node pid
  node=$(cluster_node_dir "$dir" "$id")
  cluster_node_pid "$dir" "$id" >/dev/null && kdie "node $id is already running (pid $(cluster_node_pid "$dir" "$id"))"
  kafka_wait_ports_free "$(cluster_port "$base" "$id")" "$(cluster_controller_port "$base" "$id")"
  [ -f "$node/kafka.log" ] && mv -f "$node/kafka.log" "$node/kafka.log.prev"
  # shellcheck disable=SC2086
  nohup "$JAVA" ${KAFKA_HEAP_OPTS:--Xms128m -Xmx384m} \
    ${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true} \
    "-Dlog4j2.configurationFile=$KAFKA_SCRIPTS_DIR/log4j2-broker.properties" -Dkafka.logs.dir="$node/logs" \
    -cp "$KAFKA_LIB_DIR/*" ${KAFKA_OPTS:-} kafka.Kafka "$node/server.properties" >"$node/kafka.log" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "$pid" >"$node/kafka.pid"
  klog "node $id: started (pid $pid, port $(cluster_port "$base" "$id")), log in $node/kafka.log"
}

# cluster_wait_node DIR BASEPORT ID DEADLINE: waits (until $SECONDS reaches DEADLINE)
# for the node to answer requests; returns 1 if it exited or the time ran out.
cluster_wait_node() {
  local dir=$1 base=$2 id=$3 deadline=$4 port
  port=$(cluster_port "$base" "$id")
  until kafka_api_versions_ok "$port"; do
    if ! cluster_node_pid "$dir" "$id" >/dev/null; then
      klog "node $id exited during startup:"; tail -n 30 "$(cluster_node_dir "$dir" "$id")/kafka.log" >&2 || true
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      klog "node $id did not answer on port $port in time:"; tail -n 30 "$(cluster_node_dir "$dir" "$id")/kafka.log" >&2 || true
      return 1
    fi
    sleep 0.25
  done
}
