/**
 * Capture V1 per-event results over real sockets: mixes of ok, warning and
 * drop in one request; what lands in the log for each (the V1 Kafka mapping);
 * a sink that fails part of a request or all of it, or is too slow (→ retry
 * with Retry-After, never ok); exactly-once on resend; quotas (402 and scoped
 * drops); rate limits (warnings, never 429); oversized events.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DROP_OVER_QUOTA, KEEP } from '../../src/limiters/decisions.js'
import type { EventLimiter } from '../../src/pipeline/ports.js'
import { aV1Batch, aV1Event, errorOf, postV1, resultsOf } from '../helpers/capture-v1.js'
import { faultSink, noFaults, type Faults } from '../helpers/fault-sink.js'
import { TOKEN } from '../helpers/http-client.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const uuidsIn = async (app: TestApp): Promise<string[]> => (await app.envelopes()).map((e) => e.uuid as string)
const dataOf = (envelope: Record<string, unknown>): Record<string, unknown> => JSON.parse(envelope.data as string) as Record<string, unknown>

describe('Capture V1 per-event results', () => {
  let app: TestApp
  before(async () => { app = await startTestApp({ env: { EVENT_MAX_BYTES: '4096', TRUST_PROXY_HEADERS: 'true' } }) })
  after(() => app.close())

  it('answers ok, warning and each drop tag in one request, in request order, writing only ok and warning', async () => {
    const events = [
      aV1Event(),
      aV1Event({ distinct_id: 'Anonymous' }),
      aV1Event({ event: '' }),
      aV1Event({ event: 'é'.repeat(101) }),
      aV1Event({ event: '$performance_event' }),
      aV1Event({ distinct_id: '   ' }),
      aV1Event({ distinct_id: 'x'.repeat(201) }),
      aV1Event({ timestamp: '2026-01-01 00:00' }),
      aV1Event({ options: 'fast' }),
      aV1Event({ options: { cookieless_mode: 'maybe' } }),
      aV1Event({ properties: [1, 2] }),
      aV1Event({ properties: { blob: 'x'.repeat(5000) } }),
    ]
    const reply = await postV1(app.url, aV1Batch(events))
    assert.equal(reply.status, 200, reply.text)
    assert.equal(reply.headers['retry-after'], undefined)
    const results = resultsOf(reply)
    assert.deepEqual(Object.keys(results), events.map((e) => e.uuid))
    assert.deepEqual(Object.values(results), [
      { result: 'ok' },
      { result: 'warning', details: 'person_processing_disabled' },
      { result: 'drop', details: 'missing_event_name' },
      { result: 'drop', details: 'event_name_too_long' },
      { result: 'drop', details: 'dropped_performance_event' },
      { result: 'drop', details: 'missing_distinct_id' },
      { result: 'drop', details: 'distinct_id_too_large' },
      { result: 'drop', details: 'invalid_event_timestamp' },
      { result: 'drop', details: 'invalid_options' },
      { result: 'drop', details: 'invalid_options' },
      { result: 'drop', details: 'malformed_event_properties' },
      { result: 'drop', details: 'event_too_big' },
    ])
    const written = await uuidsIn(app)
    assert.ok(written.includes(events[0]!.uuid) && written.includes(events[1]!.uuid))
    for (const dropped of events.slice(2)) assert.ok(!written.includes(dropped.uuid), dropped.event)
  })

  it('answers 200 with every event dropped when none is valid', async () => {
    const reply = await postV1(app.url, aV1Batch([aV1Event({ event: '' }), aV1Event({ distinct_id: '' })]))
    assert.equal(reply.status, 200)
    assert.deepEqual(Object.values(resultsOf(reply)).map((r) => r.result), ['drop', 'drop'])
  })

  it('writes the classic envelope with the V1 differences', async () => {
    const event = aV1Event({
      distinct_id: ' user-9 ',
      timestamp: '2026-01-01T00:00:00.000Z',
      session_id: 'sess-1',
      window_id: 'win-1',
      options: { process_person_profile: 'false', disable_skew_correction: 0, product_tour_id: 42 },
      properties: { plan: 'pro', $set: { email: 'a@b.c' } },
    })
    // The client clock is 10 s ahead of the server's: the timestamp is corrected by that skew.
    const sentAt = new Date(Date.now() + 10_000).toISOString()
    const reply = await postV1(app.url, aV1Batch([event]), { 'posthog-request-timestamp': sentAt, 'posthog-sdk-info': 'posthog-python/7.53.0' })
    assert.equal(reply.status, 200, reply.text)
    const record = (await app.readLog()).find((r) => (r.value as { uuid: string }).uuid === event.uuid)!
    const envelope = record.value as Record<string, unknown>
    assert.deepEqual(Object.keys(envelope), ['uuid', 'distinct_id', 'ip', 'data', 'now', 'sent_at', 'token', 'event', 'timestamp'])
    assert.equal(envelope.distinct_id, 'user-9')
    assert.equal(envelope.token, TOKEN)
    assert.equal(envelope.sent_at, sentAt)
    const skewMs = Date.parse(envelope.timestamp as string) - Date.parse('2026-01-01T00:00:00.000Z')
    assert.ok(Math.abs(skewMs + 10_000) < 2000, `timestamp corrected by the skew (${skewMs} ms)`)
    assert.deepEqual(dataOf(envelope), {
      event: 'v1 event', distinct_id: 'user-9', uuid: event.uuid, timestamp: '2026-01-01T00:00:00.000Z',
      properties: {
        plan: 'pro', $set: { email: 'a@b.c' }, $session_id: 'sess-1', $window_id: 'win-1', $ignore_sent_at: false,
        $product_tour_id: '42', $process_person_profile: false, $lib: 'posthog-python', $lib_version: '7.53.0',
      },
    })
    assert.equal(record.topic, 'events_plugin_ingestion')
    assert.equal(record.key, `${TOKEN}:user-9`)
    assert.equal(record.headers.session_id, 'sess-1')
    assert.equal(record.headers.uuid, event.uuid)
    assert.equal(record.headers.force_disable_person_processing, undefined)
  })

  it('keys cookieless events by ip, records capture_internal traffic as 127.0.0.1 and sends historical batches to their topic', async () => {
    const cookieless = aV1Event({ options: { cookieless_mode: true } })
    await postV1(app.url, aV1Batch([cookieless], { capture_internal: true }), { 'x-forwarded-for': '203.0.113.9' })
    const historical = aV1Event()
    await postV1(app.url, aV1Batch([historical], { historical_migration: true }), { 'x-forwarded-for': '203.0.113.9' })
    const records = await app.readLog()
    const c = records.find((r) => (r.value as { uuid: string }).uuid === cookieless.uuid)!
    assert.equal((c.value as { ip: string }).ip, '127.0.0.1')
    assert.equal((c.value as { is_cookieless_mode?: boolean }).is_cookieless_mode, true)
    assert.equal(c.key, `${TOKEN}:127.0.0.1`)
    const h = records.find((r) => (r.value as { uuid: string }).uuid === historical.uuid)!
    assert.equal(h.topic, 'events_plugin_ingestion_historical')
    assert.equal(h.headers.historical_migration, 'true')
    assert.equal((h.value as { ip: string }).ip, '203.0.113.9')
  })

  it('sends an illegal distinct_id without a key and with person processing disabled', async () => {
    const event = aV1Event({ distinct_id: 'null' })
    await postV1(app.url, aV1Batch([event]))
    const record = (await app.readLog()).find((r) => (r.value as { uuid: string }).uuid === event.uuid)!
    assert.equal(record.key, null)
    assert.equal(record.headers.force_disable_person_processing, 'true')
    assert.equal(record.topic, 'events_plugin_ingestion')
  })

  it('keeps the key of an illegal distinct_id in a historical batch (only main and overflow lose it)', async () => {
    const event = aV1Event({ distinct_id: 'null' })
    await postV1(app.url, aV1Batch([event], { historical_migration: true }))
    const record = (await app.readLog()).find((r) => (r.value as { uuid: string }).uuid === event.uuid)!
    assert.equal(record.topic, 'events_plugin_ingestion_historical')
    assert.equal(record.key, `${TOKEN}:null`)
    assert.equal(record.headers.force_disable_person_processing, 'true')
  })
})

describe('Capture V1 exactly-once on resend', () => {
  let app: TestApp
  before(async () => { app = await startTestApp() })
  after(() => app.close())

  it('answers ok again for events already durable and does not write them twice', async () => {
    const events = [aV1Event(), aV1Event({ distinct_id: 'guest' })]
    const body = aV1Batch(events)
    const first = await postV1(app.url, body)
    const second = await postV1(app.url, body, { 'posthog-attempt': '2', 'posthog-request-timestamp': '2026-01-01T00:00:05.000Z' })
    assert.deepEqual(Object.values(resultsOf(first)).map((r) => r.result), ['ok', 'warning'])
    assert.deepEqual(Object.values(resultsOf(second)).map((r) => r.result), ['ok', 'ok'])
    const written = await uuidsIn(app)
    for (const event of events) assert.equal(written.filter((uuid) => uuid === event.uuid).length, 1)
  })

  it('recognises a uuid sent again in another request with different content (token + uuid is the key)', async () => {
    const event = aV1Event()
    await postV1(app.url, aV1Batch([event]))
    const again = await postV1(app.url, aV1Batch([{ ...event, event: 'renamed', timestamp: '2026-02-02T00:00:00Z' }]))
    assert.deepEqual(resultsOf(again), { [event.uuid]: { result: 'ok' } })
    assert.equal((await uuidsIn(app)).filter((uuid) => uuid === event.uuid).length, 1)
  })

  it('writes the same uuid again for another token', async () => {
    const event = aV1Event()
    await postV1(app.url, aV1Batch([event]))
    await postV1(app.url, aV1Batch([event]), { authorization: 'Bearer phc_other_project' })
    assert.equal((await uuidsIn(app)).filter((uuid) => uuid === event.uuid).length, 2)
  })
})

describe('Capture V1 when the sink fails', () => {
  for (const perMessage of [true, false]) {
    describe(perMessage ? 'a sink that reports each message' : 'an all-or-nothing sink', () => {
      let app: TestApp
      const faults: Faults = noFaults()
      before(async () => {
        app = await startTestApp({ env: { CAPTURE_V1_PUBLISH_TIMEOUT_MS: '300' }, overrides: { wrapSink: (sink) => faultSink(sink, faults, { perMessage }) } })
      })
      after(() => app.close())

      it('answers retry with Retry-After for what was not written, ok for the rest; the resend lands each event once', async () => {
        const good = aV1Event({ distinct_id: 'good' })
        const bad = aV1Event({ distinct_id: 'bad' })
        const body = aV1Batch([good, bad])
        faults.failDistinctIds.add('bad')
        if (!perMessage) faults.failAll = true
        const first = await postV1(app.url, body)
        assert.equal(first.status, 200, first.text)
        assert.equal(first.headers['retry-after'], '1')
        assert.deepEqual(resultsOf(first), {
          [good.uuid]: perMessage ? { result: 'ok' } : { result: 'retry', details: 'not_persisted' },
          [bad.uuid]: { result: 'retry', details: 'not_persisted' },
        })
        faults.failDistinctIds.clear()
        faults.failAll = false
        const second = await postV1(app.url, body, { 'posthog-attempt': '2' })
        assert.deepEqual(Object.values(resultsOf(second)).map((r) => r.result), ['ok', 'ok'])
        assert.equal(second.headers['retry-after'], undefined)
        const written = await uuidsIn(app)
        assert.equal(written.filter((uuid) => uuid === good.uuid).length, 1)
        assert.equal(written.filter((uuid) => uuid === bad.uuid).length, 1)
      })

      it('answers retry when the sink is slower than CAPTURE_V1_PUBLISH_TIMEOUT_MS, holds the uuid while the write runs, then ok once it landed', async () => {
        const event = aV1Event()
        let release!: () => void
        faults.hold = new Promise((resolve) => { release = resolve })
        const first = await postV1(app.url, aV1Batch([event]))
        assert.deepEqual(resultsOf(first), { [event.uuid]: { result: 'retry', details: 'not_persisted' } })
        const during = await postV1(app.url, aV1Batch([event]), { 'posthog-attempt': '2' })
        assert.deepEqual(resultsOf(during), { [event.uuid]: { result: 'retry', details: 'not_persisted' } })
        faults.hold = undefined
        release()
        let after: Record<string, { result: string }> = {}
        for (let attempt = 3; attempt < 50; attempt++) {
          after = resultsOf(await postV1(app.url, aV1Batch([event]), { 'posthog-attempt': String(attempt) }))
          if (after[event.uuid]!.result === 'ok') break
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
        assert.deepEqual(after, { [event.uuid]: { result: 'ok' } })
        assert.equal((await uuidsIn(app)).filter((uuid) => uuid === event.uuid).length, 1)
      })
    })
  }
})

/** Drops `$exception` as over its quota, and everything for the token `phc_over_quota`. */
const quotaLimiter: EventLimiter = {
  decide: async ({ events, token }) => ({
    decisions: events.map((event) => (token === 'phc_over_quota' || event.event === '$exception' ? DROP_OVER_QUOTA : KEEP)),
    quotaLimited: [],
  }),
}

