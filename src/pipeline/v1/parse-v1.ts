/**
 * parseV1Batch: the decoded body → the Capture V1 envelope, checked against
 * its schema (docs/capture-v1.md §Body). Everything here fails the whole
 * request, as upstream's typed deserialisation does: a missing required key
 * or a wrong JSON type is 400 request_parsing_error; a bad `created_at` is
 * invalid_batch; an empty batch is empty_batch; an empty, unparseable or
 * repeated event uuid is missing_event_uuid / invalid_event_uuid /
 * duplicate_event_uuid. Rules that drop a single event live in validate-v1.ts.
 * Unknown keys are ignored everywhere.
 */
import { CaptureError } from '../../errors/capture-error.js'
import { normaliseUuid } from '../uuid.js'
import { parseRfc3339 } from './rfc3339.js'

/** One event as the schema types it; `uuid` is already canonical (lowercase, hyphenated). */
export interface RawV1Event {
  readonly event: string
  readonly uuid: string
  readonly distinct_id: string
  readonly timestamp: string
  readonly session_id?: string | null
  readonly window_id?: string | null
  readonly options?: unknown
  readonly properties?: unknown
}

export interface V1Batch {
  readonly events: readonly RawV1Event[]
  readonly historical: boolean
  readonly captureInternal: boolean
}

const parsing = (detail: string, attr?: string): CaptureError => new CaptureError('request_parsing_error', { detail, attr })

export function parseV1Batch(text: string): V1Batch {
  let root: unknown
  try {
    root = JSON.parse(text)
  } catch (err) {
    throw parsing(`The body is not valid JSON: ${(err as Error).message}.`)
  }
  if (!isObject(root)) throw parsing('The body must be a JSON object with created_at and batch.')
  if (typeof root.created_at !== 'string') throw parsing('created_at is required and must be a string.', 'created_at')
  if (Number.isNaN(parseRfc3339(root.created_at))) throw new CaptureError('invalid_batch', { detail: 'created_at is not an RFC 3339 date-time.', attr: 'created_at' })
  const batch = root.batch
  if (!Array.isArray(batch)) throw parsing('batch is required and must be an array.', 'batch')
  if (batch.length === 0) throw new CaptureError('empty_batch', { detail: 'batch holds no event.' })
  const historical = optionalBool(root, 'historical_migration')
  const captureInternal = optionalBool(root, 'capture_internal')
  const events = batch.map(checkEventShape)
  checkUuidsUnique(events)
  return { events, historical, captureInternal }
}

function optionalBool(root: Record<string, unknown>, key: string): boolean {
  const value = root[key]
  if (value === undefined || value === null) return false
  if (typeof value !== 'boolean') throw parsing(`${key} must be a boolean.`, key)
  return value
}

const REQUIRED_STRINGS = ['event', 'uuid', 'distinct_id', 'timestamp'] as const

function checkEventShape(item: unknown, index: number): RawV1Event {
  if (!isObject(item)) throw parsing(`batch[${index}] is not a JSON object.`, `batch[${index}]`)
  for (const key of REQUIRED_STRINGS) {
    if (typeof item[key] !== 'string') throw parsing(`batch[${index}].${key} is required and must be a string.`, `batch[${index}].${key}`)
  }
  for (const key of ['session_id', 'window_id'] as const) {
    const value = item[key]
    if (value !== undefined && value !== null && typeof value !== 'string') throw parsing(`batch[${index}].${key} must be a string or null.`, `batch[${index}].${key}`)
  }
  const uuidText = (item.uuid as string).trim()
  if (uuidText === '') throw new CaptureError('missing_event_uuid', { detail: `batch[${index}].uuid is empty.`, attr: `batch[${index}].uuid` })
  const uuid = normaliseUuid(uuidText)
  if (typeof uuid !== 'string') throw new CaptureError('invalid_event_uuid', { detail: `batch[${index}].uuid is not a UUID.`, attr: `batch[${index}].uuid` })
  // The parsed body is ours: canonicalise in place rather than copy each event.
  item.uuid = uuid
  return item as unknown as RawV1Event
}

function checkUuidsUnique(events: readonly RawV1Event[]): void {
  const seen = new Set<string>()
  for (let index = 0; index < events.length; index++) {
    const uuid = events[index]!.uuid
    if (seen.has(uuid)) throw new CaptureError('duplicate_event_uuid', { detail: `batch[${index}].uuid ${uuid} repeats an earlier event's.`, attr: `batch[${index}].uuid` })
    seen.add(uuid)
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
