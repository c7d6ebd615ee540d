import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { aSnapshotEvent } from '../../../test/helpers/recordings.js'
import { eventOfItem, groupSessions, libFromUserAgent, type GroupContext } from './group-sessions.js'
import { validateRecording, type RecordingEvent } from './validate-recording.js'

const NOW = Date.UTC(2025, 0, 1, 12)
const ctx: GroupContext = { nowMs: NOW }
let counter = 0
const newUuid = (): string => `00000000-0000-7000-8000-${String(++counter).padStart(12, '0')}`

function events(...raw: unknown[]): RecordingEvent[] {
  return raw.map((item, index) => {
    const result = validateRecording(item, index)
    if (!result.ok) throw new Error(result.detail)
    return result.event
  })
}

describe('groupSessions', () => {
  it('merges the events of one session into one batch, items in request order', () => {
    const batches = groupSessions(events(aSnapshotEvent([{ n: 1 }, { n: 2 }]), aSnapshotEvent({ n: 3 })), ctx, newUuid)
    assert.equal(batches.length, 1)
    assert.deepEqual(batches[0]!.items, [{ n: 1 }, { n: 2 }, { n: 3 }])
    assert.deepEqual(batches[0]!.sources, [{ eventIndex: 0, items: 2 }, { eventIndex: 1, items: 1 }])
  })

  it('gives each session and each window its own batch, in order of first appearance', () => {
    const batches = groupSessions(
      events(
        aSnapshotEvent([{ n: 1 }], { properties: { $session_id: 's-b' } }),
        aSnapshotEvent([{ n: 2 }], { properties: { $session_id: 's-a' } }),
        aSnapshotEvent([{ n: 3 }], { properties: { $session_id: 's-b' } }),
        aSnapshotEvent([{ n: 4 }], { properties: { $session_id: 's-b', $window_id: 'w-2' } }),
      ),
      ctx,
      newUuid,
    )
    assert.deepEqual(batches.map((b) => [b.sessionId, b.windowId, b.items]), [
      ['s-b', '01a215db-e4ef-7c20-b3ec-c7a28bf4f774', [{ n: 1 }, { n: 3 }]],
      ['s-a', '01a215db-e4ef-7c20-b3ec-c7a28bf4f774', [{ n: 2 }]],
      ['s-b', 'w-2', [{ n: 4 }]],
    ])
  })

  it('takes uuid, distinct_id and lib from the first event of the batch', () => {
    const [batch] = groupSessions(
      events(aSnapshotEvent([], { uuid: '01a215db-f2df-7421-b668-07dbaed3bb9d', properties: { $lib: 'posthog-ios' } }), aSnapshotEvent([], { properties: { distinct_id: 'other' } })),
      ctx,
      newUuid,
    )
    assert.equal(batch!.uuid, '01a215db-f2df-7421-b668-07dbaed3bb9d')
    assert.equal(batch!.clientUuid, true)
    assert.equal(batch!.distinctId, 'user-1')
    assert.equal(batch!.lib, 'posthog-ios')
  })

  it('generates a uuid when the first event has none', () => {
    const [batch] = groupSessions(events(aSnapshotEvent([], { uuid: undefined })), ctx, () => 'generated')
    assert.equal(batch!.uuid, 'generated')
    assert.equal(batch!.clientUuid, false)
  })

  it('corrects the timestamp for clock skew with the event\'s own sent_at', () => {
    const skewed = aSnapshotEvent([], { timestamp: '2025-01-01T13:00:00.000Z', sent_at: '2025-01-01T13:00:03.000Z' })
    const [batch] = groupSessions(events(skewed), ctx, newUuid)
    assert.equal(batch!.timestampMs, NOW - 3000)
    assert.equal(batch!.sentAtMs, Date.parse('2025-01-01T13:00:03.000Z'))
  })

  it('prefers a batch body\'s sent_at, and falls back to the _ query parameter', () => {
    const bare = aSnapshotEvent([], { sent_at: undefined })
    assert.equal(groupSessions(events(aSnapshotEvent([])), { ...ctx, requestSentAtMs: 5 }, newUuid)[0]!.sentAtMs, 5)
    assert.equal(groupSessions(events(bare), { ...ctx, querySentAtMs: 7 }, newUuid)[0]!.sentAtMs, 7)
  })

  it('falls back to the User-Agent product token for $lib when it names posthog, else web', () => {
    const [batch] = groupSessions(events(aSnapshotEvent([], { properties: { $lib: undefined } })), { ...ctx, userAgent: 'posthog-android/3.1.0' }, newUuid)
    assert.equal(batch!.lib, 'posthog-android')
    assert.equal(libFromUserAgent('Mozilla/5.0 (X11; Linux x86_64)'), 'web')
    assert.equal(libFromUserAgent(undefined), 'web')
  })
})

describe('eventOfItem', () => {
  it('maps an item index back to the request event it came from', () => {
    const [batch] = groupSessions(events(aSnapshotEvent([1, 2]), aSnapshotEvent([]), aSnapshotEvent([3, 4, 5])), ctx, newUuid)
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => eventOfItem(batch!, i)), [0, 0, 2, 2, 2])
  })
})
