/**
 * RedisStore against a real redis-server (REDIS_URL): the Store contract, the
 * key prefix, and failing fast (never hanging) when Redis is unreachable.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createLogger } from '../../src/observability/logger.js'
import { createMetrics } from '../../src/observability/metrics.js'
import { createRedisStore } from '../../src/store/redis-store.js'
import { storeContract } from '../../src/store/store-contract.js'
import { ms } from '../../src/units.js'
import { ownRedis, randomPrefix, rawClient, requireRedisUrl } from '../helpers/redis.js'

const logger = createLogger({ level: 'silent' })
const metrics = createMetrics({ defaultMetrics: false })
const url = await requireRedisUrl()
const raw = rawClient(url)
after(() => raw.quit())

const openStore = (keyPrefix: string, storeUrl = url) =>
  createRedisStore({ logger, metrics }, { url: storeUrl, keyPrefix, connectTimeout: ms(2000), responseTimeout: ms(500) })

storeContract('RedisStore', async () => {
  const prefix = randomPrefix()
  const store = await openStore(prefix)
  return {
    store,
    addToSortedSet: async (key, member, score) => void (await raw.zadd(prefix + key, score, member)),
    elapse: (duration) => sleep(duration),
    close: () => store.close(),
  }
})

describe('RedisStore', () => {
  let prefix: string
  before(() => void (prefix = randomPrefix()))

  it('puts REDIS_KEY_PREFIX in front of every key it writes', async () => {
    const store = await openStore(prefix)
    try {
      await store.setKeys(['dedup:x'], ms(60_000))
      await store.takeTokens([{ key: 'rate:t', cost: 1, perSecond: 1, burst: 5 }], Date.now())
      assert.deepEqual(await Promise.all([`${prefix}dedup:x`, `${prefix}rate:t`, 'dedup:x', 'rate:t'].map((key) => raw.exists(key))), [1, 1, 0, 0])
      const ttl = await raw.pttl(`${prefix}dedup:x`)
      assert.ok(ttl > 30_000 && ttl <= 60_000, `pttl ${ttl}`)
    } finally {
      await store.close()
    }
  })

  it('does not see keys written under another prefix', async () => {
    const [mine, theirs] = [await openStore(randomPrefix()), await openStore(randomPrefix())]
    try {
      await theirs.setKeys(['k'], ms(60_000))
      assert.deepEqual(await mine.hasKeys(['k']), [false])
    } finally {
      await Promise.all([mine.close(), theirs.close()])
    }
  })

  it('rejects at once, without hanging, when Redis is unreachable, and stays healthy for readiness', async () => {
    const store = await openStore(prefix, 'redis://127.0.0.1:1')
    try {
      const started = Date.now()
      await assert.rejects(store.hasKeys(['a']))
      await assert.rejects(store.takeTokens([{ key: 'b', cost: 1, perSecond: 1, burst: 1 }], Date.now()))
      assert.ok(Date.now() - started < 1000, 'store calls must fail fast while Redis is away')
      assert.deepEqual({ healthy: store.health().healthy, unreachable: /unreachable/.test(store.health().detail ?? '') }, { healthy: true, unreachable: true })
    } finally {
      await store.close()
    }
  })

  it('sends the calls of one event-loop turn as one MGET and one Lua call, however many requests made them', async () => {
    const own = await ownRedis()
    const admin = rawClient(own.url)
    const store = await openStore(prefix, own.url)
    try {
      await store.setKeys(['warm-up'], ms(1000)) // loads the script on this connection
      await admin.config('RESETSTAT')
      const keys = (request: number) => Array.from({ length: 10 }, (_, i) => `dedup:${request}:${i}`)
      await Promise.all(Array.from({ length: 20 }, (_, request) => store.hasKeys(keys(request))))
      await Promise.all(Array.from({ length: 20 }, (_, request) => store.setKeys(keys(request), ms(60_000))))
      const stats = await admin.info('commandstats')
      const calls = (command: string) => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0)
      assert.deepEqual({ mget: calls('mget'), evalsha: calls('evalsha') + calls('eval') }, { mget: 1, evalsha: 1 })
      assert.deepEqual(await store.hasKeys(keys(7)), Array.from({ length: 10 }, () => true))
    } finally {
      await store.close()
      await admin.quit()
      await own.stop()
    }
  })
})
