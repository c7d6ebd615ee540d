/**
 * RedisClusterStore against a real 3-master, 3-replica Redis Cluster started
 * by scripts/redis-cluster-up.sh: the Store contract, hash slots as Redis
 * computes them, de-dup keys spread over every master, one pipeline per
 * master per event-loop turn, and refusing a take whose keys span slots.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { dedupKey } from '../../src/limiters/dedup.js'
import { rateKeys } from '../../src/limiters/rate-limiter.js'
import { createLogger } from '../../src/observability/logger.js'
import { createMetrics } from '../../src/observability/metrics.js'
import { keySlot } from '../../src/store/key-slot.js'
import { createRedisClusterStore } from '../../src/store/redis-cluster-store.js'
import { storeContract } from '../../src/store/store-contract.js'
import { ms } from '../../src/units.js'
import { aCaptureEvent } from '../helpers/capture-event.js'
import { randomPrefix } from '../helpers/redis.js'
import { ownRedisCluster, type OwnRedisCluster } from '../helpers/redis-cluster.js'

const logger = createLogger({ level: 'silent' })
let cluster: OwnRedisCluster
before(async () => void (cluster = await ownRedisCluster()))
after(() => cluster?.stop())

const openStore = (keyPrefix: string, metrics = createMetrics({ defaultMetrics: false })) =>
  createRedisClusterStore({ logger, metrics }, {
    nodes: cluster.seeds.split(',').map((seed) => ({ host: '127.0.0.1', port: Number(seed.split(':')[1]) })),
    keyPrefix, connectTimeout: ms(5000), responseTimeout: ms(1000),
  })

storeContract('RedisClusterStore', async () => {
  const prefix = randomPrefix()
  const store = await openStore(prefix)
  const seeder = cluster.client()
  return {
    store,
    addToSortedSet: async (key, member, score) => void (await seeder.zadd(prefix + key, score, member)),
    elapse: (duration) => sleep(duration),
    close: async () => {
      await store.close()
      seeder.disconnect()
    },
  }
})

describe('RedisClusterStore', () => {
  it('computes the hash slot of a key as the cluster does', async () => {
    const node = cluster.node(cluster.ports[0]!)
    const event = aCaptureEvent()
    for (const key of [dedupKey(event, 1), rateKeys.token('phc_x'), rateKeys.distinctId('}odd{', 'u'), '@posthog/quota-limits/events', 'é{ü}']) {
      assert.equal(keySlot(key), Number(await node.cluster('KEYSLOT', key)), key)
    }
  })

  it('spreads de-dup keys over every master, and a token\'s buckets onto one slot', async () => {
    const masters = new Set<number>()
    for (let i = 0; i < 30; i++) masters.add(await cluster.masterOf(keySlot(dedupKey(aCaptureEvent({ distinctId: `u${i}` }), i))))
    assert.equal(masters.size, 3)
    assert.equal(keySlot(rateKeys.token('phc_t')), keySlot(rateKeys.distinctId('phc_t', 'someone')))
  })

  it('sends the calls of one turn as one pipeline per master, however many requests and slots', async () => {
    const metrics = createMetrics({ defaultMetrics: false })
    const store = await openStore(randomPrefix(), metrics)
    try {
      const keys = (request: number) => Array.from({ length: 10 }, (_, i) => `dedup:${request}:${i}`)
      await Promise.all(Array.from({ length: 20 }, (_, request) => store.setKeys(keys(request), ms(60_000))))
      const before = await pipelines(metrics, 'has')
      const answers = await Promise.all(Array.from({ length: 20 }, (_, request) => store.hasKeys(keys(request))))
      assert.equal(await pipelines(metrics, 'has') - before, 3, 'one MGET pipeline per master')
      assert.deepEqual(answers.flat().filter((live) => !live), [])
    } finally {
      await store.close()
    }
  })

  it('sets several keys of one slot with one call and reads them back', async () => {
    const store = await openStore(randomPrefix())
    try {
      const keys = ['{same}a', '{same}b', '{same}c', 'elsewhere']
      await store.setKeys(keys, ms(60_000))
      assert.deepEqual(await store.hasKeys([...keys, '{same}d']), [true, true, true, true, false])
    } finally {
      await store.close()
    }
  })

  it('starts without a reachable node, fails calls fast, and reports itself not connected', async () => {
    const metrics = createMetrics({ defaultMetrics: false })
    const store = await createRedisClusterStore({ logger, metrics }, { nodes: [{ host: '127.0.0.1', port: 1 }], keyPrefix: 'p:', connectTimeout: ms(300), responseTimeout: ms(500) })
    try {
      const call = await timed(store.hasKeys(['a']))
      assert.ok(call.ms < 1000, `failed in ${call.ms} ms`)
      assert.notEqual(call.outcome, '[false]')
      assert.deepEqual({ healthy: store.health().healthy, detail: /limiters fail open/.test(store.health().detail ?? '') }, { healthy: true, detail: true })
      assert.match(await metrics.registry.metrics(), /capture_store_connected\{store="redis"\} 0/)
    } finally {
      await store.close()
    }
  })

  it('refuses a take whose buckets span hash slots instead of splitting it', async () => {
    const store = await openStore(randomPrefix())
    try {
      const takes = ['a', 'b', 'c', 'd'].map((key) => ({ key: `rate:${key}`, cost: 1, perSecond: 1, burst: 1 }))
      await assert.rejects(store.takeTokens(takes, Date.now()), /span hash slots/)
      assert.deepEqual(await store.takeTokens([{ key: rateKeys.token('t'), cost: 1, perSecond: 1, burst: 5 }, { key: rateKeys.distinctId('t', 'u'), cost: 1, perSecond: 1, burst: 5 }], Date.now()), { allowed: true })
    } finally {
      await store.close()
    }
  })

  it('answers within the response timeout while a slot moves to another master (ASK, MOVED), then follows it', async () => {
    const prefix = randomPrefix()
    const store = await openStore(prefix)
    try {
      await store.setKeys(['dedup:moving'], ms(60_000))
      const slot = keySlot(`${prefix}dedup:moving`)
      const from = await cluster.masterOf(slot)
      const masters = [...new Set(await Promise.all([0, 5000, 10_000, 16_000].map((s) => cluster.masterOf(s))))]
      const to = masters.find((port) => port !== from)!
      const [source, target] = [cluster.node(from), cluster.node(to)]
      const [sourceId, targetId] = await Promise.all([source.cluster('MYID'), target.cluster('MYID')]) as string[]
      await target.cluster('SETSLOT', slot, 'IMPORTING', sourceId!)
      await source.cluster('SETSLOT', slot, 'MIGRATING', targetId!)
      // A key of the slot that the source does not hold: the source answers ASK.
      const absent = `{${prefix}dedup:moving}absent`
      assert.equal(keySlot(prefix + absent), slot)
      const asked = await timed(store.hasKeys([absent]))
      assert.ok(asked.ms < 1500, `answered (or failed) in ${asked.ms} ms while the slot migrates`)
      assert.match(asked.outcome, /^ASK /, 'the redirection fails the call (fail open) instead of hanging')
      await source.migrate('127.0.0.1', to, '', 0, 5000, 'KEYS', `${prefix}dedup:moving`)
      for (const port of cluster.ports) await cluster.node(port).cluster('SETSLOT', slot, 'NODE', targetId!).catch(() => undefined)
      const moved = await timed(store.hasKeys(['dedup:moving']))
      assert.ok(moved.ms < 1500, `answered (or failed) in ${moved.ms} ms after the slot moved`)
      await eventually(async () => (await store.hasKeys(['dedup:moving']).catch(() => [false]))[0] === true, 5000, 100)
    } finally {
      await store.close()
    }
  })

  it('reports itself connected once the slot map is complete', async () => {
    const metrics = createMetrics({ defaultMetrics: false })
    const store = await openStore(randomPrefix(), metrics)
    try {
      await waitFor(() => /connected, 3 masters/.test(store.health().detail ?? ''))
      assert.match(await metrics.registry.metrics(), /capture_store_connected\{store="redis"\} 1/)
    } finally {
      await store.close()
    }
  })
})

async function pipelines(metrics: ReturnType<typeof createMetrics>, op: string): Promise<number> {
  const text = await metrics.registry.metrics()
  return Number(new RegExp(`capture_store_op_duration_seconds_count\\{store="redis",op="${op}"\\} (\\d+)`).exec(text)?.[1] ?? 0)
}

/** How long a call took to resolve or reject, and how it ended. */
async function timed<T>(call: Promise<T>): Promise<{ ms: number; outcome: string }> {
  const started = Date.now()
  const outcome = await call.then((value) => JSON.stringify(value), (err: Error) => err.message)
  return { ms: Date.now() - started, outcome }
}

async function eventually(check: () => Promise<boolean>, maxMs: number, everyMs: number): Promise<void> {
  const deadline = Date.now() + maxMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${maxMs} ms`)
    await sleep(everyMs)
  }
}

async function waitFor(condition: () => boolean, maxMs = 5000): Promise<void> {
  const deadline = Date.now() + maxMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(50)
  }
}
