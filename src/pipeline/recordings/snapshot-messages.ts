/**
 * buildSnapshotMessages: one session batch → its `$snapshot_items` Kafka
 * messages, as upstream writes them (docs/recordings.md). The envelope is
 * the analytics one with `event: "$snapshot_items"` and `data` the JSON string of
 * `{"event":"$snapshot_items","properties":{distinct_id, $session_id,
 * $window_id, $snapshot_source, $snapshot_items, $lib}}`; key = session id;
 * headers token, distinct_id, session_id, timestamp, event, uuid, now.
 *
 * Split: when the one message would be larger than `maxMessageBytes` (value +
 * key + headers, as librdkafka counts message.max.bytes), the items are cut
 * into consecutive runs that each fit, and every run becomes a complete
 * message carrying `$snapshot_chunk_id` / `_index` / `_count` in its
 * properties and `chunk_id` / `chunk_index` / `chunk_count` in its headers.
 * A message that fits is never split and carries no chunk fields. Only an
 * item that cannot fit in a message by itself is refused, as a value.
 *
 * The item list is serialised and escaped whole (two native passes); only a
 * recording too large for one message is serialised again item by item, to
 * pack the chunks. The value is spliced from those pieces, so sizes are exact
 * and the envelope is never re-encoded. Pure.
 */
import type { Now } from '../../clock.js'
import type { PreparedMessage } from '../ports.js'
import { utf8LengthAgainst } from '../utf8-length.js'
import { chunkUuid } from './chunk-uuid.js'
import type { SessionBatch } from './group-sessions.js'

export interface SnapshotContext {
  readonly token: string
  readonly ip: string
  readonly now: Now
  readonly topic: string
  readonly maxMessageBytes: number
}

export type SnapshotMessages =
  | { readonly ok: true; readonly messages: PreparedMessage[] }
  | { readonly ok: false; readonly itemIndex: number; readonly itemBytes: number; readonly maxItemBytes: number }

interface Chunk {
  readonly id: string
  readonly index: number
  readonly count: number
}

/** The parts of a batch's messages that do not depend on which items they carry. */
interface Frame {
  readonly batch: SessionBatch
  readonly ctx: SnapshotContext
  /** From after the uuid up to the opening `[` of `$snapshot_items`, escaped. */
  readonly head: string
  /** After the envelope's `data` string. */
  readonly tail: string
}

export function buildSnapshotMessages(batch: SessionBatch, ctx: SnapshotContext): SnapshotMessages {
  const frame = frameOf(batch, ctx)
  // Common case first: the whole item list serialised and escaped in one go (two native passes).
  // Escaping only grows text and UTF-8 is never shorter than UTF-16 units, so JSON already longer
  // than the limit cannot fit: skip the escape pass then.
  const json = JSON.stringify(batch.items)
  const room = ctx.maxMessageBytes - overheadBytes(frame, undefined)
  if (json.length <= room) {
    const whole = escapeJson(json).slice(1, -1)
    if (utf8LengthAgainst(whole, room) <= room) return { ok: true, messages: [render(frame, whole, undefined)] }
  }
  return splitMessages(frame, batch.items.map((item) => escapeJson(JSON.stringify(item))))
}

/** Too large for one message: the items, escaped one by one, packed into chunks. */
function splitMessages(frame: Frame, items: readonly string[]): SnapshotMessages {
  const sizes = items.map((text) => Buffer.byteLength(text))
  // Widest chunk fields a split of these items can need: count ≤ number of items.
  const widest: Chunk = { id: frame.batch.uuid, index: items.length - 1, count: items.length }
  const capacity = frame.ctx.maxMessageBytes - overheadBytes(frame, widest)
  const runs = packRuns(sizes, capacity)
  if (!Array.isArray(runs)) return { ok: false, itemIndex: runs.oversize, itemBytes: sizes[runs.oversize]!, maxItemBytes: Math.max(0, capacity) }
  const messages = runs.map(([start, end], index) =>
    render(frame, items.slice(start, end).join(','), { id: frame.batch.uuid, index, count: runs.length }),
  )
  return { ok: true, messages }
}

