import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { EnvReader } from '../config/env-parsers.js'
import { readLimiterConfig } from '../config/limiter-config.js'
import { CaptureError } from '../errors/capture-error.js'
import { createLogger } from '../observability/logger.js'
import { createMetrics } from '../observability/metrics.js'
import { createMemoryStore, type MemoryStore } from '../store/memory-store.js'
import { createPrimaryStore, createStoreServer, type StoreReply, type StoreRequest } from '../store/primary-store.js'
import type { Store } from '../store/store.js'
import { ms } from '../units.js'
import { aCaptureEvent, aLimitRequest, LIMIT_TOKEN, T0_MS } from '../../test/helpers/capture-event.js'
import { manualClock } from '../../test/helpers/manual-clock.js'
import { createLimiter } from './composite-limiter.js'
import type { LimitRequest } from '../pipeline/ports.js'
import { QUOTA_KEY_PREFIX } from './quota-limiter.js'

const logger = createLogger({ level: 'silent' })

async function setup(env: Record<string, string> = {}, makeStore?: (memory: MemoryStore) => Store) {
  const clock = manualClock(T0_MS)
  const metrics = createMetrics({ defaultMetrics: false })
  const memory = createMemoryStore({ clock, logger }, { maxKeys: 10_000 })
  const read = new EnvReader(env)
  const config = readLimiterConfig(read)
  assert.deepEqual(read.problems, [])
  const limiter = await createLimiter({ store: makeStore?.(memory) ?? memory, clock, metrics, logger }, config)
  /** decide, then commit as the pipeline does once the write is durable. */
  const send = async (request: LimitRequest) => {
    const result = await limiter.decide(request)
    await result.commit?.()
    return { lanes: result.decisions.map((d) => (d.keep ? d.lane : d.cause)), quotaLimited: result.quotaLimited }
  }
  return { limiter, memory, metrics, send }
}

/** A PrimaryStore wired to `memory` in-process, counting the IPC messages it sends. */
function countingPrimary(memory: MemoryStore, sent: StoreRequest[]): Store {
  const serve = createStoreServer(memory)
  let listener: (reply: StoreReply) => void = () => {}
  const channel = {
    send: (request: StoreRequest) => {
      sent.push(request)
      void serve(request).then((reply) => setImmediate(() => listener(reply)))
    },
    onReply: (next: (reply: StoreReply) => void) => void (listener = next),
  }
  return createPrimaryStore({ channel, metrics: createMetrics({ defaultMetrics: false }) }, { responseTimeout: ms(500) })
}

