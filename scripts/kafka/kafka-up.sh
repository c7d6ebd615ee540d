#!/usr/bin/env bash
# kafka-up.sh DIR PORT
#
# Starts a single-node Apache Kafka broker (KRaft: one JVM is broker and controller)
# on 127.0.0.1:PORT in the background, for integration tests. No Docker, no tarball:
# the jars come from Maven Central (see pom.xml) and are cached after the first run.
#
#   DIR   working folder, created if missing: server.properties, data/ (topic and
#         metadata logs), kafka.log (broker output), kafka.pid, format.log
#   PORT  client port (PLAINTEXT). The controller listens on PORT+1 unless
#         KAFKA_CONTROLLER_PORT is set.
#
# Returns once a client can really produce (one record acknowledged with acks=all),
# after creating the project's topics. The last stdout line is the bootstrap address,
# so  BOOTSTRAP=$(scripts/kafka/kafka-up.sh DIR 19092)  works; all else goes to stderr.
#
# Environment (all optional):
#   KAFKA_KEEP_DATA=1        keep DIR/data from the last run (restart after an outage);
#                            by default DIR/data is wiped and the cluster starts empty
#   KAFKA_CREATE_TOPICS=0    skip creating the project's topics (default: create them)
#   KAFKA_TOPIC_PARTITIONS   partitions of the created topics (default 4)
#   KAFKA_MAX_MESSAGE_BYTES  max.message.bytes of the created topics (default 10485760)
#   KAFKA_CONTROLLER_PORT    controller port (default PORT+1)
#   KAFKA_START_TIMEOUT      seconds to wait for readiness (default 120)
#   KAFKA_HEAP_OPTS          default "-Xms128m -Xmx512m"
#   KAFKA_JVM_PERFORMANCE_OPTS  default: G1 flags as in Kafka's kafka-run-class.sh
#   KAFKA_OPTS               extra JVM options
#   KAFKA_LOG_LEVEL          broker root log level (default INFO)
#   plus KAFKA_VERSION, KAFKA_LIB_CACHE, KAFKA_MAVEN_REPO, MVN, JAVA_HOME (see lib.sh)
set -euo pipefail
KLOG_NAME=kafka-up
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 DIR PORT" >&2; exit 2; }
PORT=$2
[[ $PORT =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1024 ] && [ "$PORT" -le 65534 ] || kdie "PORT must be 1024..65534"
CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}
[[ $CONTROLLER_PORT =~ ^[0-9]+$ ]] && [ "$CONTROLLER_PORT" -ne "$PORT" ] || kdie "bad controller port $CONTROLLER_PORT"
mkdir -p "$1"
DIR=$(cd "$1" && pwd)

START_TIMEOUT=${KAFKA_START_TIMEOUT:-120}
HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}
PERF_OPTS=${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true}
BROKER_LOG_OPTS="-Dlog4j2.configurationFile=$KAFKA_SCRIPTS_DIR/log4j2-broker.properties"
command -v "$JAVA" >/dev/null || kdie "java not found (set JAVA_HOME or PATH)"
T0=$SECONDS

# ---- 1. one broker per DIR, and free ports --------------------------------------
if [ -f "$DIR/kafka.pid" ]; then
  old=$(cat "$DIR/kafka.pid" 2>/dev/null || true)
  if [[ $old =~ ^[0-9]+$ ]] && kafka_is_broker_pid "$old"; then
    kdie "a broker is already running from $DIR (pid $old); run kafka-down.sh $DIR first"
  fi
  rm -f "$DIR/kafka.pid"
fi
# A broker that was just killed may hold its ports for a moment: wait up to 10 s.
kafka_wait_ports_free "$PORT" "$CONTROLLER_PORT"

# ---- 2. jars (Maven on the first run) and our small client ------------------------
kafka_resolve_libs
kafka_build_tool
CP="$KAFKA_LIB_DIR/*"