describe('Capture V1 quotas and rate limits', () => {
  let app: TestApp
  before(async () => { app = await startTestApp({ overrides: { limiter: quotaLimiter } }) })
  after(() => app.close())

  it('402 billing_limit_exceeded when the token is over its events quota', async () => {
    const reply = await postV1(app.url, aV1Batch([aV1Event()]), { authorization: 'Bearer phc_over_quota' })
    assert.equal(reply.status, 402, reply.text)
    assert.equal(errorOf(reply).error, 'billing_limit_exceeded')
    assert.equal(errorOf(reply).error_uri, 'https://posthog.com/docs/billing/limits')
    assert.equal(reply.headers['retry-after'], undefined)
  })

  it('drops events over a scoped quota and keeps the rest', async () => {
    const exception = aV1Event({ event: '$exception' })
    const other = aV1Event()
    const reply = await postV1(app.url, aV1Batch([exception, other]))
    assert.deepEqual(resultsOf(reply), { [exception.uuid]: { result: 'drop', details: 'exceptions_over_quota' }, [other.uuid]: { result: 'ok' } })
  })

  it('402 when scoped quotas leave nothing', async () => {
    const reply = await postV1(app.url, aV1Batch([aV1Event({ event: '$exception' })]))
    assert.equal(reply.status, 402)
  })

  it('never answers 429: rate-limited events are accepted as warnings, on the overflow topic without a key', async () => {
    const limited = await startTestApp({ env: { RATE_LIMIT_TOKEN_EVENTS_PER_SECOND: '1', RATE_LIMIT_TOKEN_BURST: '1' } })
    try {
      // A full bucket lets one request through whatever its size and leaves the token in debt.
      await postV1(limited.url, aV1Batch([aV1Event(), aV1Event()]))
      const before = (await limited.readLog()).length
      const events = [aV1Event(), aV1Event(), aV1Event()]
      const reply = await postV1(limited.url, aV1Batch(events))
      assert.equal(reply.status, 200, reply.text)
      assert.deepEqual(Object.values(resultsOf(reply)), events.map(() => ({ result: 'warning', details: 'person_processing_disabled' })))
      for (const record of (await limited.readLog()).slice(before)) {
        assert.equal(record.topic, 'events_plugin_ingestion_overflow')
        assert.equal(record.key, null)
        assert.equal(record.headers.force_disable_person_processing, 'true')
      }
    } finally {
      await limited.close()
    }
  })
})
