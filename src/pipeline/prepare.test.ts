import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig } from '../config/config.js'
import { prepareMessage, type PrepareContext } from './prepare.js'
import type { CaptureEvent } from './validate-event.js'

const topics = loadConfig({}).topics
const ctx: PrepareContext = { now: { ms: 0, iso: '2025-01-01T00:00:00.000Z' }, historical: false, topics }
const event = (overrides: Partial<CaptureEvent> = {}): CaptureEvent => ({
  uuid: '0190a0a0-0000-7000-8000-000000000001',
  event: '$pageview',
  distinctId: 'user-1',
  token: 'phc_t',
  properties: {},
  timestampMs: Date.parse('2024-12-31T23:59:59.000Z'),
  cookieless: false,
  ip: '1.2.3.4',
  clientUuid: true,
  data: '{"event":"$pageview"}',
  ...overrides,
})

describe('prepareMessage', () => {
  it('builds the upstream envelope with data as a JSON string', () => {
    const message = prepareMessage(event(), 'normal', { ...ctx, sentAtMs: Date.parse('2025-01-01T00:00:01Z') })
    assert.deepEqual(JSON.parse(message.value), {
      uuid: '0190a0a0-0000-7000-8000-000000000001',
      distinct_id: 'user-1',
      ip: '1.2.3.4',
      data: '{"event":"$pageview"}',
      now: '2025-01-01T00:00:00.000Z',
      sent_at: '2025-01-01T00:00:01.000Z',
      token: 'phc_t',
      event: '$pageview',
      timestamp: '2024-12-31T23:59:59.000Z',
    })
    assert.equal(message.topic, 'events_plugin_ingestion')
    assert.equal(message.key, 'phc_t:user-1')
    assert.deepEqual(message.headers, {
      token: 'phc_t', distinct_id: 'user-1', timestamp: String(Date.parse('2024-12-31T23:59:59.000Z')),
      event: '$pageview', uuid: '0190a0a0-0000-7000-8000-000000000001', now: '2025-01-01T00:00:00.000Z',
    })
  })
  it('routes by event name', () => {
    assert.equal(prepareMessage(event({ event: '$exception' }), 'normal', ctx).topic, topics.exceptions)
    assert.equal(prepareMessage(event({ event: '$$heatmap' }), 'normal', ctx).topic, 'heatmaps_ingestion')
    assert.equal(prepareMessage(event({ event: '$$client_ingestion_warning' }), 'normal', ctx).topic, topics.clientIngestionWarnings)
  })
  it('sends historical batches to the historical topic with the flag and header', () => {
    const message = prepareMessage(event(), 'overflow', { ...ctx, historical: true })
    assert.equal(message.topic, 'events_plugin_ingestion_historical')
    assert.equal(JSON.parse(message.value).historical_migration, true)
    assert.equal(message.headers.historical_migration, 'true')
    assert.equal(message.key, 'phc_t:user-1')
  })
  it('keys cookieless events by ip', () => {
    const message = prepareMessage(event({ cookieless: true }), 'normal', ctx)
    assert.equal(message.key, 'phc_t:1.2.3.4')
    assert.equal(JSON.parse(message.value).is_cookieless_mode, true)
  })
  it('sends overflow without a key, and marks forced overflow', () => {
    const hot = prepareMessage(event(), 'overflow', ctx)
    assert.equal(hot.topic, 'events_plugin_ingestion_overflow')
    assert.equal(hot.key, null)
    assert.equal(hot.headers.force_disable_person_processing, undefined)
    assert.equal(prepareMessage(event(), 'overflow_forced', ctx).headers.force_disable_person_processing, 'true')
  })
  it('writes sent_at null when the client sent none', () => {
    assert.equal(JSON.parse(prepareMessage(event(), 'normal', ctx).value).sent_at, null)
  })
})

describe('prepareMessage: the envelope text', () => {
  const asStringified = (e: CaptureEvent, c: PrepareContext): string => JSON.stringify({
    uuid: e.uuid, distinct_id: e.distinctId, ip: e.ip, data: e.data, now: c.now.iso,
    sent_at: c.sentAtMs === undefined ? null : new Date(c.sentAtMs).toISOString(), token: e.token, event: e.event,
    timestamp: new Date(e.timestampMs).toISOString(),
    ...(e.cookieless ? { is_cookieless_mode: true } : {}), ...(c.historical ? { historical_migration: true } : {}),
  })

  it('is byte for byte what JSON.stringify writes for the envelope object, whatever the strings hold', () => {
    const awkward = ['plain', 'quote " and \\ backslash', 'line\nbreak\ttab\u0001ctl', 'é ü 日本 👍', '\u2028\u2029', 'lone \ud800 surrogate', '</script>', '']
    const cases: Array<[CaptureEvent, PrepareContext]> = []
    for (const text of awkward) {
      cases.push([event({ distinctId: text, event: text || '$x', token: `phc_${text}`, ip: text, data: JSON.stringify({ event: text, properties: { text } }) }), ctx])
    }
    cases.push([event({ cookieless: true }), { ...ctx, historical: true, sentAtMs: 1_700_000_000_123 }])
    cases.push([event({ timestampMs: -1 }), { ...ctx, sentAtMs: 253_402_300_800_000 }])
    for (const [e, c] of cases) assert.equal(prepareMessage(e, 'normal', c).value, asStringified(e, c))
  })
})
