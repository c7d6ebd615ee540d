/**
 * What the two Redis stores share (RedisStore on one Redis, redis-store.ts;
 * RedisClusterStore on a Redis Cluster, redis-cluster-store.ts): the deps and
 * options both take, the settings of every connection they open, their
 * hasKeys/setKeys over their batches, the token-bucket script's arguments and
 * reply, and closing.
 *
 * Every connection fails fast (no retry of a request; each store turns the
 * offline queue off and bounds its commands in its own way) and reconnects in
 * the background forever, so limits come back by themselves.
 */
import type { Cluster, Redis, RedisOptions } from 'ioredis'
import type { Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'
import { ms, type Millis } from '../units.js'
import type { BucketTake, Store, TakeVerdict } from './store.js'

export interface RedisStoreDeps {
  readonly logger: Logger
  readonly metrics: Pick<Metrics, 'storeOpDuration' | 'storeConnected'>
}

/** What both stores take besides where Redis is (REDIS_KEY_PREFIX, REDIS_CONNECTION_TIMEOUT_MS, REDIS_RESPONSE_TIMEOUT_MS). */
export interface RedisCommonOptions {
  readonly keyPrefix: string
  readonly connectTimeout: Millis
  readonly responseTimeout: Millis
}

const RECONNECT_MAX_DELAY_MS = 2000

/** The wait before reconnect attempt `attempt` (from 1): 100 ms, doubling up to 2 s, and never giving up. */
export function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 6), RECONNECT_MAX_DELAY_MS)
}

/** Settings of every connection either store opens (to the one Redis, or to each cluster node). */
export function connectionOptions(connectTimeout: Millis): RedisOptions {
  return {
    connectTimeout,
    maxRetriesPerRequest: 0,
    disableClientInfo: true,
    // RESP2: we need no RESP3 types, and its replies are a little cheaper to parse.
    protocol: 2,
    connectionName: 'capture',
  }
}

type KeyCalls = Pick<Store, 'hasKeys' | 'setKeys'>

/** The store's hasKeys and setKeys over its batch's: every key prefixed, and no round trip for no keys. */
export function prefixedKeyCalls(batch: KeyCalls, prefix: string): KeyCalls {
  return {
    hasKeys: (keys) => (keys.length === 0 ? Promise.resolve([]) : batch.hasKeys(keys.map((key) => prefix + key))),
    setKeys: (keys, ttl) => (keys.length === 0 ? Promise.resolve() : batch.setKeys(keys.map((key) => prefix + key), ttl)),
  }
}

/** Keys then arguments in one array: ioredis flattens it, so a huge batch never goes through a JS spread. */
export function takeArgs(takes: readonly BucketTake[], prefix: string, nowMs: number): (string | number)[] {
  const keysThenArgs: (string | number)[] = takes.map((take) => prefix + take.key)
  keysThenArgs.push(Math.round(nowMs))
  for (const take of takes) keysThenArgs.push(take.perSecond, take.burst, take.cost)
  return keysThenArgs
}

/** The TAKE_TOKENS reply {index (1-based, 0 = all paid), waitMs} as a verdict. */
export function toVerdict(index: number, waitMs: number): TakeVerdict {
  return index === 0 ? { allowed: true } : { allowed: false, index: index - 1, retryAfter: ms(waitMs) }
}

/** QUIT; when it cannot be sent (Redis away), drops the connection instead. */
export async function quitOrDisconnect(client: Redis | Cluster): Promise<void> {
  try {
    await client.quit()
  } catch {
    client.disconnect()
  }
}
