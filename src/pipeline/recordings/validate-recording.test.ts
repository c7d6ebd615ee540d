import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { aSnapshotEvent, SESSION_ID, WINDOW_ID } from '../../../test/helpers/recordings.js'
import { validateRecording, type RecordingEvent, type ValidatedRecording } from './validate-recording.js'

function accepted(result: ValidatedRecording): RecordingEvent {
  if (!result.ok) assert.fail(`rejected: ${result.code} ${result.detail}`)
  return result.event
}

function rejected(result: ValidatedRecording): { code: string; attr: string; detail: string } {
  if (result.ok) assert.fail('expected a rejection')
  return result
}

const withSession = (value: unknown) => aSnapshotEvent([{ type: 3 }], { properties: { $session_id: value } })

describe('validateRecording', () => {
  it('reads session, window, distinct_id, items, source and lib from a posthog-js $snapshot event', () => {
    const event = accepted(validateRecording(aSnapshotEvent([{ type: 4 }, { type: 2 }], { uuid: '01A215DB-F2DF-7421-B668-07DBAED3BB9D' }), 0))
    assert.equal(event.sessionId, SESSION_ID)
    assert.equal(event.windowId, WINDOW_ID)
    assert.equal(event.distinctId, 'user-1')
    assert.deepEqual(event.items, [{ type: 4 }, { type: 2 }])
    assert.equal(event.snapshotSource, 'web')
    assert.equal(event.lib, 'web')
    assert.equal(event.uuid, '01a215db-f2df-7421-b668-07dbaed3bb9d')
    assert.equal(event.sentAtMs, Date.UTC(2025, 0, 1))
  })

  it('appends an object $snapshot_data as one item', () => {
    assert.deepEqual(accepted(validateRecording(aSnapshotEvent({ type: 2, data: {} }), 0)).items, [{ type: 2, data: {} }])
  })

  it('defaults $window_id to the session id and $snapshot_source to web', () => {
    const event = accepted(validateRecording(aSnapshotEvent([], { properties: { $window_id: undefined, $snapshot_source: undefined } }), 0))
    assert.equal(event.windowId, SESSION_ID)
    assert.equal(event.snapshotSource, 'web')
  })

  it('keeps a mobile $snapshot_source', () => {
    assert.equal(accepted(validateRecording(aSnapshotEvent([], { properties: { $snapshot_source: 'mobile' } }), 0)).snapshotSource, 'mobile')
  })

  it('refuses an event without $session_id with missing_session_id', () => {
    const result = rejected(validateRecording(withSession(undefined), 2))
    assert.equal(result.code, 'missing_session_id')
    assert.equal(result.attr, '[2].properties.$session_id')
    assert.match(result.detail, /^event 2: /)
  })

  it('refuses a null $session_id as missing', () => {
    assert.equal(rejected(validateRecording(withSession(null), 0)).code, 'missing_session_id')
  })

  it('refuses a non-string $session_id with invalid_session_id', () => {
    assert.equal(rejected(validateRecording(withSession(42), 0)).code, 'invalid_session_id')
  })

  it('accepts a session id of exactly 70 characters and refuses 71', () => {
    accepted(validateRecording(withSession('a'.repeat(70)), 0))
    const result = rejected(validateRecording(withSession('a'.repeat(71)), 0))
    assert.equal(result.code, 'invalid_session_id')
    assert.match(result.detail, /71 characters; at most 70/)
  })

  it('refuses session ids with characters outside [A-Za-z0-9-]', () => {
    for (const bad of ['abc_def', 'abc def', 'abc/def', 'séance', 'a.b', '']) {
      assert.equal(rejected(validateRecording(withSession(bad), 0)).code, 'invalid_session_id', JSON.stringify(bad))
    }
  })

  it('refuses a non-string $window_id with invalid_window_id', () => {
    assert.equal(rejected(validateRecording(aSnapshotEvent([], { properties: { $window_id: 7 } }), 0)).code, 'invalid_window_id')
  })

  it('refuses an event without $snapshot_data with missing_snapshot_data', () => {
    const result = rejected(validateRecording(aSnapshotEvent([], { properties: { $snapshot_data: undefined } }), 1))
    assert.equal(result.code, 'missing_snapshot_data')
    assert.equal(result.attr, '[1].properties.$snapshot_data')
  })

  it('refuses a $snapshot_data that is neither array nor object', () => {
    for (const bad of ['text', 12, true, null]) {
      assert.equal(rejected(validateRecording(aSnapshotEvent([], { properties: { $snapshot_data: bad } }), 0)).code, 'missing_snapshot_data')
    }
  })

  it('applies the analytics distinct_id rules: required, stringified, top level first', () => {
    assert.equal(rejected(validateRecording(aSnapshotEvent([], { properties: { distinct_id: undefined } }), 0)).code, 'missing_distinct_id')
    assert.equal(accepted(validateRecording(aSnapshotEvent([], { properties: { distinct_id: 42 } }), 0)).distinctId, '42')
    assert.equal(accepted(validateRecording(aSnapshotEvent([], { distinct_id: 'top' }), 0)).distinctId, 'top')
  })

  it('refuses an invalid uuid, a non-boolean $cookieless_mode and a non-string timestamp', () => {
    assert.equal(rejected(validateRecording(aSnapshotEvent([], { uuid: 'nope' }), 0)).code, 'invalid_uuid')
    assert.equal(rejected(validateRecording(aSnapshotEvent([], { properties: { $cookieless_mode: 'yes' } }), 0)).code, 'invalid_cookieless_mode')
    assert.equal(rejected(validateRecording(aSnapshotEvent([], { timestamp: 5 }), 0)).code, 'invalid_timestamp')
  })

  it('refuses a non-object event and non-object properties', () => {
    assert.equal(rejected(validateRecording('x', 0)).code, 'invalid_event')
    assert.equal(rejected(validateRecording({ event: '$snapshot', properties: [] }, 0)).code, 'invalid_properties')
  })
})
