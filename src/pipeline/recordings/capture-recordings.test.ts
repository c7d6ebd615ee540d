import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { gzipSync } from 'node:zlib'
import { aSnapshotEvent, bigItem, capturingSink, RECORDING_TOKEN, SESSION_ID, snapshotData, snapshotItems, type CapturingSink } from '../../../test/helpers/recordings.js'
import { loadConfig } from '../../config/config.js'
import { isCaptureError } from '../../errors/capture-error.js'
import type { EventLimiter, LimitRequest } from '../ports.js'
import { noLimits } from '../../limiters/no-limits.js'
import { createMetrics } from '../../observability/metrics.js'
import { captureRecordings, type RecordingDeps, type RecordingInput } from './capture-recordings.js'
import { createMemoryReplayOverflow, noReplayOverflow } from './replay-overflow.js'

const NOW = { ms: Date.UTC(2025, 0, 1), iso: '2025-01-01T00:00:00.000Z' }
const config = loadConfig({ RECORDING_MESSAGE_MAX_BYTES: '20000' })

function deps(overrides: Partial<RecordingDeps> & { sink?: CapturingSink } = {}): RecordingDeps & { sink: CapturingSink } {
  let n = 0
  return {
    config, limiter: noLimits, metrics: createMetrics({ defaultMetrics: false }), replayOverflow: noReplayOverflow,
    newUuid: () => `00000000-0000-7000-8000-${String(++n).padStart(12, '0')}`,
    sink: capturingSink(), ...overrides,
  } as RecordingDeps & { sink: CapturingSink }
}

function input(body: unknown, extra: Partial<RecordingInput> = {}): RecordingInput {
  return {
    body: Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body)),
    hints: { legacyPath: false },
    ctx: { now: NOW, ip: '203.0.113.7', isEngage: false },
    ...extra,
  }
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; limit?: number; size?: number; detail: string }> {
  try {
    await promise
  } catch (err) {
    if (!isCaptureError(err)) throw err
    return { code: err.code, limit: err.options.limit, size: err.options.size, detail: err.message }
  }
  assert.fail('expected a CaptureError')
}

const metric = async (d: RecordingDeps, name: string): Promise<string> =>
  (await d.metrics.registry.getSingleMetricAsString(name))

