import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createMetrics } from '../observability/metrics.js'
import { aCaptureEvent, aLimitRequest, LIMIT_TOKEN, T0_MS } from '../../test/helpers/capture-event.js'
import { KEEP } from './decisions.js'
import type { LimitRequest } from '../pipeline/ports.js'
import { createOverflowLimiter, type OverflowOptions } from './overflow-limiter.js'
import { parseTokenKeys } from './token-keys.js'

function setup(options: Partial<OverflowOptions> = {}) {
  const metrics = createMetrics({ defaultMetrics: false })
  const overflow = createOverflowLimiter({ metrics }, { enabled: true, perSecond: 10, burst: 5, forced: parseTokenKeys([]), ...options })
  const lanes = (request: LimitRequest, nowMs = T0_MS) => {
    const decisions = request.events.map(() => KEEP)
    overflow.apply(request, decisions, nowMs)
    return decisions.map((d) => (d.keep ? d.lane : 'dropped'))
  }
  return { lanes, metrics }
}

const events = (n: number, distinctId = 'hot') => Array.from({ length: n }, () => aCaptureEvent({ distinctId }))

describe('overflow limiter', () => {
  it('keeps a key in the normal lane up to its burst, then overflows it', () => {
    const { lanes } = setup()
    assert.deepEqual(lanes(aLimitRequest(events(7))), ['normal', 'normal', 'normal', 'normal', 'normal', 'overflow', 'overflow'])
  })

  it('counts each token:distinct_id separately', () => {
    const { lanes } = setup()
    lanes(aLimitRequest(events(5, 'hot')))
    assert.deepEqual(lanes(aLimitRequest([...events(1, 'hot'), ...events(1, 'calm')])), ['overflow', 'normal'])
  })

  it('lets a key back into the normal lane at the per-second rate', () => {
    const { lanes } = setup()
    lanes(aLimitRequest(events(5)))
    assert.deepEqual(lanes(aLimitRequest(events(2)), T0_MS + 100), ['normal', 'overflow'])
  })

  it('sends forced keys to overflow with person processing disabled, even with OVERFLOW_ENABLED off', () => {
    const { lanes } = setup({ enabled: false, forced: parseTokenKeys([`${LIMIT_TOKEN}:forced-user`]) })
    assert.deepEqual(lanes(aLimitRequest([...events(1, 'forced-user'), ...events(1, 'other')])), ['overflow_forced', 'normal'])
  })

  it('forces every distinct id of a listed token', () => {
    const { lanes } = setup({ enabled: false, forced: parseTokenKeys([LIMIT_TOKEN]) })
    assert.deepEqual(lanes(aLimitRequest(events(2))), ['overflow_forced', 'overflow_forced'])
  })

  it('never overflows historical batches or events with a topic of their own', () => {
    const { lanes } = setup({ burst: 1 })
    assert.deepEqual(lanes(aLimitRequest(events(3), { historical: true })), ['normal', 'normal', 'normal'])
    assert.deepEqual(lanes(aLimitRequest(Array.from({ length: 3 }, () => aCaptureEvent({ distinctId: 'x', event: '$exception' })))), ['normal', 'normal', 'normal'])
  })

  it('counts rerouted events by reason', async () => {
    const { lanes, metrics } = setup()
    lanes(aLimitRequest(events(7)))
    assert.equal((await metrics.overflowRerouted.get()).values.find((v) => v.labels.reason === 'hot_key')?.value, 2)
  })
})
