/**
 * Redis down is not an outage: with a private redis-server (scripts/redis-up.sh)
 * killed mid-test, capture keeps answering 200 and counts the fail-opens; once
 * Redis is back (empty, no persistence), de-duplication and rate limits apply
 * again without a restart.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { aBareEvent, eventually, metricValue, postJson, request, TOKEN } from '../helpers/http-client.js'
import { ownRedis, type OwnRedis } from '../helpers/redis.js'
import { createLogger } from '../../src/observability/logger.js'
import { createMetrics } from '../../src/observability/metrics.js'
import { createRedisStore } from '../../src/store/redis-store.js'
import { ms } from '../../src/units.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

let redis: OwnRedis
let app: TestApp

before(async () => {
  redis = await ownRedis()
  app = await startTestApp({
    env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'outage:', RATE_LIMIT_DISTINCT_ID_EVENTS_PER_SECOND: '1', RATE_LIMIT_DISTINCT_ID_BURST: '3' },
  })
})
after(async () => {
  await app?.close()
  await redis?.stop()
})

const batch = (events: Record<string, unknown>[]) => ({ api_key: TOKEN, batch: events })
const failOpens = async (limiter: string): Promise<number> => metricValue((await request(app.url, '/metrics')).text, 'capture_limiter_fail_open_total', { limiter }) || 0
/** Spends a distinct id's burst of 3, then asks for one more event: 429 while the limit holds. */
async function overLimit(distinctId: string): Promise<number> {
  await postJson(app.url, '/batch', batch(Array.from({ length: 3 }, () => aBareEvent({ distinct_id: distinctId }))))
  return (await postJson(app.url, '/batch', batch([aBareEvent({ distinct_id: distinctId })]))).status
}
const written = async (event: string): Promise<number> => (await app.envelopes()).filter((envelope) => envelope.event === event).length

describe('Redis outage', () => {
  it('de-duplicates and rate-limits while Redis is up', async () => {
    const twice = batch([aBareEvent({ event: 'before_outage', timestamp: '2025-01-01T00:00:00Z' })])
    await postJson(app.url, '/batch', twice)
    await postJson(app.url, '/batch', twice)
    assert.equal(await written('before_outage'), 1)
    assert.equal(await overLimit('limited-before'), 429)
  })

  it('keeps answering 200 with Redis killed, and counts every fail-open', async () => {
    await redis.kill()
    const twice = batch([aBareEvent({ event: 'during_outage', timestamp: '2025-01-01T00:00:00Z' })])
    for (let i = 0; i < 2; i++) {
      const started = Date.now()
      const reply = await postJson(app.url, '/batch', twice)
      assert.equal(reply.status, 200)
      assert.ok(Date.now() - started < 1000, 'a request must not wait for Redis')
    }
    assert.equal(await overLimit('limited-during'), 200, 'rate limits fail open')
    assert.equal(await written('during_outage'), 2, 'de-duplication fails open: both copies kept')
    assert.ok((await failOpens('dedup')) >= 2)
    assert.ok((await failOpens('rate_limit')) >= 1)
    assert.ok((await failOpens('dedup_commit')) >= 1)
    const health = JSON.parse((await request(app.url, '/health')).text) as { components: Record<string, { healthy: boolean; detail?: string }> }
    assert.equal(health.components.store?.healthy, true, 'Redis down must not fail readiness')
    assert.match(health.components.store?.detail ?? '', /unreachable/)
    assert.equal((await request(app.url, '/_readiness')).status, 200)
  })

  it('applies the limits again by itself once Redis is back', async () => {
    await redis.start()
    let attempt = 0
    await eventually(async () => (await overLimit(`limited-after-${attempt++}`)) === 429, 15_000, 200)
    const twice = batch([aBareEvent({ event: 'after_outage', timestamp: '2025-01-01T00:00:00Z' })])
    await postJson(app.url, '/batch', twice)
    await postJson(app.url, '/batch', twice)
    assert.equal(await written('after_outage'), 1)
  })
})

describe('Redis unreachable at startup', () => {
  it('starts anyway, fails open, and uses Redis as soon as it answers', async () => {
    const late = await ownRedis({ started: false })
    const lateApp = await startTestApp({ env: { REDIS_URL: late.url, REDIS_KEY_PREFIX: 'late:' } })
    try {
      const twice = batch([aBareEvent({ event: 'late_redis', timestamp: '2025-01-01T00:00:00Z' })])
      assert.equal((await postJson(lateApp.url, '/batch', twice)).status, 200)
      await late.start()
      await eventually(async () => {
        await postJson(lateApp.url, '/batch', twice)
        const copies = (await lateApp.envelopes()).filter((envelope) => envelope.event === 'late_redis').length
        await postJson(lateApp.url, '/batch', twice)
        return (await lateApp.envelopes()).filter((envelope) => envelope.event === 'late_redis').length === copies
      }, 15_000, 200)
    } finally {
      await lateApp.close()
      await late.stop()
    }
  })
})

describe('Redis that hangs', () => {
  it('fails a store call after REDIS_RESPONSE_TIMEOUT_MS instead of waiting for it', async () => {
    const slow = await ownRedis()
    const store = await createRedisStore({ logger: createLogger({ level: 'silent' }), metrics: createMetrics({ defaultMetrics: false }) }, { url: slow.url, keyPrefix: 'slow:', connectTimeout: ms(2000), responseTimeout: ms(200) })
    try {
      assert.deepEqual(await store.hasKeys(['a']), [false])
      await slow.pause()
      const started = Date.now()
      await assert.rejects(store.hasKeys(['a']), /timed out/i)
      const waited = Date.now() - started
      assert.ok(waited < 1000, `waited ${waited} ms for a Redis that does not answer`)
      await slow.resume()
      await eventually(async () => Array.isArray(await store.hasKeys(['a']).catch(() => undefined)), 5000, 100)
    } finally {
      await slow.resume()
      await store.close()
      await slow.stop()
    }
  })
})
