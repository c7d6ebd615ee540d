import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createLogger } from '../observability/logger.js'
import { createMetrics } from '../observability/metrics.js'
import { createMemoryStore } from '../store/memory-store.js'
import { ms } from '../units.js'
import { aCaptureEvent, aLimitRequest, LIMIT_TOKEN, T0_MS } from '../../test/helpers/capture-event.js'
import { manualClock } from '../../test/helpers/manual-clock.js'
import { KEEP } from './decisions.js'
import { createFailOpen } from './fail-open.js'
import type { LimitRequest } from '../pipeline/ports.js'
import { createQuotaLimiter, QUOTA_KEY_PREFIX, resourceFor } from './quota-limiter.js'

const logger = createLogger({ level: 'silent' })
const NOW_S = T0_MS / 1000

function setup() {
  const clock = manualClock(T0_MS)
  const metrics = createMetrics({ defaultMetrics: false })
  const store = createMemoryStore({ clock, logger }, { maxKeys: 1000 })
  const quota = createQuotaLimiter({ store, clock, metrics, failOpen: createFailOpen({ metrics, logger, clock }) }, { refreshEvery: ms(60_000) })
  const apply = (request: LimitRequest) => {
    const decisions = request.events.map(() => KEEP)
    const limited = quota.apply(request, decisions)
    return { kept: decisions.map((d) => d.keep), limited }
  }
  return { store, quota, apply, metrics }
}

describe('resourceFor', () => {
  it('maps events to their billing resource as upstream does', () => {
    const of = (event: string, properties = {}) => resourceFor(aCaptureEvent({ event, properties }), 'events')
    assert.equal(of('$pageview'), 'events')
    assert.equal(of('$exception'), 'exceptions')
    assert.equal(of('$ai_generation'), 'llm_events')
    assert.equal(of('survey sent'), 'surveys')
    assert.equal(of('survey shown', { $product_tour_id: 't1' }), 'events')
    assert.equal(resourceFor(aCaptureEvent({ event: '$snapshot_items' }), 'recordings'), 'recordings')
  })
})

describe('quota limiter', () => {
  it('drops the events of a token whose limit ends in the future, and names the resource', async () => {
    const { store, quota, apply } = setup()
    store.addToSortedSet(QUOTA_KEY_PREFIX + 'events', LIMIT_TOKEN, NOW_S + 3600)
    await quota.refresh()
    assert.deepEqual(apply(aLimitRequest([aCaptureEvent(), aCaptureEvent()])), { kept: [false, false], limited: ['events'] })
  })

  it('ignores limits that have already ended', async () => {
    const { store, quota, apply } = setup()
    store.addToSortedSet(QUOTA_KEY_PREFIX + 'events', LIMIT_TOKEN, NOW_S - 1)
    await quota.refresh()
    assert.deepEqual(apply(aLimitRequest([aCaptureEvent()])), { kept: [true], limited: [] })
  })

  it('lets scoped events through on their own quota when only events are over quota', async () => {
    const { store, quota, apply } = setup()
    store.addToSortedSet(QUOTA_KEY_PREFIX + 'events', LIMIT_TOKEN, NOW_S + 60)
    await quota.refresh()
    const request = aLimitRequest([aCaptureEvent(), aCaptureEvent({ event: '$exception' }), aCaptureEvent({ event: '$ai_span' })])
    assert.deepEqual(apply(request), { kept: [false, true, true], limited: ['events'] })
  })

  it('drops only the scoped events when only a scoped resource is over quota', async () => {
    const { store, quota, apply } = setup()
    store.addToSortedSet(QUOTA_KEY_PREFIX + 'exceptions', LIMIT_TOKEN, NOW_S + 60)
    await quota.refresh()
    const request = aLimitRequest([aCaptureEvent(), aCaptureEvent({ event: '$exception' })])
    assert.deepEqual(apply(request), { kept: [true, false], limited: ['exceptions'] })
  })

  it('restores ingestion once billing removes the token', async () => {
    const { store, quota, apply } = setup()
    store.addToSortedSet(QUOTA_KEY_PREFIX + 'events', LIMIT_TOKEN, NOW_S + 60)
    await quota.refresh()
    store.removeFromSortedSet(QUOTA_KEY_PREFIX + 'events', LIMIT_TOKEN)
    await quota.refresh()
    assert.deepEqual(apply(aLimitRequest([aCaptureEvent()])), { kept: [true], limited: [] })
  })

  it('keeps the last known set when a refresh fails, and counts the fail-open', async () => {
    const { store, quota, apply, metrics } = setup()
    store.addToSortedSet(QUOTA_KEY_PREFIX + 'events', LIMIT_TOKEN, NOW_S + 60)
    await quota.refresh()
    store.sortedSetMembersFrom = () => Promise.reject(new Error('redis down'))
    await quota.refresh()
    assert.deepEqual(apply(aLimitRequest([aCaptureEvent()])).kept, [false])
    assert.equal((await metrics.limiterFailOpen.get()).values[0]?.value, 5)
  })
})
