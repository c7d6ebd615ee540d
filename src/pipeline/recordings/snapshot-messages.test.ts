import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { bigItem, snapshotData, snapshotItems } from '../../../test/helpers/recordings.js'
import type { PreparedMessage } from '../ports.js'
import type { SessionBatch } from './group-sessions.js'
import { buildSnapshotMessages, messageBytes, packRuns, type SnapshotContext, type SnapshotMessages } from './snapshot-messages.js'

const NOW = { ms: Date.UTC(2025, 0, 1, 12), iso: '2025-01-01T12:00:00.000Z' }
const UUID = '01a215db-f2df-7421-b668-07dbaed3bb9d'

function aBatch(items: unknown[], overrides: Partial<SessionBatch> = {}): SessionBatch {
  return {
    sessionId: 'session-1', windowId: 'window-1', distinctId: 'user-1', uuid: UUID, clientUuid: true,
    snapshotSource: 'web', lib: 'web', cookieless: false, timestampMs: NOW.ms - 1000, sentAtMs: NOW.ms - 500,
    items, sources: [{ eventIndex: 0, items: items.length }], ...overrides,
  }
}

const ctx = (maxMessageBytes = 1_000_000): SnapshotContext =>
  ({ token: 'phc_token', ip: '203.0.113.7', now: NOW, topic: 'session_recording_snapshot_item_events', maxMessageBytes })

function messagesOf(result: SnapshotMessages): PreparedMessage[] {
  if (!result.ok) assert.fail(`refused item ${result.itemIndex} (${result.itemBytes} bytes)`)
  return result.messages
}

