/**
 * validateEvent: one raw event → a CaptureEvent ready to prepare, or a
 * rejection naming the rule it broke. Outcomes are values, not exceptions;
 * the caller turns the first rejection into a 400 for the whole request, as
 * upstream does.
 *
 * `data` (the event as a JSON string inside the envelope) keeps only the keys
 * upstream's RawEvent has, under their canonical names.
 */
import type { CaptureCode } from '../errors/codes.js'
import type { RequestContext } from './request-context.js'
import { charLength, extractDistinctId } from './distinct-id.js'
import { computeTimestamp } from './timestamp.js'
import { normaliseUuid } from './uuid.js'

const MAX_EVENT_NAME_CHARS = 200

export interface CaptureEvent {
  readonly uuid: string
  readonly event: string
  readonly distinctId: string
  readonly token: string
  readonly properties: Readonly<Record<string, unknown>>
  readonly timestampMs: number
  readonly cookieless: boolean
  readonly ip: string
  /** Client-sent uuid (dedup keys include it only when the client chose it). */
  readonly clientUuid: boolean
  /** The event re-serialised as upstream's RawEvent. */
  readonly data: string
}

export type Validated =
  | { readonly ok: true; readonly event: CaptureEvent }
  | { readonly ok: false; readonly index: number; readonly code: CaptureCode; readonly attr: string; readonly detail: string }

export interface EventContext extends RequestContext {
  readonly token: string
  readonly sentAtMs?: number
}

const reject = (index: number, code: CaptureCode, field: string, detail: string): Validated =>
  ({ ok: false, index, code, attr: field === '' ? `[${index}]` : `[${index}].${field}`, detail: `event ${index}: ${detail}` })

export function validateEvent(input: unknown, index: number, ctx: EventContext, newUuid: () => string): Validated {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return reject(index, 'invalid_event', '', 'not a JSON object')
  const raw = input as Record<string, unknown>
  let name = raw.event
  if ((name === undefined || name === null) && ctx.isEngage) name = '$identify'
  if (typeof name !== 'string' || name === '') return reject(index, 'missing_event_name', 'event', 'the event name is missing or empty')
  if (charLength(name, MAX_EVENT_NAME_CHARS) > MAX_EVENT_NAME_CHARS) return reject(index, 'event_name_too_long', 'event', `the event name is longer than ${MAX_EVENT_NAME_CHARS} characters`)
  const properties = raw.properties ?? {}
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) return reject(index, 'invalid_properties', 'properties', 'properties must be a JSON object')
  const props = properties as Record<string, unknown>
  const distinctId = extractDistinctId(raw, props)
  if (distinctId === undefined) return reject(index, 'missing_distinct_id', 'distinct_id', 'the event has no distinct_id (top level or properties.distinct_id)')
  const uuid = normaliseUuid(raw.uuid)
  if (uuid === null) return reject(index, 'invalid_uuid', 'uuid', 'uuid is not a valid UUID')
  if (raw.timestamp !== undefined && raw.timestamp !== null && typeof raw.timestamp !== 'string') return reject(index, 'invalid_timestamp', 'timestamp', 'timestamp must be a string')
  if (raw.offset !== undefined && raw.offset !== null && !Number.isInteger(raw.offset)) return reject(index, 'invalid_timestamp', 'offset', 'offset must be an integer (milliseconds)')
  const cookieless = props.$cookieless_mode
  if (cookieless !== undefined && typeof cookieless !== 'boolean') return reject(index, 'invalid_cookieless_mode', 'properties.$cookieless_mode', '$cookieless_mode must be a boolean')
  const timestampMs = computeTimestamp(
    {
      timestamp: (raw.timestamp as string | null | undefined) ?? undefined,
      offsetMs: (raw.offset as number | null | undefined) ?? undefined,
      sentAtMs: ctx.sentAtMs,
      ignoreSentAt: props.$ignore_sent_at === true,
    },
    ctx.now.ms,
  )
  return {
    ok: true,
    event: {
      uuid: uuid ?? newUuid(),
      event: name,
      distinctId,
      token: ctx.token,
      properties: props,
      timestampMs,
      cookieless: cookieless === true,
      ip: 'capture_internal' in props ? '127.0.0.1' : ctx.ip,
      clientUuid: uuid !== undefined,
      data: serialiseData(raw, name, props, uuid),
    },
  }
}

/**
 * The RawEvent keys upstream re-serialises, under their canonical names;
 * everything else at the top level (`type`, `library`, ...) is dropped.
 */
const DATA_KEYS: Readonly<Record<string, string>> = {
  token: 'token', $token: 'token', api_key: 'token',
  distinct_id: 'distinct_id', $distinct_id: 'distinct_id',
  uuid: 'uuid', event: 'event', properties: 'properties', timestamp: 'timestamp',
  offset: 'offset', $set: '$set', $set_once: '$set_once',
}

function serialiseData(raw: Record<string, unknown>, name: string, properties: Record<string, unknown>, uuid: string | undefined): string {
  const out: Record<string, unknown> = {}
  for (const key in raw) {
    const canonical = DATA_KEYS[key]
    if (canonical === undefined || canonical in out) continue
    const value = raw[key]
    if (value === undefined || value === null) continue
    out[canonical] = value
  }
  if (uuid !== undefined) out.uuid = uuid
  out.event = name
  out.properties = properties
  return JSON.stringify(out)
}
