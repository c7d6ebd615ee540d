/**
 * A hung Redis (SIGSTOP: connections stay open, nothing answers) costs a few
 * requests one REDIS_RESPONSE_TIMEOUT_MS each, not every request: after three
 * timeouts in a row the store's circuit breaker opens, limiters fail open at
 * once, and the reply never waits for the de-dup commit. Once Redis answers
 * again (SIGCONT) a background probe closes the breaker and de-duplication
 * applies again, without a restart.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { performance } from 'node:perf_hooks'
import { aBareEvent, eventually, metricValue, postJson, request, TOKEN } from '../helpers/http-client.js'
import { ownRedis, type OwnRedis } from '../helpers/redis.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const TIMEOUT_MS = 1000
let redis: OwnRedis
let app: TestApp

before(async () => {
  redis = await ownRedis()
  app = await startTestApp({ env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'hang:', REDIS_RESPONSE_TIMEOUT_MS: String(TIMEOUT_MS) } })
})
after(async () => {
  await redis?.resume()
  await app?.close()
  await redis?.stop()
})

const batch = (events: Record<string, unknown>[]) => ({ api_key: TOKEN, batch: events })
const written = async (event: string): Promise<number> => (await app.envelopes()).filter((envelope) => envelope.event === event).length
const breakerOpen = async (): Promise<number> => metricValue((await request(app.url, '/metrics')).text, 'capture_store_breaker_open', { store: 'redis' })

/** Sends `count` requests one after another; their latencies in ms. */
async function latencies(count: number, event: string): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    const reply = await postJson(app.url, '/batch', batch([aBareEvent({ event })]))
    out.push(performance.now() - started)
    assert.equal(reply.status, 200, reply.text)
  }
  return out
}

describe('Redis that hangs', () => {
  it('answers fast while Redis answers', async () => {
    const times = await latencies(5, 'warm')
    assert.ok(Math.max(...times) < TIMEOUT_MS / 2, `latencies ${times.map((t) => t.toFixed(0)).join(', ')}`)
    assert.equal(await breakerOpen(), 0)
  })

  it('waits out the response timeout on at most three requests, then answers at once', async (ctx) => {
    await redis.pause()
    const times = await latencies(20, 'during_hang')
    ctx.diagnostic(`latencies with Redis stopped (ms): ${times.map((t) => t.toFixed(0)).join(', ')}`)
    const slow = times.filter((t) => t >= TIMEOUT_MS / 2)
    assert.ok(slow.length <= 3, `${slow.length} requests waited for Redis`)
    assert.ok(times.slice(-10).every((t) => t < 200), `after the breaker opened: ${times.slice(-10).map((t) => t.toFixed(0)).join(', ')}`)
    assert.ok(times.every((t) => t < TIMEOUT_MS * 1.5), 'a request waited for the check and the commit')
    assert.equal(await breakerOpen(), 1)
    assert.equal(await written('during_hang'), 20)
    assert.equal((await request(app.url, '/_readiness')).status, 200)
  })

  it('closes the breaker by itself once Redis answers, and de-duplicates again', async () => {
    await redis.resume()
    await eventually(async () => (await breakerOpen()) === 0, 10_000, 100)
    const twice = batch([aBareEvent({ event: 'after_hang', timestamp: '2025-01-01T00:00:00Z' })])
    await postJson(app.url, '/batch', twice)
    await eventually(async () => {
      await postJson(app.url, '/batch', twice)
      return (await written('after_hang')) <= 2
    }, 5_000, 100)
    const before = await written('after_hang')
    await postJson(app.url, '/batch', twice)
    assert.equal(await written('after_hang'), before, 'the duplicate was kept')
  })
})
