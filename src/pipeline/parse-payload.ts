/**
 * parsePayload: decoded JSON text → the list of raw events plus the
 * request-level fields a batch object carries. Accepts the three shapes SDKs
 * send: an array of events, `{batch: [...]}` (with `api_key`/`token`,
 * `sent_at`, `historical_migration`), or a single event object.
 */
import { CaptureError } from '../errors/capture-error.js'

export interface ParsedPayload {
  readonly events: readonly unknown[]
  readonly batchToken?: unknown
  readonly batchSentAt?: unknown
  readonly historicalMigration: boolean
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new CaptureError('invalid_json', { detail: `The decoded body is not valid JSON: ${(err as Error).message}`, cause: err })
  }
}

export function parsePayload(text: string): ParsedPayload {
  const json = parseJson(text)
  if (Array.isArray(json)) return { events: json, historicalMigration: false }
  if (json === null || typeof json !== 'object') {
    throw new CaptureError('invalid_shape', { detail: `The body is JSON ${json === null ? 'null' : typeof json}; expected an event object, an array of events, or {"batch": [...]}.` })
  }
  const object = json as Record<string, unknown>
  if (Array.isArray(object.batch)) {
    return {
      events: object.batch,
      batchToken: object.api_key ?? object.token,
      batchSentAt: object.sent_at,
      historicalMigration: object.historical_migration === true,
    }
  }
  return { events: [object], historicalMigration: false }
}
