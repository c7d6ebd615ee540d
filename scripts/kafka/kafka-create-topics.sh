#!/usr/bin/env bash
# kafka-create-topics.sh BOOTSTRAP [TOPIC...]
#
# Creates the capture service's topics (or the TOPICs given) on a running broker:
# KAFKA_REPLICATION_FACTOR replicas (default 1; KAFKA_MIN_INSYNC_REPLICAS sets
# min.insync.replicas), KAFKA_TOPIC_PARTITIONS partitions (default 4) and
# max.message.bytes=KAFKA_MAX_MESSAGE_BYTES (default 10485760 = 10 MiB, room for a
# 2 MiB event plus envelope). Topics that already exist get max.message.bytes set
# and are grown to the partition count if they have fewer. Returns once every
# partition has a leader. kafka-up.sh already does this unless KAFKA_CREATE_TOPICS=0.
#
# Uses KafkaTool.java (AdminClient from kafka-clients); the jars come from the same
# cache as kafka-up.sh (Maven is run if they are not there yet).
set -euo pipefail
KLOG_NAME=kafka-create-topics
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -ge 1 ] || { echo "usage: $0 BOOTSTRAP [TOPIC...]" >&2; exit 2; }
kafka_resolve_libs
kafka_build_tool
kafka_create_topics "$@"