describe('captureRecordings', () => {
  it('writes a gzip\'d posthog-js bare array as one $snapshot_items message keyed by session', async () => {
    const d = deps()
    const items = snapshotItems(5)
    const outcome = await captureRecordings(input(gzipSync(JSON.stringify([aSnapshotEvent(items.slice(0, 2)), aSnapshotEvent(items.slice(2))]))), d)
    assert.deepEqual(outcome.quotaLimited, [])
    assert.equal(d.sink.messages.length, 1)
    const [message] = d.sink.messages
    assert.equal(message!.key, SESSION_ID)
    assert.equal(message!.topic, 'session_recording_snapshot_item_events')
    assert.equal(JSON.parse(message!.value).token, RECORDING_TOKEN)
    assert.deepEqual(snapshotData(message!.value).properties.$snapshot_items, items)
  })

  it('accepts a {batch: [...]} body and a single event object', async () => {
    const d = deps()
    await captureRecordings(input({ api_key: RECORDING_TOKEN, batch: [aSnapshotEvent([{ n: 1 }], { properties: { token: undefined } })] }), d)
    await captureRecordings(input(aSnapshotEvent({ n: 2 })), d)
    assert.deepEqual(d.sink.messages.map((m) => snapshotData(m.value).properties.$snapshot_items), [[{ n: 1 }], [{ n: 2 }]])
  })

  it('writes one message per session of a mixed request, in one publish', async () => {
    const d = deps()
    await captureRecordings(input([aSnapshotEvent([1], { properties: { $session_id: 'a' } }), aSnapshotEvent([2], { properties: { $session_id: 'b' } })]), d)
    assert.equal(d.sink.published.length, 1)
    assert.deepEqual(d.sink.messages.map((m) => m.key), ['a', 'b'])
  })

  it('splits a recording over RECORDING_MESSAGE_MAX_BYTES into chunks in one publish', async () => {
    const d = deps()
    const items = snapshotItems(300, 300)
    await captureRecordings(input([aSnapshotEvent(items)]), d)
    assert.equal(d.sink.published.length, 1)
    assert.ok(d.sink.messages.length > 1)
    assert.deepEqual(d.sink.messages.flatMap((m) => snapshotData(m.value).properties.$snapshot_items), items)
    assert.match(await metric(d, 'capture_recording_chunks_per_request'), new RegExp(`_sum ${d.sink.messages.length}\\b`))
  })

  it('refuses with 413 and writes only a $$client_ingestion_warning when one item cannot fit', async () => {
    const d = deps()
    const error = await refusal(captureRecordings(input([aSnapshotEvent(snapshotItems(3)), aSnapshotEvent([bigItem(30_000)])]), d))
    assert.equal(error.code, 'snapshot_item_too_large')
    assert.equal(error.limit, 20_000)
    assert.ok(error.size! > 30_000)
    assert.match(error.detail, /^event 1: /)
    assert.equal(d.sink.messages.length, 1)
    const [warning] = d.sink.messages
    assert.equal(warning!.topic, config.topics.clientIngestionWarnings)
    assert.equal(warning!.headers.event, '$$client_ingestion_warning')
    const data = JSON.parse(JSON.parse(warning!.value).data)
    assert.equal(data.event, '$$client_ingestion_warning')
    assert.equal(data.properties.$session_id, SESSION_ID)
    assert.equal(data.properties.$snapshot_message_max_bytes, 20_000)
    assert.match(data.properties.$$client_ingestion_warning_message, /Session recording data was dropped/)
    assert.match(await metric(d, 'capture_recording_refusals_total'), /cause="snapshot_item_too_large"} 1/)
  })

  it('writes nothing for one invalid event among valid ones', async () => {
    const d = deps()
    const error = await refusal(captureRecordings(input([aSnapshotEvent([1]), aSnapshotEvent([2], { properties: { $session_id: 'bad id' } })]), d))
    assert.equal(error.code, 'invalid_session_id')
    assert.equal(d.sink.messages.length, 0)
    assert.match(await metric(d, 'capture_recording_refusals_total'), /cause="invalid_session_id"} 1/)
  })

  it('applies the token rules of analytics', async () => {
    assert.equal((await refusal(captureRecordings(input([aSnapshotEvent([], { properties: { token: undefined } })]), deps()))).code, 'no_token')
    const mixed = [aSnapshotEvent([]), aSnapshotEvent([], { properties: { token: 'phc_other' } })]
    assert.equal((await refusal(captureRecordings(input(mixed), deps()))).code, 'inconsistent_tokens')
    assert.equal((await refusal(captureRecordings(input([]), deps()))).code, 'empty_batch')
  })

  it('asks the limiter about recordings, one $snapshot_items event per session', async () => {
    const seen: LimitRequest[] = []
    const limiter: EventLimiter = { decide: async (request) => (seen.push(request), noLimits.decide(request)) }
    await captureRecordings(input([aSnapshotEvent([1], { uuid: '01a215db-f2df-7421-b668-07dbaed3bb9d' })]), deps({ limiter }))
    assert.equal(seen.length, 1)
    assert.equal(seen[0]!.route, 'recordings')
    assert.equal(seen[0]!.token, RECORDING_TOKEN)
    assert.deepEqual(seen[0]!.events.map((e) => [e.event, e.uuid, e.distinctId, e.properties.$session_id]), [['$snapshot_items', '01a215db-f2df-7421-b668-07dbaed3bb9d', 'user-1', SESSION_ID]])
  })

  it('writes nothing and reports quota_limited when the recordings quota drops the request', async () => {
    const limiter: EventLimiter = { decide: async ({ events }) => ({ decisions: events.map(() => ({ keep: false, cause: 'over_quota' }) as const), quotaLimited: ['recordings'] }) }
    const d = deps({ limiter })
    const outcome = await captureRecordings(input([aSnapshotEvent([1])]), d)
    assert.deepEqual(outcome.quotaLimited, ['recordings'])
    assert.equal(d.sink.messages.length, 0)
    assert.match(await metric(d, 'capture_recording_refusals_total'), /cause="over_quota"} 1/)
  })

  it('commits the limiter only after the messages are written', async () => {
    const order: string[] = []
    const sink = capturingSink()
    const publish = sink.publish
    const limiter: EventLimiter = { decide: async (request) => ({ ...(await noLimits.decide(request)), commit: async () => void order.push('commit') }) }
    await captureRecordings(input([aSnapshotEvent([1])]), deps({ limiter, sink: Object.assign(sink, { publish: async (m: never) => (order.push('publish'), publish(m)) }) }))
    assert.deepEqual(order, ['publish', 'commit'])
  })

  it('sends sessions in the replay overflow set to the overflow topic, still keyed by session', async () => {
    const d = deps({ replayOverflow: createMemoryReplayOverflow(['hot']) })
    await captureRecordings(input([aSnapshotEvent([1], { properties: { $session_id: 'hot' } }), aSnapshotEvent([2], { properties: { $session_id: 'cold' } })]), d)
    assert.deepEqual(d.sink.messages.map((m) => [m.key, m.topic]), [
      ['hot', 'session_recording_snapshot_item_overflow'],
      ['cold', 'session_recording_snapshot_item_events'],
    ])
    assert.match(await metric(d, 'capture_recording_messages_total'), /lane="overflow"} 1/)
  })

  it('sends a session the limiter put in an overflow lane to the overflow topic', async () => {
    const limiter: EventLimiter = { decide: async ({ events }) => ({ decisions: events.map(() => ({ keep: true, lane: 'overflow_forced' }) as const), quotaLimited: [] }) }
    const d = deps({ limiter })
    await captureRecordings(input([aSnapshotEvent([1])]), d)
    assert.equal(d.sink.messages[0]!.topic, 'session_recording_snapshot_item_overflow')
  })

  it('counts raw and decoded bytes', async () => {
    const d = deps()
    const body = gzipSync(JSON.stringify([aSnapshotEvent(snapshotItems(10))]))
    await captureRecordings(input(body), d)
    const text = await metric(d, 'capture_recording_received_bytes_total')
    assert.match(text, new RegExp(`stage="raw"} ${body.length}\\b`))
    assert.match(text, /stage="decoded"} \d{4}/)
  })
})
