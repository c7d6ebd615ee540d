/**
 * prepareV1Messages: the shared prepareMessage (same envelope, topic, key and
 * headers as the classic routes), then the V1 differences (docs/capture-v1.md
 * §Kafka): a `session_id` header when the event has one; events accepted as
 * `warning` (illegal distinct_id, or over a rate limit) carry
 * `force_disable_person_processing=true` and, on the main and overflow
 * topics, no key. Rate-limited events
 * also move to the overflow topic (their lane says so). Messages larger than
 * EVENT_MAX_BYTES are not written: their events answer drop/event_too_big.
 */
import type { Lane, PreparedMessage } from '../ports.js'
import { prepareMessage, type PrepareContext } from '../prepare.js'
import type { CaptureEvent } from '../validate-event.js'

export interface Pending {
  /** Position among the request's candidates (limiter order). */
  readonly at: number
  /** Position in the request's batch. */
  readonly index: number
  readonly event: CaptureEvent
  readonly lane: Lane
  readonly sessionId?: string
  readonly personless: boolean
  /** Set by prepareV1Messages: the event is accepted as `warning`. */
  warning?: boolean
}

export interface PreparedV1 {
  /** The pending events that have a message, in the order of `messages`. */
  readonly pending: readonly Pending[]
  readonly messages: readonly PreparedMessage[]
  readonly tooBig: readonly Pending[]
}

export function prepareV1Messages(pending: readonly Pending[], ctx: PrepareContext, maxBytes: number, rateLimited = false): PreparedV1 {
  const kept: Pending[] = []
  const messages: PreparedMessage[] = []
  const tooBig: Pending[] = []
  for (const item of pending) {
    const lane: Lane = rateLimited ? 'overflow_forced' : item.lane
    const message = adjust(prepareMessage(item.event, lane, ctx), item, rateLimited, ctx)
    const size = message.value.length * 3 > maxBytes ? Buffer.byteLength(message.value) : message.value.length
    if (size > maxBytes) {
      tooBig.push(item)
      continue
    }
    item.warning = item.personless || rateLimited
    kept.push(item)
    messages.push(message)
  }
  return { pending: kept, messages, tooBig }
}

function adjust(message: PreparedMessage, item: Pending, rateLimited: boolean, ctx: PrepareContext): PreparedMessage {
  const personless = item.personless || rateLimited
  if (item.sessionId === undefined && !personless) return message
  const headers: Record<string, string> = { ...message.headers }
  if (item.sessionId !== undefined) headers.session_id = item.sessionId
  if (personless) headers.force_disable_person_processing = 'true'
  // Upstream drops the key on the main and overflow lanes only; historical and own-topic events keep it.
  const lane = !ctx.historical && (message.topic === ctx.topics.main || message.topic === ctx.topics.overflow)
  return { ...message, key: personless && lane ? null : message.key, headers }
}
