/**
 * What the debugger shows and how a viewer chooses it: the records the tap
 * takes (an accepted message as written to the sink, or a refused request),
 * the batches they travel in between processes, the viewers' filters, and
 * token masking.
 *
 * Invariant: a project token leaves the server whole only to a viewer that
 * filtered on exactly that token; everywhere else every occurrence of it
 * (key, headers, envelope, the event inside `data`) is masked.
 */
import { maskToken } from '../observability/logger.js'

/** An accepted message, exactly as handed to the sink (value cut at VALUE_MAX_CHARS). */
export interface TappedEvent {
  readonly kind: 'event'
  readonly at: number
  readonly worker: number
  readonly topic: string
  readonly key: string | null
  readonly headers: Readonly<Record<string, string>>
  readonly value: string
  /** Characters of the whole value (before masking). */
  readonly valueLength: number
  /** The value was cut at VALUE_MAX_CHARS. */
  readonly truncated: boolean
}

/** A request answered with an error from the catalogue. */
export interface TappedRefusal {
  readonly kind: 'refused'
  readonly at: number
  readonly worker: number
  readonly route: string
  readonly method: string
  readonly code: string
  readonly status: number
  readonly reason: string
  /** The token the request carried in a header, when it did (a body token is not known when the request fails). */
  readonly token?: string
}

export type TapRecord = TappedEvent | TappedRefusal

export type SkipReason = 'rate_cap' | 'slow_viewer' | 'paused'

/** What one process's tap hands on every flush. */
export interface TapBatch {
  readonly records: readonly TapRecord[]
  /** Records left out by the tap's per-second cap since the last batch. */
  readonly skipped: number
}

/** A viewer's server-side filter; every field set must match exactly. */
export interface ViewerFilter {
  readonly token?: string
  readonly event?: string
  readonly distinctId?: string
}

/** A long envelope (a recording) is cut: the page needs its head, not megabytes per row. */
export const VALUE_MAX_CHARS = 16 * 1024

export function matches(record: TapRecord, filter: ViewerFilter): boolean {
  if (record.kind === 'refused') {
    // A refused request has no single event or distinct_id to compare.
    if (filter.event !== undefined || filter.distinctId !== undefined) return false
    return filter.token === undefined || filter.token === record.token
  }
  return matchesHeaders(record.headers, filter)
}

/** A message's headers carry its token, event and distinct_id (every sink message has them). */
export function matchesHeaders(headers: Readonly<Record<string, string>>, filter: ViewerFilter): boolean {
  return (filter.token === undefined || filter.token === headers.token)
    && (filter.event === undefined || filter.event === headers.event)
    && (filter.distinctId === undefined || filter.distinctId === headers.distinct_id)
}

export const matchesAny = (record: TapRecord, filters: readonly ViewerFilter[]): boolean => filters.some((filter) => matches(record, filter))

export const tokenOf = (record: TapRecord): string | undefined => (record.kind === 'event' ? record.headers.token : record.token)

/**
 * The record (its JSON text) for one viewer: its token masked unless the
 * viewer asked for exactly that token. In the record's JSON the token appears
 * JSON-escaped once (key, headers, a refusal's token), twice (the envelope
 * text in `value`) or three times (the event inside the envelope's `data`);
 * each form is replaced by the mask in the same escaping. For ordinary
 * tokens ([A-Za-z0-9_-]) all forms are the token itself.
 */
export function renderFor(recordJson: string, token: string | undefined, filter: ViewerFilter): string {
  if (token === undefined || token === '' || filter.token === token) return recordJson
  const masked = maskToken(token)
  let text = recordJson
  // Deepest first: a deeper form is the longer one and contains the shallower.
  for (const depth of [3, 2, 1]) text = text.split(escaped(token, depth)).join(escaped(masked, depth))
  return text
}

function escaped(text: string, depth: number): string {
  let out = text
  for (let i = 0; i < depth; i++) out = JSON.stringify(out).slice(1, -1)
  return out
}