/** Consecutive [start, end) runs of items whose joined size fits `capacity`, or the first item that cannot fit alone. */
export function packRuns(sizes: readonly number[], capacity: number): [number, number][] | { oversize: number } {
  const runs: [number, number][] = []
  let start = 0
  let used = 0
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i]!
    if (size > capacity) return { oversize: i }
    if (i > start && used + 1 + size > capacity) {
      runs.push([start, i])
      start = i
      used = size
    } else {
      used = i > start ? used + 1 + size : size
    }
  }
  runs.push([start, sizes.length])
  return runs
}

function frameOf(batch: SessionBatch, ctx: SnapshotContext): Frame {
  const dataHead =
    `{"event":"$snapshot_items","properties":{"distinct_id":${JSON.stringify(batch.distinctId)},` +
    `"$session_id":${JSON.stringify(batch.sessionId)},"$window_id":${JSON.stringify(batch.windowId)},` +
    `"$snapshot_source":${JSON.stringify(batch.snapshotSource)},"$snapshot_items":[`
  const head = `,"distinct_id":${JSON.stringify(batch.distinctId)},"ip":${JSON.stringify(ctx.ip)},"data":"${escapeJson(dataHead)}`
  const after: Record<string, unknown> = {
    now: ctx.now.iso,
    sent_at: batch.sentAtMs === undefined ? null : new Date(batch.sentAtMs).toISOString(),
    token: ctx.token,
    event: '$snapshot_items',
    timestamp: new Date(batch.timestampMs).toISOString(),
  }
  if (batch.cookieless) after.is_cookieless_mode = true
  return { batch, ctx, head, tail: `",${JSON.stringify(after).slice(1)}` }
}

function dataTail(lib: string, chunk: Chunk | undefined): string {
  const fields = chunk === undefined
    ? ''
    : `,"$snapshot_chunk_id":${JSON.stringify(chunk.id)},"$snapshot_chunk_index":${chunk.index},"$snapshot_chunk_count":${chunk.count}`
  return escapeJson(`],"$lib":${JSON.stringify(lib)}${fields}}}`)
}

function render(frame: Frame, itemsText: string, chunk: Chunk | undefined): PreparedMessage {
  const uuid = chunk === undefined ? frame.batch.uuid : chunkUuid(chunk.id, chunk.index)
  const value = `{"uuid":${JSON.stringify(uuid)}${frame.head}${itemsText}${dataTail(frame.batch.lib, chunk)}${frame.tail}`
  return { topic: frame.ctx.topic, key: frame.batch.sessionId, headers: headersOf(frame, uuid, chunk), value }
}

function headersOf(frame: Frame, uuid: string, chunk: Chunk | undefined): Record<string, string> {
  const { batch, ctx } = frame
  const headers: Record<string, string> = {
    token: ctx.token,
    distinct_id: batch.distinctId,
    session_id: batch.sessionId,
    timestamp: String(batch.timestampMs),
    event: '$snapshot_items',
    uuid,
    now: ctx.now.iso,
  }
  if (chunk !== undefined) {
    headers.chunk_id = chunk.id
    headers.chunk_index = String(chunk.index)
    headers.chunk_count = String(chunk.count)
  }
  return headers
}

/** Bytes of a message with no items: value frame + key + headers. */
function overheadBytes(frame: Frame, chunk: Chunk | undefined): number {
  return messageBytes(render(frame, '', chunk))
}

/** JSON text → its form inside a JSON string (what `data` holds), without the quotes. */
function escapeJson(text: string): string {
  return JSON.stringify(text).slice(1, -1)
}

/** Size of a message as the split counts it (value + key + headers), for tests and checks. */
export function messageBytes(message: PreparedMessage): number {
  let bytes = Buffer.byteLength(message.value) + Buffer.byteLength(message.key ?? '')
  for (const name in message.headers) bytes += Buffer.byteLength(name) + Buffer.byteLength(message.headers[name]!)
  return bytes
}
