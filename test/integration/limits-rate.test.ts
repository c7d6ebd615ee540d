/**
 * Rate limits through Redis (REDIS_URL): 429 with Retry-After and a JSON body
 * naming the limit, and one budget shared by two instances.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { aBareEvent, errorOf, postJson, TOKEN } from '../helpers/http-client.js'
import { randomPrefix, requireRedisUrl } from '../helpers/redis.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const url = await requireRedisUrl()
const apps: TestApp[] = []
after(() => Promise.all(apps.map((app) => app.close())))

async function instance(prefix: string, env: Record<string, string>): Promise<TestApp> {
  const app = await startTestApp({ env: { REDIS_URL: url, REDIS_KEY_PREFIX: prefix, ...env } })
  apps.push(app)
  return app
}

const batchOf = (n: number, distinctId = 'user-1') => ({ api_key: TOKEN, batch: Array.from({ length: n }, () => aBareEvent({ distinct_id: distinctId })) })

describe('rate limits through Redis', () => {
  it('answers 429 with Retry-After and a body naming the limit once a token spends its burst', async () => {
    const app = await instance(randomPrefix(), { RATE_LIMIT_TOKEN_EVENTS_PER_SECOND: '1', RATE_LIMIT_TOKEN_BURST: '5' })
    assert.equal((await postJson(app.url, '/batch', batchOf(5))).status, 200)
    const refused = await postJson(app.url, '/batch', batchOf(2))
    assert.equal(refused.status, 429)
    assert.ok(Number(refused.headers['retry-after']) >= 1, `Retry-After: ${refused.headers['retry-after']}`)
    const body = errorOf(refused)
    assert.equal(body.code, 'rate_limited')
    assert.equal(body.type, 'throttled')
    assert.match(body.detail, /RATE_LIMIT_TOKEN_EVENTS_PER_SECOND/)
    assert.equal((await app.envelopes()).length, 5, 'the refused request wrote nothing')
  })

  it('limits each distinct id on its own with the distinct_id limit', async () => {
    const app = await instance(randomPrefix(), { RATE_LIMIT_DISTINCT_ID_EVENTS_PER_SECOND: '1', RATE_LIMIT_DISTINCT_ID_BURST: '3' })
    assert.equal((await postJson(app.url, '/batch', batchOf(3, 'noisy'))).status, 200)
    const refused = await postJson(app.url, '/batch', batchOf(1, 'noisy'))
    assert.equal(refused.status, 429)
    assert.match(errorOf(refused).detail, /RATE_LIMIT_DISTINCT_ID_EVENTS_PER_SECOND exceeded for distinct_id "noisy"/)
    assert.equal((await postJson(app.url, '/batch', batchOf(3, 'calm'))).status, 200)
  })

  it('shares one budget between two instances on one Redis', async () => {
    const prefix = randomPrefix()
    const env = { RATE_LIMIT_TOKEN_EVENTS_PER_SECOND: '1', RATE_LIMIT_TOKEN_BURST: '4' }
    const [a, b] = [await instance(prefix, env), await instance(prefix, env)]
    assert.equal((await postJson(a.url, '/batch', batchOf(4))).status, 200)
    assert.equal((await postJson(b.url, '/batch', batchOf(2))).status, 429)
  })
})