describe('buildSnapshotMessages', () => {
  it('writes one $snapshot_items message in the upstream shape when it fits', () => {
    const items = [{ type: 4, data: { href: 'https://example.com/ü' } }, { type: 2, data: '\u001f\u008b"quoted"' }]
    const [message, ...rest] = messagesOf(buildSnapshotMessages(aBatch(items), ctx()))
    assert.equal(rest.length, 0)
    assert.equal(message!.topic, 'session_recording_snapshot_item_events')
    assert.equal(message!.key, 'session-1')
    assert.deepEqual(message!.headers, {
      token: 'phc_token', distinct_id: 'user-1', session_id: 'session-1', timestamp: String(NOW.ms - 1000),
      event: '$snapshot_items', uuid: UUID, now: NOW.iso,
    })
    const envelope = JSON.parse(message!.value) as Record<string, unknown>
    assert.deepEqual(Object.keys(envelope), ['uuid', 'distinct_id', 'ip', 'data', 'now', 'sent_at', 'token', 'event', 'timestamp'])
    assert.deepEqual({ ...envelope, data: undefined }, {
      uuid: UUID, distinct_id: 'user-1', ip: '203.0.113.7', data: undefined, now: NOW.iso,
      sent_at: '2025-01-01T11:59:59.500Z', token: 'phc_token', event: '$snapshot_items', timestamp: '2025-01-01T11:59:59.000Z',
    })
    assert.deepEqual(snapshotData(envelope), {
      event: '$snapshot_items',
      properties: { distinct_id: 'user-1', $session_id: 'session-1', $window_id: 'window-1', $snapshot_source: 'web', $snapshot_items: items, $lib: 'web' },
    })
  })

  it('writes sent_at null when unknown and is_cookieless_mode only when true', () => {
    const [plain] = messagesOf(buildSnapshotMessages(aBatch([], { sentAtMs: undefined }), ctx()))
    assert.equal(JSON.parse(plain!.value).sent_at, null)
    assert.equal('is_cookieless_mode' in JSON.parse(plain!.value), false)
    const [cookieless] = messagesOf(buildSnapshotMessages(aBatch([], { cookieless: true }), ctx()))
    assert.equal(JSON.parse(cookieless!.value).is_cookieless_mode, true)
  })

  it('does not split a message of exactly the limit', () => {
    const batch = aBatch(snapshotItems(50))
    const [whole] = messagesOf(buildSnapshotMessages(batch, ctx()))
    const exact = messagesOf(buildSnapshotMessages(batch, ctx(messageBytes(whole!))))
    assert.equal(exact.length, 1)
    assert.equal(messagesOf(buildSnapshotMessages(batch, ctx(messageBytes(whole!) - 1))).length > 1, true)
  })

  it('splits a recording over the limit into ordered chunks whose items concatenate to the original', () => {
    const items = snapshotItems(400, 300)
    const limit = 20_000
    const messages = messagesOf(buildSnapshotMessages(aBatch(items), ctx(limit)))
    assert.ok(messages.length >= 6, `${messages.length} chunks`)
    const datas = messages.map((m) => snapshotData(m.value))
    assert.deepEqual(datas.flatMap((d) => d.properties.$snapshot_items), items)
    messages.forEach((message, index) => {
      assert.ok(messageBytes(message) <= limit, `chunk ${index} is ${messageBytes(message)} bytes`)
      assert.equal(message.key, 'session-1')
      assert.equal(message.headers.chunk_index, String(index))
      assert.equal(message.headers.chunk_count, String(messages.length))
      assert.equal(message.headers.chunk_id, UUID)
      const { properties } = datas[index]!
      assert.equal(properties.$snapshot_chunk_index, index)
      assert.equal(properties.$snapshot_chunk_count, messages.length)
      assert.equal(properties.$snapshot_chunk_id, UUID)
      assert.equal(properties.$session_id, 'session-1')
      assert.equal(properties.$window_id, 'window-1')
    })
  })

  it('gives every chunk its own uuid, the first keeping the recording\'s', () => {
    const messages = messagesOf(buildSnapshotMessages(aBatch(snapshotItems(100, 300)), ctx(16_384)))
    const uuids = messages.map((m) => JSON.parse(m.value).uuid as string)
    assert.equal(uuids[0], UUID)
    assert.equal(new Set(uuids).size, messages.length)
    assert.deepEqual(messages.map((m) => m.headers.uuid), uuids)
  })

  it('fills every chunk but the last to within about one item of the limit', () => {
    const limit = 50_000
    const messages = messagesOf(buildSnapshotMessages(aBatch(snapshotItems(1000, 250)), ctx(limit)))
    for (const message of messages.slice(0, -1)) assert.ok(messageBytes(message) > limit - 1000, `${messageBytes(message)} bytes`)
  })

  it('refuses, as a value, an item that cannot fit in a message by itself', () => {
    const items = [...snapshotItems(3), bigItem(30_000), ...snapshotItems(2)]
    const result = buildSnapshotMessages(aBatch(items), ctx(20_000))
    assert.equal(result.ok, false)
    if (result.ok) return
    assert.equal(result.itemIndex, 3)
    assert.ok(result.itemBytes > 30_000)
    assert.ok(result.maxItemBytes < 20_000 && result.maxItemBytes > 19_000, String(result.maxItemBytes))
  })

  it('counts multi-byte characters and JSON escapes in the size', () => {
    const items = Array.from({ length: 200 }, (_, i) => ({ i, text: 'é"\\\n'.repeat(50) }))
    const messages = messagesOf(buildSnapshotMessages(aBatch(items), ctx(16_384)))
    assert.ok(messages.length > 1)
    for (const message of messages) assert.ok(messageBytes(message) <= 16_384)
    assert.deepEqual(messages.flatMap((m) => snapshotData(m.value).properties.$snapshot_items), items)
  })
})

describe('packRuns', () => {
  it('cuts consecutive runs that fit, counting one comma between items', () => {
    assert.deepEqual(packRuns([3, 3, 3, 3], 7), [[0, 2], [2, 4]])
    assert.deepEqual(packRuns([3, 3, 3, 3], 6), [[0, 1], [1, 2], [2, 3], [3, 4]])
    assert.deepEqual(packRuns([], 6), [[0, 0]])
  })

  it('names the first item larger than the capacity', () => {
    assert.deepEqual(packRuns([1, 9, 1], 8), { oversize: 1 })
  })
})
