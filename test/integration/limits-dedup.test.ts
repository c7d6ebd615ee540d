/**
 * De-duplication end to end, through Redis (REDIS_URL): an SDK retrying a
 * batch whose 200 was lost writes each event once, and two capture instances
 * sharing one Redis share the marks.
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, it } from 'node:test'
import { PostHog } from 'posthog-node'
import { metricValue, postJson, request, TOKEN, aBareEvent } from '../helpers/http-client.js'
import { randomPrefix, requireRedisUrl } from '../helpers/redis.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const url = await requireRedisUrl()
const apps: TestApp[] = []
after(() => Promise.all(apps.map((app) => app.close())))

async function instance(prefix: string, env: Record<string, string> = {}): Promise<TestApp> {
  const app = await startTestApp({ env: { REDIS_URL: url, REDIS_KEY_PREFIX: prefix, ...env } })
  apps.push(app)
  return app
}

const uuidsIn = async (...targets: TestApp[]): Promise<string[]> =>
  (await Promise.all(targets.map((target) => target.envelopes()))).flat().map((envelope) => envelope.uuid as string)

/**
 * Forwards every request to capture and waits for its answer, but tells the
 * client 503 the first time: the events are durable, the SDK thinks they are not.
 */
async function losingFirstReplyProxy(target: string): Promise<{ url: string; attempts: () => number; close(): Promise<void> }> {
  let attempts = 0
  const server = http.createServer((req, res) => {
    const first = attempts++ === 0
    const upstream = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (reply) => {
      const parts: Buffer[] = []
      reply.on('data', (chunk: Buffer) => parts.push(chunk))
      reply.on('end', () => {
        if (first) res.writeHead(503, { 'content-type': 'application/json' }).end('{"injected":true}')
        else res.writeHead(reply.statusCode ?? 500, reply.headers).end(Buffer.concat(parts))
      })
    })
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    attempts: () => attempts,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

describe('de-duplication through Redis', () => {
  it('writes each event once when posthog-node retries a batch whose 200 was lost', async () => {
    const app = await instance(randomPrefix())
    const proxy = await losingFirstReplyProxy(app.url)
    const client = new PostHog(TOKEN, { host: proxy.url, flushAt: 20, flushInterval: 0, fetchRetryCount: 3, fetchRetryDelay: 50 })
    for (let i = 0; i < 10; i++) client.capture({ distinctId: `user-${i % 3}`, event: 'retried_event', properties: { i } })
    await client.shutdown()
    await proxy.close()
    assert.equal(proxy.attempts(), 2, 'the SDK retried once after the injected 503')
    const uuids = await uuidsIn(app)
    assert.equal(uuids.length, 10)
    assert.equal(new Set(uuids).size, 10)
    const metrics = await request(app.url, '/metrics')
    assert.equal(metricValue(metrics.text, 'capture_events_dropped_total', { cause: 'duplicate' }), 10)
  })

  it('shares marks between two instances on one Redis', async () => {
    const prefix = randomPrefix()
    const [a, b] = [await instance(prefix), await instance(prefix)]
    const batch = { api_key: TOKEN, batch: Array.from({ length: 5 }, (_, i) => aBareEvent({ timestamp: `2025-01-01T00:00:0${i}Z` })) }
    assert.equal((await postJson(a.url, '/batch', batch)).status, 200)
    assert.equal((await postJson(b.url, '/batch', batch)).status, 200)
    const uuids = await uuidsIn(a, b)
    assert.deepEqual([uuids.length, new Set(uuids).size], [5, 5])
  })

  it('keeps events under DEDUP_ENABLED=false', async () => {
    const app = await instance(randomPrefix(), { DEDUP_ENABLED: 'false' })
    const batch = { api_key: TOKEN, batch: [aBareEvent({ timestamp: '2025-01-01T00:00:00Z' })] }
    await postJson(app.url, '/batch', batch)
    await postJson(app.url, '/batch', batch)
    assert.equal((await uuidsIn(app)).length, 2)
  })
})
