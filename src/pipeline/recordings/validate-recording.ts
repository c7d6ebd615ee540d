/**
 * validateRecording: one raw `$snapshot` event → the fields the recording
 * pipeline reads, or a rejection naming the rule it broke (docs/recordings.md).
 * Outcomes are values; the pipeline turns the first rejection into a 400 for
 * the whole request, as upstream does.
 *
 * Upstream reads the session metadata from the first event only; we check every
 * event, because a request is split into one message per session (and window),
 * so every event's session id becomes a Kafka key.
 */
import type { CaptureCode } from '../../errors/codes.js'
import { extractDistinctId } from '../distinct-id.js'
import { parseSentAt } from '../timestamp.js'
import { normaliseUuid } from '../uuid.js'

const MAX_SESSION_ID_CHARS = 70
const SESSION_ID = /^[A-Za-z0-9-]+$/

export interface RecordingEvent {
  readonly index: number
  readonly sessionId: string
  /** `$window_id`, defaulting to the session id. */
  readonly windowId: string
  readonly distinctId: string
  /** Client uuid, normalised; absent when the client sent none. */
  readonly uuid?: string
  /** `$snapshot_data`: an array's items, or an object as the only item. */
  readonly items: readonly unknown[]
  readonly snapshotSource: string
  /** `properties.$lib` when it is a string. */
  readonly lib?: string
  readonly cookieless: boolean
  readonly timestamp?: string
  readonly offsetMs?: number
  readonly ignoreSentAt: boolean
  /** Per-event `sent_at` (posthog-js puts it on each `/s` item), ms. */
  readonly sentAtMs?: number
}

export type ValidatedRecording =
  | { readonly ok: true; readonly event: RecordingEvent }
  | { readonly ok: false; readonly code: CaptureCode; readonly attr: string; readonly detail: string }

const reject = (index: number, code: CaptureCode, field: string, detail: string): ValidatedRecording =>
  ({ ok: false, code, attr: `[${index}]${field === '' ? '' : `.${field}`}`, detail: `event ${index}: ${detail}` })

export function validateRecording(input: unknown, index: number): ValidatedRecording {
  if (!isObject(input)) return reject(index, 'invalid_event', '', 'not a JSON object')
  const properties = input.properties ?? {}
  if (!isObject(properties)) return reject(index, 'invalid_properties', 'properties', 'properties must be a JSON object')
  const session = checkSessionId(properties.$session_id, index)
  if (typeof session !== 'string') return session
  const windowId = properties.$window_id ?? session
  if (typeof windowId !== 'string') return reject(index, 'invalid_window_id', 'properties.$window_id', '$window_id must be a string')
  const items = snapshotItems(properties.$snapshot_data)
  if (items === undefined) return reject(index, 'missing_snapshot_data', 'properties.$snapshot_data', snapshotDataProblem(properties.$snapshot_data))
  const distinctId = distinctIdOf(input, properties)
  if (distinctId === TOO_DEEP) return reject(index, 'event_too_deep', 'distinct_id', 'distinct_id is nested too deeply to serialise')
  if (distinctId === undefined) return reject(index, 'missing_distinct_id', 'distinct_id', 'the event has no distinct_id (top level or properties.distinct_id)')
  const uuid = normaliseUuid(input.uuid)
  if (uuid === null) return reject(index, 'invalid_uuid', 'uuid', 'uuid is not a valid UUID')
  const time = checkTime(input, index)
  if ('ok' in time) return time
  const cookieless = properties.$cookieless_mode ?? false
  if (typeof cookieless !== 'boolean') return reject(index, 'invalid_cookieless_mode', 'properties.$cookieless_mode', '$cookieless_mode must be a boolean')
  const source = properties.$snapshot_source
  const lib = properties.$lib
  return {
    ok: true,
    event: {
      index, sessionId: session, windowId, distinctId, uuid, items, cookieless, ...time,
      snapshotSource: typeof source === 'string' ? source : 'web',
      lib: typeof lib === 'string' ? lib : undefined,
      ignoreSentAt: properties.$ignore_sent_at === true,
      sentAtMs: parseSentAt(input.sent_at),
    },
  }
}

const TOO_DEEP = Symbol('too deep')

/**
 * extractDistinctId stringifies a non-string distinct_id recursively, so client
 * nesting can exhaust the stack; that is this event's fault, not a server error.
 */
function distinctIdOf(input: Record<string, unknown>, properties: Record<string, unknown>): string | undefined | typeof TOO_DEEP {
  try {
    return extractDistinctId(input, properties)
  } catch (err) {
    if (err instanceof RangeError) return TOO_DEEP
    throw err
  }
}

function checkSessionId(value: unknown, index: number): string | ValidatedRecording {
  const field = 'properties.$session_id'
  if (value === undefined || value === null) return reject(index, 'missing_session_id', field, 'the event has no properties.$session_id')
  if (typeof value !== 'string') return reject(index, 'invalid_session_id', field, `$session_id must be a string, not ${Array.isArray(value) ? 'an array' : typeof value}`)
  if (value.length > MAX_SESSION_ID_CHARS) return reject(index, 'invalid_session_id', field, `$session_id is ${value.length} characters; at most ${MAX_SESSION_ID_CHARS} are allowed`)
  if (!SESSION_ID.test(value)) return reject(index, 'invalid_session_id', field, '$session_id may only hold A-Z, a-z, 0-9 and "-", and may not be empty')
  return value
}

function checkTime(input: Record<string, unknown>, index: number): { timestamp?: string; offsetMs?: number } | ValidatedRecording {
  const { timestamp, offset } = input
  if (timestamp !== undefined && timestamp !== null && typeof timestamp !== 'string') return reject(index, 'invalid_timestamp', 'timestamp', 'timestamp must be a string')
  if (offset !== undefined && offset !== null && !Number.isInteger(offset)) return reject(index, 'invalid_timestamp', 'offset', 'offset must be an integer (milliseconds)')
  return { timestamp: (timestamp as string | null | undefined) ?? undefined, offsetMs: (offset as number | null | undefined) ?? undefined }
}

function snapshotItems(data: unknown): readonly unknown[] | undefined {
  if (Array.isArray(data)) return data
  return isObject(data) ? [data] : undefined
}

function snapshotDataProblem(data: unknown): string {
  if (data === undefined || data === null) return 'the event has no properties.$snapshot_data'
  return `$snapshot_data must be an array of snapshot items or one item object, not ${typeof data}`
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
