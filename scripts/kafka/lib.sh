# shellcheck shell=bash
# Shared helpers for kafka-up.sh, kafka-create-topics.sh and kafka-smoke.sh.
# Source it; it defines functions and variables, and runs nothing by itself.
#
# Environment (all optional):
#   KAFKA_VERSION     org.apache.kafka:kafka_2.13 version from Maven Central (default 4.4.0)
#   KAFKA_LIB_CACHE   where the flat jar folders and compiled KafkaTool live
#                     (default ${XDG_CACHE_HOME:-~/.cache}/kafka-test-broker)
#   KAFKA_MAVEN_REPO  Maven local repository to use (default: Maven's own, ~/.m2/repository)
#   MVN               Maven command (default mvn)
#   JAVA_HOME         Java 17+ (default: java/javac on PATH)

KAFKA_SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KAFKA_VERSION=${KAFKA_VERSION:-4.4.0}
KAFKA_CACHE=${KAFKA_LIB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-test-broker}
if [ -n "${JAVA_HOME:-}" ]; then
  JAVA="$JAVA_HOME/bin/java"; JAVAC="$JAVA_HOME/bin/javac"
else
  JAVA=java; JAVAC=javac
fi
TOOL_LOG_OPTS="-Dlog4j2.configurationFile=$KAFKA_SCRIPTS_DIR/log4j2-tools.properties"

klog() { printf '%s: %s\n' "${KLOG_NAME:-kafka}" "$*" >&2; }
kdie() { klog "ERROR: $*"; exit 1; }

_khash() { cat "$@" | sha256sum | cut -c1-12; }

# kafka_resolve_libs: sets KAFKA_LIB_DIR to a folder holding every runtime jar of the
# broker. The first call runs Maven (downloads into the Maven repo); later calls reuse
# the folder. The folder name includes a hash of pom.xml, so editing the POM re-resolves.
# Concurrent callers serialise on a lock file; only one runs Maven.
kafka_resolve_libs() {
  local key
  key="$KAFKA_VERSION-$(_khash "$KAFKA_SCRIPTS_DIR/pom.xml")"
  KAFKA_LIB_DIR="$KAFKA_CACHE/libs-$key"
  [ -f "$KAFKA_LIB_DIR/.complete" ] && return 0
  mkdir -p "$KAFKA_CACHE"
  (
    flock 9
    [ -f "$KAFKA_LIB_DIR/.complete" ] && exit 0
    command -v "${MVN:-mvn}" >/dev/null || kdie "Maven (${MVN:-mvn}) not found"
    klog "resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION with Maven (first run only) ..."
    local work t0=$SECONDS
    work=$(mktemp -d "$KAFKA_CACHE/.resolve.XXXXXX")
    # Run Maven in a scratch copy of the POM so nothing is written next to the scripts.
    cp "$KAFKA_SCRIPTS_DIR/pom.xml" "$work/pom.xml"
    local repo_opt=()
    [ -n "${KAFKA_MAVEN_REPO:-}" ] && repo_opt=("-Dmaven.repo.local=$KAFKA_MAVEN_REPO")
    if ! (cd "$work" && "${MVN:-mvn}" -B -q -Dstyle.color=never "${repo_opt[@]}" -Dkafka.version="$KAFKA_VERSION" \
          dependency:copy-dependencies -DoutputDirectory="$work/libs" -DincludeScope=runtime) >"$work/mvn.log" 2>&1; then
      cat "$work/mvn.log" >&2
      rm -rf "$work"
      kdie "Maven could not resolve Kafka $KAFKA_VERSION"
    fi
    if ! ls "$work/libs/kafka_2.13-$KAFKA_VERSION.jar" "$work/libs"/log4j-slf4j-impl-*.jar >/dev/null 2>&1; then
      rm -rf "$work"
      kdie "expected jars missing after the Maven run"
    fi
    rm -rf "$KAFKA_LIB_DIR"
    mv "$work/libs" "$KAFKA_LIB_DIR"
    rm -rf "$work"
    touch "$KAFKA_LIB_DIR/.complete"
    klog "$(find "$KAFKA_LIB_DIR" -name '*.jar' | wc -l) jars in $KAFKA_LIB_DIR ($((SECONDS - t0))s)"
  ) 9>"$KAFKA_CACHE/.lock" || exit 1
}

