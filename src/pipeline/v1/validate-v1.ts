/**
 * validateV1Event: one schema-checked V1 event → the CaptureEvent the shared
 * prepare stage turns into a Kafka message, or a per-event `drop` with its
 * tag (docs/capture-v1.md §Per-event rules). Outcomes are values: a bad event
 * never fails the request.
 *
 * What differs from the classic validator: names and distinct_ids are capped
 * at 200 bytes (not characters); timestamps must be RFC 3339 with offset;
 * an illegal distinct_id ("anonymous", "null", …) is accepted as a `warning`
 * with person processing disabled; session/window ids, `options` and
 * `PostHog-Sdk-Info` are folded into properties; `data` carries only
 * {event, distinct_id, uuid, properties, timestamp} with the raw timestamp.
 */
import type { Now } from '../../clock.js'
import { computeTimestamp } from '../timestamp.js'
import type { CaptureEvent } from '../validate-event.js'
import type { RawV1Event } from './parse-v1.js'
import { parseRfc3339 } from './rfc3339.js'
import { readV1Options } from './v1-options.js'

export type V1DropTag =
  | 'missing_event_name'
  | 'event_name_too_long'
  | 'dropped_performance_event'
  | 'missing_distinct_id'
  | 'distinct_id_too_large'
  | 'invalid_event_timestamp'
  | 'invalid_options'
  | 'malformed_event_properties'

export type V1Validated =
  | { readonly ok: true; readonly event: CaptureEvent; readonly sessionId?: string; readonly personless: boolean }
  | { readonly ok: false; readonly details: V1DropTag }

export interface V1EventContext {
  readonly now: Now
  readonly ip: string
  readonly token: string
  readonly requestTimestampMs: number
  readonly captureInternal: boolean
  readonly lib?: { readonly name: string; readonly version: string }
}

const MAX_BYTES = 200
const ILLEGAL_DISTINCT_IDS = new Set([
  '0', '00000000-0000-0000-0000-000000000000', '[object object]', 'anonymous', 'anonymous-user', 'backend',
  'distinct_id', 'distinctid', 'email', 'false', 'guest', 'id', 'nan', 'none', 'not_authenticated', 'null',
  'system', 'true', 'undefined', 'user',
])

const drop = (details: V1DropTag): V1Validated => ({ ok: false, details })
/** Byte length without allocating when the UTF-16 length already decides (≤ 3 bytes per unit). */
const overBytes = (text: string, max: number): boolean => text.length > max || (text.length * 3 > max && Buffer.byteLength(text) > max)

export function validateV1Event(raw: RawV1Event, ctx: V1EventContext): V1Validated {
  const name = raw.event
  if (name === '') return drop('missing_event_name')
  if (overBytes(name, MAX_BYTES)) return drop('event_name_too_long')
  if (name === '$performance_event') return drop('dropped_performance_event')
  const distinctId = raw.distinct_id.trim()
  if (distinctId === '') return drop('missing_distinct_id')
  if (overBytes(distinctId, MAX_BYTES)) return drop('distinct_id_too_large')
  const clientMs = parseRfc3339(raw.timestamp)
  if (Number.isNaN(clientMs)) return drop('invalid_event_timestamp')
  const properties = raw.properties ?? {}
  if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) return drop('malformed_event_properties')
  const options = readV1Options(raw.options)
  if (options === undefined) return drop('invalid_options')
  const props = properties as Record<string, unknown>
  // Appended after the client's own keys, so these win (upstream writes them last).
  if (typeof raw.session_id === 'string') props.$session_id = raw.session_id
  if (typeof raw.window_id === 'string') props.$window_id = raw.window_id
  if (options.cookieless_mode !== undefined) props.$cookieless_mode = options.cookieless_mode
  if (options.disable_skew_correction !== undefined) props.$ignore_sent_at = options.disable_skew_correction
  if (options.product_tour_id !== undefined) props.$product_tour_id = options.product_tour_id
  if (options.process_person_profile !== undefined) props.$process_person_profile = options.process_person_profile
  if (ctx.lib !== undefined) {
    props.$lib = ctx.lib.name
    props.$lib_version = ctx.lib.version
  }
  const timestampMs = computeTimestamp(
    { timestamp: raw.timestamp, sentAtMs: ctx.requestTimestampMs, ignoreSentAt: options.disable_skew_correction === true },
    ctx.now.ms,
  )
  const event: CaptureEvent = {
    uuid: raw.uuid,
    event: name,
    distinctId,
    token: ctx.token,
    properties: props,
    timestampMs,
    cookieless: options.cookieless_mode === true,
    ip: ctx.captureInternal ? '127.0.0.1' : ctx.ip,
    clientUuid: true,
    data: JSON.stringify({ event: name, distinct_id: distinctId, uuid: raw.uuid, properties: props, timestamp: raw.timestamp }),
  }
  const personless = ILLEGAL_DISTINCT_IDS.has(distinctId.toLowerCase())
  return typeof raw.session_id === 'string' ? { ok: true, event, sessionId: raw.session_id, personless } : { ok: true, event, personless }
}
