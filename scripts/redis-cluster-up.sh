#!/usr/bin/env bash
# redis-cluster-up.sh DIR BASEPORT
#
# Starts a throwaway Redis Cluster on 127.0.0.1 for tests and benchmarks:
# 3 masters with one replica each, 6 redis-server processes from Debian's
# package on ports BASEPORT..BASEPORT+5; their cluster bus ports are
# BASEPORT+6..BASEPORT+11 (set explicitly, so any BASEPORT up to 65524 works).
# No persistence (no RDB, no AOF). cluster-node-timeout is short
# (REDIS_CLUSTER_NODE_TIMEOUT_MS, default 1500) so a replica takes over a
# killed master within a few seconds; cluster-require-full-coverage is off, so
# the other masters keep serving their slots meanwhile.
#
# Layout: DIR/<port>/redis.conf, redis.pid, redis.log, nodes.conf. A node that
# was killed restarts with  redis-server DIR/<port>/redis.conf  and rejoins the
# cluster (as a replica if its replica was promoted meanwhile).
#
# Returns once `cluster info` says cluster_state:ok with all 16384 slots and 6
# known nodes on every node, and every replica's link to its master is up. The
# last stdout line is the seed list, so
#   REDIS_CLUSTER_NODES=$(scripts/redis-cluster-up.sh "$TMPDIR/rc" 17000)
# works. Installs the Debian package first when redis-server is missing.
#
# Environment: REDIS_START_TIMEOUT (seconds to wait for a healthy cluster, default 30);
# REDIS_CLUSTER_PASSWORD: when set, every node requires it (requirepass, and
# masterauth for the replicas); the seed list stays host:port.
set -euo pipefail
log() { printf 'redis-cluster-up: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ $# -eq 2 ] || { echo "usage: $0 DIR BASEPORT" >&2; exit 2; }
BASE=$2
[[ $BASE =~ ^[0-9]+$ ]] && [ "$BASE" -ge 1024 ] && [ "$BASE" -le 65524 ] || die "BASEPORT must be 1024..65524 (12 ports are used)"
mkdir -p "$1"
DIR=$(cd "$1" && pwd)
TIMEOUT=${REDIS_START_TIMEOUT:-30}
NODE_TIMEOUT=${REDIS_CLUSTER_NODE_TIMEOUT_MS:-1500}
PORTS=$(seq "$BASE" $((BASE + 5)))
PASSWORD=${REDIS_CLUSTER_PASSWORD:-}
AUTH=()
[ -z "$PASSWORD" ] || AUTH=(-a "$PASSWORD" --no-auth-warning)
cli() { redis-cli "${AUTH[@]}" "$@"; }

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  log "redis-server not found; installing the Debian package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq redis-server >&2
fi

is_redis_pid() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q 'redis-server'; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in $PORTS; do
  if [ -f "$DIR/$port/redis.pid" ]; then
    old=$(cat "$DIR/$port/redis.pid" 2>/dev/null || true)
    if [[ $old =~ ^[0-9]+$ ]] && is_redis_pid "$old"; then
      die "a redis-server is already running from $DIR/$port (pid $old); run redis-cluster-down.sh $DIR first"
    fi
  fi
  for busy in "$port" $((port + 6)); do
    port_busy "$busy" && die "port $busy on 127.0.0.1 is already in use"
  done
done

seeds=()
for port in $PORTS; do
  node="$DIR/$port"
  rm -rf "$node"
  mkdir -p "$node"
  cat >"$node/redis.conf" <<EOF
port $port
bind 127.0.0.1
dir $node
daemonize yes
pidfile $node/redis.pid
logfile $node/redis.log
save ""
appendonly no
cluster-enabled yes
cluster-config-file $node/nodes.conf
cluster-port $((port + 6))
cluster-node-timeout $NODE_TIMEOUT
cluster-require-full-coverage no
EOF
  [ -z "$PASSWORD" ] || printf 'requirepass "%s"\nmasterauth "%s"\n' "$PASSWORD" "$PASSWORD" >>"$node/redis.conf"
  redis-server "$node/redis.conf" || die "redis-server on port $port did not start; see $node/redis.log"
  seeds+=("127.0.0.1:$port")
done

deadline=$((SECONDS + TIMEOUT))
wait_for() {  # wait_for DESCRIPTION COMMAND...: retries COMMAND until it succeeds or the deadline passes
  local what=$1; shift
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      for port in $PORTS; do tail -n 5 "$DIR/$port/redis.log" >&2 || true; done
      die "$what within ${TIMEOUT}s"
    fi
    sleep 0.1
  done
}
answers() { for port in $PORTS; do [ "$(cli -h 127.0.0.1 -p "$port" ping 2>/dev/null || true)" = PONG ] || return 1; done; }
wait_for "not every node answered PING" answers

cli --cluster create "${seeds[@]}" --cluster-replicas 1 --cluster-yes >"$DIR/create.log" 2>&1 \
  || { cat "$DIR/create.log" >&2; die "redis-cli --cluster create failed"; }

cluster_ok() {
  local info
  for port in $PORTS; do
    info=$(cli -h 127.0.0.1 -p "$port" cluster info 2>/dev/null | tr -d '\r') || return 1
    grep -q '^cluster_state:ok$' <<<"$info" || return 1
    grep -q '^cluster_slots_ok:16384$' <<<"$info" || return 1
    grep -q '^cluster_known_nodes:6$' <<<"$info" || return 1
  done
}
replicas_linked() {
  local role
  for port in $PORTS; do
    role=$(cli -h 127.0.0.1 -p "$port" info replication 2>/dev/null | tr -d '\r') || return 1
    grep -q '^role:slave$' <<<"$role" || continue
    grep -q '^master_link_status:up$' <<<"$role" || return 1
  done
}
wait_for "the cluster did not report cluster_state:ok on every node" cluster_ok
wait_for "a replica's link to its master did not come up" replicas_linked

pids=$(for port in $PORTS; do cat "$DIR/$port/redis.pid"; done | paste -sd, -)
log "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') cluster ready on 127.0.0.1:$BASE-$((BASE + 5)) (3 masters, 3 replicas; pids $pids)"
(IFS=,; echo "${seeds[*]}")
