/**
 * The replay overflow set through Redis, written the way PostHog's replay
 * consumer writes it: ZADD @posthog/capture-overflow/replay <until, epoch s> <session id>.
 * Listed sessions go to the replay overflow topic, still keyed by session id.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { eventually, postJson } from '../helpers/http-client.js'
import { aSnapshotEvent, SESSION_ID, snapshotItems } from '../helpers/recordings.js'
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

const topicsOf = async (app: TestApp): Promise<string[]> => (await app.readLog()).map((record) => record.topic)

describe('replay overflow set through Redis', () => {
  it('routes a listed session to the overflow topic within one refresh, and back when it is removed', async () => {
    const prefix = randomPrefix()
    const app = await startTestApp({ env: { REDIS_URL: url, REDIS_KEY_PREFIX: prefix, QUOTA_REFRESH_INTERVAL_MS: String(REFRESH_MS), DEDUP_ENABLED: 'false' } })
    apps.push(app)
    const send = async (): Promise<void> => {
      const reply = await postJson(app.url, '/s/', [aSnapshotEvent(snapshotItems(3))])
      assert.equal(reply.status, 200, reply.text)
    }
    await send()
    assert.deepEqual(await topicsOf(app), ['session_recording_snapshot_item_events'])

    const key = `${prefix}@posthog/capture-overflow/replay`
    await raw.zadd(key, Math.floor(Date.now() / 1000) + 3600, SESSION_ID)
    await eventually(async () => {
      await send()
      return (await topicsOf(app)).at(-1) === 'session_recording_snapshot_item_overflow'
    }, REFRESH_MS * 3 + 2000, 100)
    const overflowed = (await app.readLog()).at(-1)!
    assert.equal(overflowed.key, SESSION_ID, 'overflow keeps the session key')

    await raw.zrem(key, SESSION_ID)
    await eventually(async () => {
      await send()
      return (await topicsOf(app)).at(-1) === 'session_recording_snapshot_item_events'
    }, REFRESH_MS * 3 + 2000, 100)
  })

  it('ignores an entry whose time has passed', async () => {
    const prefix = randomPrefix()
    await raw.zadd(`${prefix}@posthog/capture-overflow/replay`, Math.floor(Date.now() / 1000) - 10, SESSION_ID)
    const app = await startTestApp({ env: { REDIS_URL: url, REDIS_KEY_PREFIX: prefix, DEDUP_ENABLED: 'false' } })
    apps.push(app)
    assert.equal((await postJson(app.url, '/s/', [aSnapshotEvent(snapshotItems(2))])).status, 200)
    assert.deepEqual(await topicsOf(app), ['session_recording_snapshot_item_events'])
  })
})