# ---- 3. configuration and storage ----------------------------------------------------
DATA_DIR="$DIR/data"
if [ "${KAFKA_KEEP_DATA:-0}" != 1 ]; then rm -rf "$DATA_DIR"; fi
mkdir -p "$DATA_DIR" "$DIR/logs"
PROPS="$DIR/server.properties"
sed -e "s|@PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" -e "s|@DATA_DIR@|$DATA_DIR|g" \
  "$KAFKA_SCRIPTS_DIR/server.properties.template" >"$PROPS"

if [ ! -f "$DATA_DIR/meta.properties" ]; then
  [ "${KAFKA_KEEP_DATA:-0}" = 1 ] && klog "KAFKA_KEEP_DATA=1 but $DATA_DIR holds no formatted storage; formatting a new one"
  # Cluster id = 16 random bytes in unpadded base64url (what StorageTool random-uuid
  # prints); made here to save a JVM start. Kafka rejects ids starting with '-'.
  CLUSTER_ID=-
  while [[ $CLUSTER_ID == -* ]]; do
    CLUSTER_ID=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  done
  printf '%s\n' "$CLUSTER_ID" >"$DIR/cluster.id"
  # Static controller.quorum.voters, so no --standalone / --initial-controllers.
  # shellcheck disable=SC2086
  if ! "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 $TOOL_LOG_OPTS -cp "$CP" \
        kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$PROPS" >"$DIR/format.log" 2>&1; then
    cat "$DIR/format.log" >&2
    kdie "storage format failed"
  fi
  klog "formatted $DATA_DIR (cluster id $CLUSTER_ID)"
else
  klog "reusing data in $DATA_DIR"
fi

# ---- 4. start the broker (what kafka-server-start.sh runs) --------------------------
T_START=$SECONDS
[ -f "$DIR/kafka.log" ] && mv -f "$DIR/kafka.log" "$DIR/kafka.log.prev"
# shellcheck disable=SC2086
nohup "$JAVA" $HEAP_OPTS $PERF_OPTS $BROKER_LOG_OPTS -Dkafka.logs.dir="$DIR/logs" \
  -cp "$CP" ${KAFKA_OPTS:-} kafka.Kafka "$PROPS" >"$DIR/kafka.log" 2>&1 </dev/null &
PID=$!
printf '%s\n' "$PID" >"$DIR/kafka.pid"
klog "started Kafka $KAFKA_VERSION (pid $PID), log in $DIR/kafka.log"

fail_start() {
  tail -n 40 "$DIR/kafka.log" >&2 || true
  if kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$PID" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  rm -f "$DIR/kafka.pid"
  kdie "$1"
}

# ---- 5. readiness ---------------------------------------------------------------------
# (a) Cheap wait without a JVM: an ApiVersions answer (lib.sh).
deadline=$((SECONDS + START_TIMEOUT))
until kafka_api_versions_ok "$PORT"; do
  kill -0 "$PID" 2>/dev/null || fail_start "broker exited during startup"
  [ "$SECONDS" -lt "$deadline" ] || fail_start "broker did not answer within ${START_TIMEOUT}s"
  sleep 0.25
done
klog "broker answers requests after $((SECONDS - T_START))s"

# (b) Real check: a producer gets a record acknowledged (acks=all).
left=$((deadline - SECONDS)); [ "$left" -ge 5 ] || left=5
kafka_tool ready "127.0.0.1:$PORT" "$left" || {
  kill -0 "$PID" 2>/dev/null || fail_start "broker exited during startup"
  fail_start "no successful produce within ${START_TIMEOUT}s"
}
klog "ready: produce acknowledged after $((SECONDS - T_START))s"

# ---- 6. the project's topics --------------------------------------------------------------
if [ "${KAFKA_CREATE_TOPICS:-1}" != 0 ]; then
  kafka_create_topics "127.0.0.1:$PORT" || fail_start "creating topics failed"
fi

klog "up in $((SECONDS - T0))s total"
printf '127.0.0.1:%s\n' "$PORT"
