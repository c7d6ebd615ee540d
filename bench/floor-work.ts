/**
 * The floor's per-request work, shared by the floor server and the stage
 * benchmark: gunzip when the body is gzip (magic bytes), JSON.parse once, and
 * serialise each event once into an envelope that carries the event as a JSON
 * string (the shape capture emits). This is the work no capture server can
 * avoid; it does no validation, no limits and no I/O.
 */
import { gunzipSync } from 'node:zlib'

export interface FloorEnvelopeSink {
  /** Receives each serialised envelope (the floor server only counts them). */
  (envelope: string): void
}

interface Extracted {
  readonly events: readonly unknown[]
  readonly token: unknown
  readonly sentAt: unknown
}

function eventsOf(json: unknown): Extracted {
  if (Array.isArray(json)) return { events: json, token: undefined, sentAt: undefined }
  const object = json as Record<string, unknown>
  if (Array.isArray(object.batch)) return { events: object.batch, token: object.api_key ?? object.token, sentAt: object.sent_at }
  return { events: [object], token: undefined, sentAt: undefined }
}

/** Returns the number of events serialised; throws on a body that is not (gzip'd) JSON. */
export function serialiseRequest(body: Buffer, ip: string, emit: FloorEnvelopeSink): number {
  const raw = body.length > 1 && body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body
  const { events, token, sentAt } = eventsOf(JSON.parse(raw.toString('utf8')))
  const now = new Date().toISOString()
  for (const item of events) {
    const event = item as Record<string, unknown>
    const properties = (event.properties ?? {}) as Record<string, unknown>
    emit(JSON.stringify({
      uuid: event.uuid,
      distinct_id: event.distinct_id ?? properties.distinct_id,
      ip,
      data: JSON.stringify(event),
      now,
      sent_at: sentAt ?? null,
      token: token ?? properties.token,
      event: event.event,
      timestamp: event.timestamp,
    }))
  }
  return events.length
}