describe('composite limiter', () => {
  it('costs one store round trip to decide and one to commit, whatever the batch size', async () => {
    const sent: StoreRequest[] = []
    const { send } = await setup({ RATE_LIMIT_TOKEN_EVENTS_PER_SECOND: '1000', RATE_LIMIT_DISTINCT_ID_EVENTS_PER_SECOND: '1000' }, (memory) => countingPrimary(memory, sent))
    sent.length = 0 // the quota refresh at start
    const events = Array.from({ length: 100 }, (_, i) => aCaptureEvent({ distinctId: `user-${i % 7}` }))
    await send(aLimitRequest(events))
    assert.deepEqual(sent.map((request) => request.calls.map((call) => call.op)), [['take', 'has'], ['set']])
  })

  it('applies the stages in order: dropper, quota, rate limit, de-dup, overflow', async () => {
    const { send } = await setup(
      { DROP_EVENTS_BY_TOKEN_DISTINCT_ID: `${LIMIT_TOKEN}:dropped`, INGESTION_FORCE_OVERFLOW_BY_TOKEN_DISTINCT_ID: `${LIMIT_TOKEN}:forced` },
      (memory) => {
        memory.addToSortedSet(QUOTA_KEY_PREFIX + 'exceptions', LIMIT_TOKEN, T0_MS / 1000 + 60)
        return memory
      },
    )
    const duplicate = aCaptureEvent()
    await send(aLimitRequest([duplicate]))
    const result = await send(aLimitRequest([
      aCaptureEvent({ distinctId: 'dropped' }),
      aCaptureEvent({ event: '$exception' }),
      duplicate,
      aCaptureEvent({ distinctId: 'forced' }),
      aCaptureEvent(),
    ]))
    assert.deepEqual(result, { lanes: ['token_dropper', 'over_quota', 'duplicate', 'overflow_forced', 'normal'], quotaLimited: ['exceptions'] })
  })

  it('reports quota_limited for the resources that dropped events', async () => {
    const { send } = await setup({}, (memory) => {
      memory.addToSortedSet(QUOTA_KEY_PREFIX + 'events', LIMIT_TOKEN, T0_MS / 1000 + 60)
      return memory
    })
    assert.deepEqual(await send(aLimitRequest([aCaptureEvent(), aCaptureEvent({ event: '$exception' })])), { lanes: ['over_quota', 'normal'], quotaLimited: ['events'] })
  })

  it('refuses a request over the token rate limit with rate_limited, Retry-After and the limit named', async () => {
    const { send, metrics } = await setup({ RATE_LIMIT_TOKEN_EVENTS_PER_SECOND: '2', RATE_LIMIT_TOKEN_BURST: '3' })
    await send(aLimitRequest([aCaptureEvent(), aCaptureEvent(), aCaptureEvent()]))
    const refused = await send(aLimitRequest([aCaptureEvent()])).then(() => undefined, (err: unknown) => err)
    assert.ok(refused instanceof CaptureError)
    assert.equal(refused.code, 'rate_limited')
    assert.equal(refused.options.retryAfter, 1)
    assert.match(refused.message, /RATE_LIMIT_TOKEN_EVENTS_PER_SECOND exceeded for this project: 2 events\/s with bursts of 3/)
    assert.equal((await metrics.rateLimitedRequests.get()).values[0]?.labels.limit, 'token')
  })

  it('names the distinct_id limit and the distinct id when that one refuses', async () => {
    const { send } = await setup({ RATE_LIMIT_DISTINCT_ID_EVENTS_PER_SECOND: '1' })
    await send(aLimitRequest([aCaptureEvent({ distinctId: 'noisy' })]))
    await assert.rejects(send(aLimitRequest([aCaptureEvent({ distinctId: 'calm' }), aCaptureEvent({ distinctId: 'noisy' })])), /RATE_LIMIT_DISTINCT_ID_EVENTS_PER_SECOND exceeded for distinct_id "noisy"/)
  })

  it('does not charge the rate limit for events the dropper or quotas removed', async () => {
    const { send } = await setup({ RATE_LIMIT_TOKEN_EVENTS_PER_SECOND: '1', DROP_EVENTS_BY_TOKEN_DISTINCT_ID: `${LIMIT_TOKEN}:bot` })
    await send(aLimitRequest(Array.from({ length: 5 }, () => aCaptureEvent({ distinctId: 'bot' }))))
    assert.deepEqual((await send(aLimitRequest([aCaptureEvent()]))).lanes, ['normal'])
  })

  it('lets requests through when the store fails (fail open)', async () => {
    const failing = (memory: MemoryStore): Store => ({ ...memory, takeTokens: () => Promise.reject(new Error('down')), hasKeys: () => Promise.reject(new Error('down')) })
    const { send, metrics } = await setup({ RATE_LIMIT_TOKEN_EVENTS_PER_SECOND: '1' }, failing)
    const event = aCaptureEvent()
    await send(aLimitRequest([event, aCaptureEvent()]))
    assert.deepEqual((await send(aLimitRequest([event]))).lanes, ['normal'])
    const counts = Object.fromEntries((await metrics.limiterFailOpen.get()).values.map((v) => [v.labels.limiter, v.value]))
    assert.deepEqual(counts, { rate_limit: 2, dedup: 2 })
  })

  it('with DEDUP_ENABLED=false keeps repeats and has nothing to commit', async () => {
    const { limiter } = await setup({ DEDUP_ENABLED: 'false' })
    const event = aCaptureEvent()
    const first = await limiter.decide(aLimitRequest([event]))
    assert.equal(first.commit, undefined)
    assert.deepEqual((await limiter.decide(aLimitRequest([event]))).decisions, [{ keep: true, lane: 'normal' }])
  })

  it('skips its de-duplication for a request that de-duplicates exactly itself (Capture V1)', async () => {
    const { limiter } = await setup()
    const event = aCaptureEvent()
    const first = await limiter.decide({ ...aLimitRequest([event]), exactDedup: true })
    assert.equal(first.commit, undefined)
    await (await limiter.decide(aLimitRequest([event]))).commit?.()
    assert.deepEqual((await limiter.decide({ ...aLimitRequest([event]), exactDedup: true })).decisions, [{ keep: true, lane: 'normal' }])
  })
})