# kafka_build_tool: compiles KafkaTool.java once (per source and jar set) and sets
# KAFKA_TOOL_CP. Needs kafka_resolve_libs first.
kafka_build_tool() {
  local key
  key=$(_khash "$KAFKA_SCRIPTS_DIR/KafkaTool.java" <(printf '%s' "$KAFKA_LIB_DIR"))
  local out="$KAFKA_CACHE/tool-$key"
  KAFKA_TOOL_CP="$out:$KAFKA_LIB_DIR/*"
  [ -f "$out/.complete" ] && return 0
  (
    flock 9
    [ -f "$out/.complete" ] && exit 0
    command -v "$JAVAC" >/dev/null || kdie "javac not found (a JDK 17+ is needed)"
    local tmp
    tmp=$(mktemp -d "$KAFKA_CACHE/.tool.XXXXXX")
    if ! "$JAVAC" -nowarn -d "$tmp" -cp "$KAFKA_LIB_DIR/*" "$KAFKA_SCRIPTS_DIR/KafkaTool.java" >&2; then
      rm -rf "$tmp"
      kdie "could not compile KafkaTool.java"
    fi
    rm -rf "$out"
    mv "$tmp" "$out"
    touch "$out/.complete"
  ) 9>"$KAFKA_CACHE/.lock" || exit 1
}

# kafka_tool ARGS...: runs KafkaTool (stdout = its results, stderr = diagnostics).
kafka_tool() {
  # shellcheck disable=SC2086
  "$JAVA" -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 $TOOL_LOG_OPTS \
    -cp "$KAFKA_TOOL_CP" KafkaTool "$@"
}

# kafka_is_broker_pid PID: the PID is a live JVM running kafka.Kafka (never signal a recycled PID).
kafka_is_broker_pid() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q 'kafka\.Kafka '; }

# kafka_port_busy PORT: something accepts connections on 127.0.0.1:PORT.
kafka_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# kafka_wait_ports_free PORT...: waits up to 10 s per port (a broker just killed may
# hold its ports for a moment); dies naming the first port still in use.
kafka_wait_ports_free() {
  local p
  for p in "$@"; do
    for _ in $(seq 1 40); do kafka_port_busy "$p" || break; sleep 0.25; done
    kafka_port_busy "$p" && kdie "port $p on 127.0.0.1 is already in use"
  done
  return 0
}

# kafka_api_versions_ok PORT: cheap readiness without a JVM. An ApiVersions v0 request
# over /dev/tcp gets an answer carrying our correlation id once the broker processes
# requests. Frame: size=12, api_key=18, api_version=0, correlation_id=7, client_id="up".
kafka_api_versions_ok() {
  local resp
  resp=$(
    exec 2>/dev/null
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf '\000\000\000\014\000\022\000\000\000\000\000\007\000\002up' >&3
    timeout 2 head -c 10 <&3 | od -An -v -tx1 | tr -d ' \n'
  ) || return 1
  [[ ${#resp} -eq 20 && ${resp:8:8} == 00000007 ]]
}

# The topics the capture service writes to (upstream names).
KAFKA_TEST_TOPICS=(
  events_plugin_ingestion
  events_plugin_ingestion_overflow
  events_plugin_ingestion_historical
  events_plugin_ingestion_dlq
  heatmaps_ingestion
  exceptions_ingestion
  error_tracking_events
  session_recording_snapshot_item_events
  session_recording_snapshot_item_overflow
)

# kafka_topic_opts: KafkaTool's options for the topics it makes, from
# KAFKA_REPLICATION_FACTOR (default 1) and KAFKA_MIN_INSYNC_REPLICAS (default:
# the broker's), into the array KAFKA_TOPIC_OPTS.
kafka_topic_opts() {
  KAFKA_TOPIC_OPTS=(--replication "${KAFKA_REPLICATION_FACTOR:-1}")
  [ -n "${KAFKA_MIN_INSYNC_REPLICAS:-}" ] && KAFKA_TOPIC_OPTS+=(--min-isr "$KAFKA_MIN_INSYNC_REPLICAS")
  return 0
}

# kafka_create_topics BOOTSTRAP [TOPIC...]: creates the given topics (default: the
# project's list) with KAFKA_TOPIC_PARTITIONS partitions (4), KAFKA_REPLICATION_FACTOR
# replicas (1), min.insync.replicas=KAFKA_MIN_INSYNC_REPLICAS (if set) and
# max.message.bytes=KAFKA_MAX_MESSAGE_BYTES (10 MiB). Idempotent.
kafka_create_topics() {
  local bootstrap=$1; shift
  local topics=("$@")
  [ ${#topics[@]} -gt 0 ] || topics=("${KAFKA_TEST_TOPICS[@]}")
  kafka_topic_opts
  kafka_tool "${KAFKA_TOPIC_OPTS[@]}" create-topics "$bootstrap" "${KAFKA_TOPIC_PARTITIONS:-4}" \
    "${KAFKA_MAX_MESSAGE_BYTES:-10485760}" "${topics[@]}"
}
