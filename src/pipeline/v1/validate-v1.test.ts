import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { RawV1Event } from './parse-v1.js'
import { validateV1Event, type V1EventContext } from './validate-v1.js'

const ctx: V1EventContext = {
  now: { ms: Date.parse('2026-01-01T00:00:10.000Z'), iso: '2026-01-01T00:00:10.000Z' },
  ip: '203.0.113.1',
  token: 'phc_t',
  requestTimestampMs: Date.parse('2026-01-01T00:00:20.000Z'),
  captureInternal: false,
  lib: { name: 'posthog-node', version: '5.70.0' },
}

const anEvent = (overrides: Partial<RawV1Event> = {}): RawV1Event => ({
  event: 'e', uuid: '01a215da-846f-7167-a3df-fb413024edb1', distinct_id: 'u', timestamp: '2026-01-01T00:00:00.000Z', properties: { a: 1 }, ...overrides,
})

describe('validateV1Event', () => {
  it('corrects the timestamp by the request timestamp skew and keeps the raw one in data', () => {
    const result = validateV1Event(anEvent(), ctx)
    assert.ok(result.ok)
    assert.equal(new Date(result.event.timestampMs).toISOString(), '2025-12-31T23:59:50.000Z')
    assert.equal(JSON.parse(result.event.data).timestamp, '2026-01-01T00:00:00.000Z')
  })

  it('measures names and distinct_ids in bytes', () => {
    assert.deepEqual(validateV1Event(anEvent({ event: 'é'.repeat(100) }), ctx).ok, true)
    assert.deepEqual(validateV1Event(anEvent({ event: 'é'.repeat(101) }), ctx), { ok: false, details: 'event_name_too_long' })
    assert.deepEqual(validateV1Event(anEvent({ distinct_id: '€'.repeat(67) }), ctx), { ok: false, details: 'distinct_id_too_large' })
  })

  it('accepts an illegal distinct_id (any case) with person processing disabled', () => {
    for (const id of ['NULL', 'Anonymous', '00000000-0000-0000-0000-000000000000', '[object Object]']) {
      const result = validateV1Event(anEvent({ distinct_id: id }), ctx)
      assert.ok(result.ok && result.personless, id)
    }
  })

  it('coerces options and appends them to properties after the client keys', () => {
    const result = validateV1Event(anEvent({ options: { cookieless_mode: ' True ', process_person_profile: 0, product_tour_id: 7, unknown: 'x' } }), ctx)
    assert.ok(result.ok)
    assert.equal(result.event.cookieless, true)
    assert.deepEqual(JSON.parse(result.event.data).properties, { a: 1, $cookieless_mode: true, $product_tour_id: '7', $process_person_profile: false, $lib: 'posthog-node', $lib_version: '5.70.0' })
  })

  it('drops options that are not an object or cannot be coerced', () => {
    for (const options of ['x', [1], { disable_skew_correction: 'sometimes' }, { product_tour_id: 1.5 }]) {
      assert.deepEqual(validateV1Event(anEvent({ options }), ctx), { ok: false, details: 'invalid_options' })
    }
  })

  it('requires RFC 3339 timestamps with an offset', () => {
    for (const timestamp of ['2026-01-01T00:00:00', '2026-01-01', 'now']) assert.deepEqual(validateV1Event(anEvent({ timestamp }), ctx), { ok: false, details: 'invalid_event_timestamp' })
    assert.ok(validateV1Event(anEvent({ timestamp: '2026-01-01T01:00:00.123456+01:00' }), ctx).ok)
  })
})
