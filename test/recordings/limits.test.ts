/**
 * Recordings and the limiters over real HTTP. The quota test runs the
 * project's real limiter (createLimiter, as app.ts builds it) over a memory
 * store holding PostHog's quota layout, injected through startApp's limiter
 * override; the overflow test injects the replay overflow set the same way.
 * test/integration covers the same layout against a real Redis.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig } from '../../src/config/config.js'
import { createLimiter } from '../../src/limiters/composite-limiter.js'
import { QUOTA_KEY_PREFIX } from '../../src/limiters/quota-limiter.js'
import { createLogger } from '../../src/observability/logger.js'
import { createMetrics } from '../../src/observability/metrics.js'
import { createMemoryReplayOverflow } from '../../src/pipeline/recordings/replay-overflow.js'
import { systemClock } from '../../src/clock.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { anEvent, json, postJson } from '../helpers/http-client.js'
import { aSnapshotEvent, RECORDING_TOKEN, SESSION_ID } from '../helpers/recordings.js'

const FAR_FUTURE_S = Math.floor(Date.now() / 1000) + 3600

describe('recordings quota (resource "recordings")', () => {
  let t: TestApp

  before(async () => {
    const logger = createLogger({ level: 'silent' })
    const store = createMemoryStore({ clock: systemClock, logger }, { maxKeys: 1000 })
    store.addToSortedSet(`${QUOTA_KEY_PREFIX}recordings`, RECORDING_TOKEN, FAR_FUTURE_S)
    const limiter = await createLimiter({ store, clock: systemClock, metrics: createMetrics({ defaultMetrics: false }), logger }, loadConfig({}).limiters)
    t = await startTestApp({ overrides: { limiter } })
  })
  after(() => t.close())

  it('answers 200 with quota_limited ["recordings"] and writes nothing', async () => {
    const reply = await postJson(t.url, '/s/', [aSnapshotEvent([{ n: 1 }])])
    assert.equal(reply.status, 200)
    assert.deepEqual(json(reply), { code: 1, status: 'ok', quota_limited: ['recordings'] })
    assert.deepEqual(await t.readLog(), [])
  })

  it('leaves the same project\'s analytics events alone', async () => {
    const reply = await postJson(t.url, '/e/', anEvent({ api_key: RECORDING_TOKEN }))
    assert.equal(reply.status, 200)
    assert.equal((await t.envelopes()).length, 1)
  })
})

describe('replay overflow set', () => {
  let t: TestApp
  const overflow = createMemoryReplayOverflow(['hot-session'])

  before(async () => {
    t = await startTestApp({ overrides: { replayOverflow: overflow } })
  })
  after(() => t.close())

  it('sends a session in the set to KAFKA_REPLAY_OVERFLOW_TOPIC, keyed by session, and others to KAFKA_REPLAY_TOPIC', async () => {
    const reply = await postJson(t.url, '/s/', [aSnapshotEvent([1], { properties: { $session_id: 'hot-session' } }), aSnapshotEvent([2])])
    assert.equal(reply.status, 200)
    assert.deepEqual((await t.readLog()).map((record) => [record.topic, record.key]), [
      ['session_recording_snapshot_item_overflow', 'hot-session'],
      ['session_recording_snapshot_item_events', SESSION_ID],
    ])
  })

  it('follows the set when it is refreshed', async () => {
    overflow.replace([SESSION_ID])
    await postJson(t.url, '/s/', [aSnapshotEvent([3], { properties: { $session_id: 'hot-session' } }), aSnapshotEvent([4])])
    assert.deepEqual((await t.readLog()).slice(2).map((record) => [record.topic, record.key]), [
      ['session_recording_snapshot_item_events', 'hot-session'],
      ['session_recording_snapshot_item_overflow', SESSION_ID],
    ])
  })
})
