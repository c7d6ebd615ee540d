/**
 * groupSessions: the validated `$snapshot` events of one request → one batch
 * per session and window, in order of first appearance, each holding its
 * snapshot items in request order. Upstream merges a whole request into one
 * message stamped with the first event's session; a request mixing sessions
 * would file the others' items under the wrong session, so we split by
 * session (and window, which the replay consumer also keys on) instead.
 *
 * Each batch takes its metadata from its first event, as upstream does for the
 * request: distinct_id, uuid (or a new v7), `$snapshot_source`, `$lib` (else
 * the User-Agent's product token when it names posthog, else "web"), and the
 * timestamp computed with sent_at (request `sent_at`, else the event's own
 * `sent_at`, else the `_` query parameter).
 */
import { computeTimestamp } from '../timestamp.js'
import type { RecordingEvent } from './validate-recording.js'

export interface SessionBatch {
  readonly sessionId: string
  readonly windowId: string
  readonly distinctId: string
  readonly uuid: string
  readonly clientUuid: boolean
  readonly snapshotSource: string
  readonly lib: string
  readonly cookieless: boolean
  readonly timestampMs: number
  readonly sentAtMs?: number
  readonly items: unknown[]
  /** Which request event each run of items came from, for error details. */
  readonly sources: { readonly eventIndex: number; readonly items: number }[]
}

export interface GroupContext {
  readonly nowMs: number
  /** `sent_at` of a `{batch: [...]}` body. */
  readonly requestSentAtMs?: number
  readonly querySentAtMs?: number
  readonly userAgent?: string
}

export function groupSessions(events: readonly RecordingEvent[], ctx: GroupContext, newUuid: () => string): SessionBatch[] {
  const batches = new Map<string, SessionBatch>()
  for (const event of events) {
    const key = `${event.sessionId}\u0000${event.windowId}`
    let batch = batches.get(key)
    if (batch === undefined) {
      batch = startBatch(event, ctx, newUuid)
      batches.set(key, batch)
    }
    for (const item of event.items) batch.items.push(item)
    batch.sources.push({ eventIndex: event.index, items: event.items.length })
  }
  return [...batches.values()]
}

function startBatch(first: RecordingEvent, ctx: GroupContext, newUuid: () => string): SessionBatch {
  const sentAtMs = ctx.requestSentAtMs ?? first.sentAtMs ?? ctx.querySentAtMs
  return {
    sessionId: first.sessionId,
    windowId: first.windowId,
    distinctId: first.distinctId,
    uuid: first.uuid ?? newUuid(),
    clientUuid: first.uuid !== undefined,
    snapshotSource: first.snapshotSource,
    lib: first.lib ?? libFromUserAgent(ctx.userAgent),
    cookieless: first.cookieless,
    timestampMs: computeTimestamp({ timestamp: first.timestamp, offsetMs: first.offsetMs, sentAtMs, ignoreSentAt: first.ignoreSentAt }, ctx.nowMs),
    sentAtMs,
    items: [],
    sources: [],
  }
}

/** Upstream's fallback: `posthog-android/3.1.0 (...)` → `posthog-android`; a browser UA → `web`. */
export function libFromUserAgent(userAgent: string | undefined): string {
  const product = userAgent?.split('/', 1)[0] ?? ''
  return product.includes('posthog') ? product : 'web'
}

/** The request event that item `itemIndex` of the batch came from. */
export function eventOfItem(batch: SessionBatch, itemIndex: number): number {
  let seen = 0
  for (const source of batch.sources) {
    seen += source.items
    if (itemIndex < seen) return source.eventIndex
  }
  return batch.sources.at(-1)?.eventIndex ?? 0
}
