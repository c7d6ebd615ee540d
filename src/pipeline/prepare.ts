/**
 * prepareMessage: a validated event → the Kafka message PostHog's ingestion
 * consumes: the CapturedEvent envelope serialised once, its topic,
 * key and headers. The local log stores exactly the same message.
 */
import type { Topics } from '../config/config.js'
import type { Now } from '../clock.js'
import type { Lane, PreparedMessage } from './ports.js'
import { isoTime } from '../iso-time.js'
import type { CaptureEvent } from './validate-event.js'

export interface PrepareContext {
  readonly now: Now
  readonly sentAtMs?: number
  readonly historical: boolean
  readonly topics: Topics
}

export function pickTopic(event: CaptureEvent, lane: Lane, ctx: PrepareContext): string {
  if (ctx.historical) return ctx.topics.historical
  switch (event.event) {
    case '$$client_ingestion_warning':
      return ctx.topics.clientIngestionWarnings
    case '$exception':
      return ctx.topics.exceptions
    case '$$heatmap':
      return ctx.topics.heatmaps
    default:
      return lane === 'normal' ? ctx.topics.main : ctx.topics.overflow
  }
}

export function prepareMessage(event: CaptureEvent, lane: Lane, ctx: PrepareContext): PreparedMessage {
  const headers: Record<string, string> = {
    token: event.token,
    distinct_id: event.distinctId,
    timestamp: String(event.timestampMs),
    event: event.event,
    uuid: event.uuid,
    now: ctx.now.iso,
  }
  if (ctx.historical) headers.historical_migration = 'true'
  if (lane === 'overflow_forced') headers.force_disable_person_processing = 'true'
  const topic = pickTopic(event, lane, ctx)
  // Overflowing events go out without a key, spread over all partitions (upstream).
  const overflowing = lane !== 'normal' && !ctx.historical && topic === ctx.topics.overflow
  return {
    topic,
    key: overflowing ? null : `${event.token}:${event.cookieless ? event.ip : event.distinctId}`,
    headers,
    value: envelopeJson(event, ctx),
  }
}

/**
 * The envelope's JSON text, written as a template rather than by stringifying
 * an object: the same bytes JSON.stringify would write for the object
 * {uuid, distinct_id, ip, data, now, sent_at, token, event, timestamp
 * [, is_cookieless_mode][, historical_migration]} (a test holds it to that),
 * without building the object. Client strings go through JSON.stringify; the
 * ISO times are ours and need no escaping.
 */
function envelopeJson(event: CaptureEvent, ctx: PrepareContext): string {
  const sentAt = ctx.sentAtMs === undefined ? 'null' : `"${isoOnce(ctx.sentAtMs)}"`
  const flags = (event.cookieless ? ',"is_cookieless_mode":true' : '') + (ctx.historical ? ',"historical_migration":true' : '')
  return `{"uuid":${JSON.stringify(event.uuid)},"distinct_id":${JSON.stringify(event.distinctId)},"ip":${JSON.stringify(event.ip)},` +
    `"data":${JSON.stringify(event.data)},"now":"${ctx.now.iso}","sent_at":${sentAt},"token":${JSON.stringify(event.token)},` +
    `"event":${JSON.stringify(event.event)},"timestamp":"${isoTime(event.timestampMs)}"${flags}}`
}

/** Every event of a request shares one sent_at: format it once, not once per event. */
let lastSentAtMs = Number.NaN
let lastSentAtIso = ''
function isoOnce(ms: number): string {
  if (ms !== lastSentAtMs) {
    lastSentAtIso = isoTime(ms)
    lastSentAtMs = ms
  }
  return lastSentAtIso
}
