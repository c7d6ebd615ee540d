/**
 * RedisClusterStore: the Store shared by every capture instance through a
 * Redis Cluster (REDIS_CLUSTER_NODES, seed nodes; ioredis `Cluster` learns the
 * rest and the slot map).
 *
 * Requirements, as RedisStore's on one Redis: the calls of one event-loop turn
 * share one round trip per master (redis-cluster-batch.ts); no command spans
 * slots; a take stays one atomic script, so its keys must share a hash tag
 * (the rate limiter tags them with the token) and a take whose keys do not
 * is refused (fail open) rather than split. Never queue or hang: no offline
 * queue, and every pipeline is bounded by REDIS_RESPONSE_TIMEOUT_MS whatever
 * MOVED/ASK redirections or a failover are doing underneath. The slot map is
 * refreshed every second, so a promoted replica takes traffic within about a
 * second of its promotion; reconnects go on in the background forever.
 *
 * Health: connected (capture_store_connected = 1) while the slot map covers
 * all 16384 slots, every master in it has a ready connection, and the last
 * pipeline to each answered; else limiters fail open for the keys on the
 * missing master. Healthy either way: Redis down is not an outage.
 */
import { Cluster, type Redis } from 'ioredis'
import type { Logger } from '../observability/logger.js'
import type { Millis } from '../units.js'
import { keySlot } from './key-slot.js'
import { createRedisClusterBatch } from './redis-cluster-batch.js'
import { watchCluster } from './redis-cluster-health.js'
import { SET_KEYS, TAKE_TOKENS } from './redis-scripts.js'
import { connectionOptions, prefixedKeyCalls, quitOrDisconnect, reconnectDelay, takeArgs, toVerdict, type RedisCommonOptions, type RedisStoreDeps } from './redis-store-parts.js'
import type { Store } from './store.js'

export interface ClusterSeed {
  readonly host: string
  readonly port: number
}

export interface RedisClusterStoreOptions extends RedisCommonOptions {
  readonly nodes: readonly ClusterSeed[]
  readonly username?: string
  readonly password?: string
}

const SLOTS_REFRESH_EVERY_MS = 1000

export async function createRedisClusterStore(deps: RedisStoreDeps, options: RedisClusterStoreOptions): Promise<Store> {
  const cluster = new Cluster(options.nodes.map((node) => ({ ...node })), {
    lazyConnect: true,
    enableOfflineQueue: false,
    // redis-cluster-batch.ts pipelines (and merges) the calls of each turn itself.
    enableAutoPipelining: false,
    scaleReads: 'master',
    slotsRefreshInterval: SLOTS_REFRESH_EVERY_MS,
    slotsRefreshTimeout: options.responseTimeout,
    clusterRetryStrategy: reconnectDelay,
    redisOptions: {
      ...connectionOptions(options.connectTimeout),
      username: options.username,
      password: options.password,
      // No commandTimeout: the batch bounds each pipeline with one timer; one per command cost a timer per key.
    },
  })
  // The batch writes on each master's own connection, so the scripts are defined there, as each connection is made.
  cluster.on('+node', (redis: Redis) => {
    redis.defineCommand('captureTakeTokens', { lua: TAKE_TOKENS })
    redis.defineCommand('captureSetKeys', { lua: SET_KEYS })
  })
  const seeds = options.nodes.map((node) => `${node.host}:${node.port}`).join(',')
  const health = watchCluster(cluster, deps, seeds)
  await connectAtStartup(cluster, deps.logger, seeds, options.connectTimeout)
  const prefix = options.keyPrefix
  const batch = createRedisClusterBatch(cluster, {
    observe: (op, seconds) => deps.metrics.storeOpDuration.observe({ store: 'redis', op }, seconds),
    nodeAnswered: health.nodeAnswered,
  }, { responseTimeout: options.responseTimeout })

  return {
    kind: 'redis',
    ...prefixedKeyCalls(batch, prefix),
    async takeTokens(takes, nowMs) {
      if (takes.length === 0) return { allowed: true }
      const args = takeArgs(takes, prefix, nowMs)
      const slot = keySlot(args[0] as string)
      for (let index = 1; index < takes.length; index++) {
        if (keySlot(args[index] as string) !== slot) throw new Error(`redis cluster: the buckets of one take span hash slots (${takes.map((take) => take.key).join(', ')}); give them one {hash tag}`)
      }
      const [index, waitMs] = await batch.single<[number, number]>('take', slot, (pipeline) => pipeline.captureTakeTokens(takes.length, args))
      return toVerdict(Number(index), Number(waitMs))
    },
    async sortedSetMembersFrom(key, minScore) {
      const prefixed = prefix + key
      return batch.single<string[]>('members', keySlot(prefixed), (pipeline) => pipeline.zrangebyscore(prefixed, minScore, '+inf'))
    },
    health: () => health.report(),
    async close() {
      health.close()
      await quitOrDisconnect(cluster)
    },
  }
}

/** Waits up to the connect timeout for the slot map; not fatal (limiters fail open, ioredis keeps trying). */
async function connectAtStartup(cluster: Cluster, logger: Logger, seeds: string, timeout: Millis): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const gaveUp = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no slot map within ${timeout} ms`)), timeout)
  })
  try {
    await Promise.race([cluster.connect(), gaveUp])
  } catch (err) {
    logger.warn({ err: err instanceof Error ? err.message : String(err), seeds }, 'redis cluster unreachable at startup; limiters fail open until it answers')
  } finally {
    clearTimeout(timer)
  }
}
