/**
 * Billing quotas through Redis (REDIS_URL), written the way PostHog's billing
 * writes them: ZADD @posthog/quota-limits/<resource> <limit end, epoch s> <token>.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { aBareEvent, eventually, json, postJson, TOKEN, type Reply } from '../helpers/http-client.js'
import { randomPrefix, rawClient, requireRedisUrl } from '../helpers/redis.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const url = await requireRedisUrl()
const raw = rawClient(url)
const REFRESH_MS = 200
const apps: TestApp[] = []
after(async () => {
  await Promise.all(apps.map((app) => app.close()))
  await raw.quit()
})

const send = (app: TestApp, events: Record<string, unknown>[]): Promise<Reply> => postJson(app.url, '/batch', { api_key: TOKEN, batch: events })

describe('billing quotas through Redis', () => {
  it('drops over-quota events within one refresh interval, says so in the body, and recovers when removed', async () => {
    const prefix = randomPrefix()
    const app = await startTestApp({ env: { REDIS_URL: url, REDIS_KEY_PREFIX: prefix, QUOTA_REFRESH_INTERVAL_MS: String(REFRESH_MS) } })
    apps.push(app)
    const key = `${prefix}@posthog/quota-limits/events`
    assert.deepEqual(json(await send(app, [aBareEvent()])), { code: 1, status: 'ok' })

    await raw.zadd(key, Math.floor(Date.now() / 1000) + 3600, TOKEN)
    const limitedAt = Date.now()
    await eventually(async () => (await send(app, [aBareEvent({ event: 'probe' })])).text.includes('quota_limited'), REFRESH_MS * 3 + 1000)
    assert.ok(Date.now() - limitedAt <= REFRESH_MS * 3 + 1000)
    const reply = await send(app, [aBareEvent({ event: 'over_quota_event' })])
    assert.equal(reply.status, 200)
    assert.deepEqual(json(reply), { code: 1, status: 'ok', quota_limited: ['events'] })
    const exception = await send(app, [aBareEvent({ event: '$exception' })])
    assert.deepEqual(json(exception), { code: 1, status: 'ok' }, '$exception counts against its own quota')

    await raw.zrem(key, TOKEN)
    await eventually(async () => !(await send(app, [aBareEvent({ event: 'recovered' })])).text.includes('quota_limited'), REFRESH_MS * 3 + 1000)
    const names = (await app.envelopes()).map((envelope) => envelope.event)
    assert.ok(!names.includes('over_quota_event'), 'no over-quota event reached the sink')
    assert.ok(names.includes('$exception') && names.includes('recovered'))
  })

  it('ignores a limit whose end has passed', async () => {
    const prefix = randomPrefix()
    await raw.zadd(`${prefix}@posthog/quota-limits/events`, Math.floor(Date.now() / 1000) - 10, TOKEN)
    const app = await startTestApp({ env: { REDIS_URL: url, REDIS_KEY_PREFIX: prefix, QUOTA_REFRESH_INTERVAL_MS: String(REFRESH_MS) } })
    apps.push(app)
    assert.deepEqual(json(await send(app, [aBareEvent()])), { code: 1, status: 'ok' })
  })
})
