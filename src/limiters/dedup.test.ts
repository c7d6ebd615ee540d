import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createLogger } from '../observability/logger.js'
import { createMetrics } from '../observability/metrics.js'
import { createMemoryStore } from '../store/memory-store.js'
import type { Store } from '../store/store.js'
import { ms } from '../units.js'
import { aCaptureEvent, aLimitRequest, T0_MS } from '../../test/helpers/capture-event.js'
import { manualClock } from '../../test/helpers/manual-clock.js'
import { clientTimeMs, createDedup, dedupKey } from './dedup.js'
import { KEEP } from './decisions.js'
import { createFailOpen } from './fail-open.js'
import type { Decision, LimitRequest } from '../pipeline/ports.js'

const logger = createLogger({ level: 'silent' })

function setup(store?: Store) {
  const clock = manualClock(T0_MS)
  const metrics = createMetrics({ defaultMetrics: false })
  const backing = store ?? createMemoryStore({ clock, logger }, { maxKeys: 10_000 })
  const dedup = createDedup({ store: backing, failOpen: createFailOpen({ metrics, logger, clock }) }, { ttl: ms(86_400_000) })
  /** check → settle → commit, as the pipeline does after a durable write; returns what was kept. */
  const pass = async (request: LimitRequest, options: { durable?: boolean } = {}): Promise<Decision[]> => {
    const decisions = request.events.map(() => KEEP)
    const check = await dedup.check(request, decisions)
    const marks = check.settle(decisions)
    if (options.durable !== false) await dedup.commit(marks)
    return decisions
  }
  return { dedup, pass, metrics }
}

const kept = (decisions: readonly Decision[]): boolean[] => decisions.map((decision) => decision.keep)

describe('dedupKey', () => {
  it('is the same for the same token, distinct_id, event, timestamp and client uuid', () => {
    const event = aCaptureEvent()
    assert.equal(dedupKey(event, 1), dedupKey({ ...event, properties: { other: true } }, 1))
  })

  it('differs when any of them differs', () => {
    const event = aCaptureEvent()
    const keys = new Set([
      dedupKey(event, 1),
      dedupKey(event, 2),
      dedupKey({ ...event, distinctId: 'user-2' }, 1),
      dedupKey({ ...event, event: 'other' }, 1),
      dedupKey({ ...event, token: 'phc_other' }, 1),
      dedupKey({ ...event, uuid: '0190d5a4-0000-7000-8000-000000000000' }, 1),
    ])
    assert.equal(keys.size, 6)
  })

  it('leaves a server-generated uuid out, so it cannot hide a re-sent event', () => {
    const event = aCaptureEvent({ clientUuid: false })
    assert.equal(dedupKey(event, 1), dedupKey({ ...event, uuid: '0190d5a4-0000-7000-8000-000000000000' }, 1))
  })

  it('cannot be made to collide by moving characters between fields', () => {
    const event = aCaptureEvent()
    assert.notEqual(dedupKey({ ...event, distinctId: 'ab', event: 'c' }, 1), dedupKey({ ...event, distinctId: 'a', event: 'bc' }, 1))
  })
})

describe('clientTimeMs', () => {
  it('undoes the sent_at skew correction, so a retry sent later maps to the same time', () => {
    const sentAtMs = T0_MS - 60_000
    // The pipeline computed timestamp = client ts − (sent_at − now); the retry arrives 5 s later.
    const first = aCaptureEvent({ timestampMs: T0_MS - 1000 })
    const retry = { ...first, timestampMs: T0_MS + 5000 - 1000 }
    assert.equal(clientTimeMs(first, { nowMs: T0_MS, sentAtMs }), clientTimeMs(retry, { nowMs: T0_MS + 5000, sentAtMs }))
  })

  it('keeps the timestamp as is without sent_at, or with $ignore_sent_at', () => {
    assert.equal(clientTimeMs(aCaptureEvent({ timestampMs: 42 }), { nowMs: T0_MS }), 42)
    assert.equal(clientTimeMs(aCaptureEvent({ timestampMs: 42, properties: { $ignore_sent_at: true } }), { nowMs: T0_MS, sentAtMs: 7 }), 42)
  })
})

describe('de-duplication', () => {
  it('drops an event already written, and keeps new ones', async () => {
    const { pass } = setup()
    const [a, b] = [aCaptureEvent(), aCaptureEvent()]
    await pass(aLimitRequest([a]))
    assert.deepEqual(kept(await pass(aLimitRequest([a, b]))), [false, true])
  })

  it('drops the second copy of an event within one request', async () => {
    const { pass } = setup()
    const event = aCaptureEvent()
    assert.deepEqual(kept(await pass(aLimitRequest([event, aCaptureEvent(), event]))), [true, true, false])
  })

  it('keeps a retry when the first write failed (no commit, no mark)', async () => {
    const { pass } = setup()
    const event = aCaptureEvent()
    await pass(aLimitRequest([event]), { durable: false })
    assert.deepEqual(kept(await pass(aLimitRequest([event]))), [true])
  })

  it('keeps both of two concurrent requests with the same event (never drops both)', async () => {
    const { dedup } = setup()
    const request = aLimitRequest([aCaptureEvent()])
    const decisions = [[KEEP], [KEEP]]
    const checks = await Promise.all(decisions.map((d) => dedup.check(request, d)))
    const marks = checks.map((check, index) => check.settle(decisions[index]!))
    await Promise.all(marks.map((keys) => dedup.commit(keys)))
    assert.deepEqual(decisions.map(kept), [[true], [true]])
  })

  it('ignores events an earlier limiter dropped, and never marks them', async () => {
    const { dedup, pass } = setup()
    const event = aCaptureEvent()
    const decisions: Decision[] = [{ keep: false, cause: 'over_quota' }]
    const marks = (await dedup.check(aLimitRequest([event]), decisions)).settle(decisions)
    assert.deepEqual(marks, [])
    assert.deepEqual(kept(await pass(aLimitRequest([event]))), [true])
  })

  it('keeps every event and counts a fail-open when the store fails', async () => {
    const failing = { ...createMemoryStore({ clock: manualClock(), logger }, { maxKeys: 10 }), hasKeys: () => Promise.reject(new Error('down')), setKeys: () => Promise.reject(new Error('down')) }
    const { pass, metrics } = setup(failing)
    const event = aCaptureEvent()
    await pass(aLimitRequest([event]))
    assert.deepEqual(kept(await pass(aLimitRequest([event]))), [true])
    const failOpen = await metrics.limiterFailOpen.get()
    assert.deepEqual(Object.fromEntries(failOpen.values.map((v) => [v.labels.limiter, v.value])), { dedup: 2, dedup_commit: 2 })
  })
})
