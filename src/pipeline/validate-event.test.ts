import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { validateEvent, type EventContext, type Validated } from './validate-event.js'

const ctx: EventContext = {
  now: { ms: Date.parse('2025-01-01T00:00:00Z'), iso: '2025-01-01T00:00:00.000Z' },
  ip: '10.1.2.3',
  isEngage: false,
  token: 'phc_test',
}
const UUID = '0190a0a0-0000-7000-8000-000000000001'
const newUuid = (): string => 'generated-uuid'
const valid = (result: Validated) => {
  assert.ok(result.ok, JSON.stringify(result))
  return result.event
}
const rejected = (result: Validated, code: string): void => {
  assert.ok(!result.ok)
  assert.equal(result.code, code)
}

describe('validateEvent', () => {
  it('accepts a minimal event and generates a uuid', () => {
    const event = valid(validateEvent({ event: 'e', distinct_id: 'd' }, 0, ctx, newUuid))
    assert.equal(event.uuid, 'generated-uuid')
    assert.equal(event.clientUuid, false)
    assert.deepEqual(JSON.parse(event.data), { event: 'e', distinct_id: 'd', properties: {} })
  })
  it('keeps a client uuid and normalises its form', () => {
    assert.equal(valid(validateEvent({ event: 'e', distinct_id: 'd', uuid: UUID }, 0, ctx, newUuid)).uuid, UUID)
    const simple = UUID.replaceAll('-', '').toUpperCase()
    const event = valid(validateEvent({ event: 'e', distinct_id: 'd', uuid: simple }, 0, ctx, newUuid))
    assert.equal(event.uuid, UUID)
    assert.equal(JSON.parse(event.data).uuid, UUID)
  })
  it('treats an empty uuid as absent and rejects a malformed one', () => {
    assert.equal(valid(validateEvent({ event: 'e', distinct_id: 'd', uuid: '' }, 0, ctx, newUuid)).uuid, 'generated-uuid')
    rejected(validateEvent({ event: 'e', distinct_id: 'd', uuid: 'nope' }, 0, ctx, newUuid), 'invalid_uuid')
  })
  it('keeps only upstream RawEvent keys in data, under canonical names', () => {
    const event = valid(
      validateEvent({ event: 'e', $distinct_id: 'd', $token: 't', type: 'capture', library: 'x', $set: { a: 1 }, offset: 5 }, 0, ctx, newUuid),
    )
    assert.deepEqual(JSON.parse(event.data), { event: 'e', distinct_id: 'd', token: 't', $set: { a: 1 }, offset: 5, properties: {} })
  })
  it('requires an event name of at most 200 characters', () => {
    rejected(validateEvent({ distinct_id: 'd' }, 0, ctx, newUuid), 'missing_event_name')
    rejected(validateEvent({ event: '', distinct_id: 'd' }, 0, ctx, newUuid), 'missing_event_name')
    rejected(validateEvent({ event: 7, distinct_id: 'd' }, 0, ctx, newUuid), 'missing_event_name')
    valid(validateEvent({ event: 'x'.repeat(200), distinct_id: 'd' }, 0, ctx, newUuid))
    const long = validateEvent({ event: 'x'.repeat(201), distinct_id: 'd' }, 4, ctx, newUuid)
    rejected(long, 'event_name_too_long')
    assert.ok(!long.ok && long.detail.startsWith('event 4:') && long.attr === '[4].event')
  })
  it('names an engage object without event $identify only on /engage', () => {
    const engage = { $set: { a: 1 }, distinct_id: 'd' }
    assert.equal(valid(validateEvent(engage, 0, { ...ctx, isEngage: true }, newUuid)).event, '$identify')
    rejected(validateEvent(engage, 0, ctx, newUuid), 'missing_event_name')
  })
  it('requires a distinct_id and object properties', () => {
    rejected(validateEvent({ event: 'e' }, 0, ctx, newUuid), 'missing_distinct_id')
    rejected(validateEvent({ event: 'e', distinct_id: 'd', properties: [1] }, 0, ctx, newUuid), 'invalid_properties')
    rejected(validateEvent('text', 0, ctx, newUuid), 'invalid_event')
    rejected(validateEvent([], 0, ctx, newUuid), 'invalid_event')
  })
  it('checks timestamp and offset types', () => {
    rejected(validateEvent({ event: 'e', distinct_id: 'd', timestamp: 5 }, 0, ctx, newUuid), 'invalid_timestamp')
    rejected(validateEvent({ event: 'e', distinct_id: 'd', offset: 1.5 }, 0, ctx, newUuid), 'invalid_timestamp')
  })
  it('reads $cookieless_mode, which must be a boolean', () => {
    assert.equal(valid(validateEvent({ event: 'e', distinct_id: 'd', properties: { $cookieless_mode: true } }, 0, ctx, newUuid)).cookieless, true)
    rejected(validateEvent({ event: 'e', distinct_id: 'd', properties: { $cookieless_mode: 'yes' } }, 0, ctx, newUuid), 'invalid_cookieless_mode')
  })
  it('forces ip 127.0.0.1 for capture_internal events', () => {
    assert.equal(valid(validateEvent({ event: 'e', distinct_id: 'd', properties: { capture_internal: true } }, 0, ctx, newUuid)).ip, '127.0.0.1')
    assert.equal(valid(validateEvent({ event: 'e', distinct_id: 'd' }, 0, ctx, newUuid)).ip, '10.1.2.3')
  })
})
