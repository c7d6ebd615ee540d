/**
 * RedisStore: the Store shared by every capture instance through one Redis.
 *
 * Requirements: one round trip per call whatever the number of keys (MGET, one
 * Lua call), and the calls of one event-loop turn share it, merged where they
 * can be (redis-batch.ts); never queue or hang while Redis is away: no offline queue, a response
 * timeout (REDIS_RESPONSE_TIMEOUT_MS) on every command, so callers fail open at
 * once; reconnect in the background forever, so limits come back by themselves.
 * Every key is prefixed with REDIS_KEY_PREFIX.
 */
import { Redis } from 'ioredis'
import type { HealthReport } from '../observability/health.js'
import { createRedisBatch } from './redis-batch.js'
import { SET_KEYS, TAKE_TOKENS } from './redis-scripts.js'
import { connectionOptions, prefixedKeyCalls, quitOrDisconnect, reconnectDelay, takeArgs, toVerdict, type RedisCommonOptions, type RedisStoreDeps } from './redis-store-parts.js'
import type { Store } from './store.js'

export interface RedisStoreOptions extends RedisCommonOptions {
  readonly url: string
}

const ERROR_LOG_EVERY_MS = 10_000

export async function createRedisStore(deps: RedisStoreDeps, options: RedisStoreOptions): Promise<Store> {
  const client = new Redis(options.url, {
    ...connectionOptions(options.connectTimeout),
    lazyConnect: true,
    // redis-batch.ts pipelines (and merges) the calls of each turn itself.
    enableAutoPipelining: false,
    enableOfflineQueue: false,
    commandTimeout: options.responseTimeout,
    retryStrategy: reconnectDelay,
    scripts: {
      captureTakeTokens: { lua: TAKE_TOKENS },
      captureSetKeys: { lua: SET_KEYS },
    },
  })
  const connection = watchConnection(client, deps, options.url)
  try {
    await client.connect()
  } catch (err) {
    // Not fatal: limiters fail open and ioredis keeps reconnecting in the background.
    deps.logger.warn({ err, url: redactUrl(options.url) }, 'redis unreachable at startup; limiters fail open until it answers')
  }
  const prefix = options.keyPrefix
  const batch = createRedisBatch(client, (op, seconds) => deps.metrics.storeOpDuration.observe({ store: 'redis', op }, seconds))

  return {
    kind: 'redis',
    ...prefixedKeyCalls(batch, prefix),
    async takeTokens(takes, nowMs) {
      if (takes.length === 0) return { allowed: true }
      const args = takeArgs(takes, prefix, nowMs)
      const [index, waitMs] = await batch.single<[number, number]>('take', (pipeline) => pipeline.captureTakeTokens(takes.length, args))
      return toVerdict(Number(index), Number(waitMs))
    },
    async sortedSetMembersFrom(key, minScore) {
      return batch.single<string[]>('members', (pipeline) => pipeline.zrangebyscore(prefix + key, minScore, '+inf'))
    },
    health: () => connection.report(),
    async close() {
      connection.markClosing()
      await quitOrDisconnect(client)
    },
  }
}

/** Tracks the connection for health and logs each transition once (errors at most every 10 s). */
function watchConnection(client: Redis, deps: RedisStoreDeps, url: string) {
  const state = { up: false, closing: false, downSince: new Date(), lastErrorLog: -Infinity, everUp: false }
  deps.metrics.storeConnected.set({ store: 'redis' }, 0)
  client.on('ready', () => {
    if (state.everUp) deps.logger.info({ url: redactUrl(url) }, 'redis reachable again; limiters use it')
    else deps.logger.info({ url: redactUrl(url) }, 'redis connected')
    state.up = true
    state.everUp = true
    deps.metrics.storeConnected.set({ store: 'redis' }, 1)
  })
  client.on('close', () => {
    if (state.up && !state.closing) deps.logger.warn({ url: redactUrl(url) }, 'redis connection lost; limiters fail open while reconnecting')
    if (state.up) state.downSince = new Date()
    state.up = false
    deps.metrics.storeConnected.set({ store: 'redis' }, 0)
  })
  client.on('error', (err: Error) => {
    const now = Date.now()
    if (state.closing || now - state.lastErrorLog < ERROR_LOG_EVERY_MS) return
    state.lastErrorLog = now
    deps.logger.warn({ err: err.message, url: redactUrl(url) }, 'redis error')
  })
  return {
    markClosing: (): void => void (state.closing = true),
    report: (): HealthReport =>
      state.up
        ? { healthy: true, detail: 'redis: connected' }
        // Healthy on purpose: Redis down is not an outage (limiters fail open), so readiness must not fail.
        : { healthy: true, detail: `redis: unreachable since ${state.downSince.toISOString()}; limiters fail open` },
  }
}

/** Drops a password from redis://user:pass@host so it never reaches a log. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')
}
