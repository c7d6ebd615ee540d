/**
 * captureEvents: the analytics pipeline for one request, as a list of stage
 * calls: decode → parse → token → validate → limit → prepare → publish.
 * Everything before `limit` is pure; a CaptureError from any stage becomes the
 * reply. Returns only after the kept events are durable.
 */
import { CaptureError } from '../errors/capture-error.js'
import type { Config } from '../config/config.js'
import type { EventLimiter } from './ports.js'
import type { Metrics } from '../observability/metrics.js'
import type { PreparedMessage, Sink } from './ports.js'
import { decodeBody, type BodyHints } from './decode/decode-body.js'
import { parsePayload } from './parse-payload.js'
import { resolveToken } from './check-token.js'
import { parseSentAt } from './timestamp.js'
import { prepareMessage, type PrepareContext } from './prepare.js'
import { validateEvent, type CaptureEvent, type EventContext, type Validated } from './validate-event.js'
import type { RequestContext } from './request-context.js'
import { utf8LengthAgainst } from './utf8-length.js'

export interface PipelineDeps {
  readonly config: Pick<Config, 'limits' | 'topics'>
  readonly sink: Sink
  readonly limiter: EventLimiter
  readonly metrics: Metrics
  readonly newUuid: () => string
}

export interface CaptureInput {
  readonly body: Buffer
  readonly hints: BodyHints
  readonly ctx: RequestContext
  /** The route's cap on the decoded payload; DECODED_BODY_MAX_BYTES when absent. */
  readonly maxDecodedBytes?: number
}

export interface CaptureOutcome {
  readonly quotaLimited: readonly string[]
}

const FILTERED_EVENTS = new Set(['$performance_event'])

export async function captureEvents(input: CaptureInput, deps: PipelineDeps): Promise<CaptureOutcome> {
  // Held in a variable we clear below: while the write waits for its fsync, the
  // parsed request must not stay reachable, or it survives young-generation GCs
  // and gets promoted (the bench's largest cost over the floor).
  let request: ReadRequest | undefined = readEvents(input, deps)
  if (request === undefined) return { quotaLimited: [] }
  const { events, token, sentAtMs, historical } = request
  const limits = await deps.limiter.decide({ events, token, historical, route: 'events', nowMs: input.ctx.now.ms, sentAtMs })
  const prepareCtx: PrepareContext = { now: input.ctx.now, sentAtMs, historical, topics: deps.config.topics }
  const written = publish(prepareKept(request.events, limits.decisions, prepareCtx, deps), deps)
  request = undefined
  await written
  // The events are durable: the reply does not wait for the dedup marks (commit never rejects).
  void limits.commit?.()
  return { quotaLimited: limits.quotaLimited }
}

interface ReadRequest {
  readonly events: CaptureEvent[]
  readonly token: string
  readonly sentAtMs?: number
  readonly historical: boolean
}

/** decode → parse → token → validate; undefined when nothing is left to write. */
function readEvents(input: CaptureInput, deps: PipelineDeps): ReadRequest | undefined {
  const text = decodeBody(input.body, input.hints, { maxDecodedBytes: input.maxDecodedBytes ?? deps.config.limits.decodedBytes })
  deps.metrics.payloadBytes.observe({ route: 'events', stage: 'decoded' }, text.length)
  const payload = parsePayload(text)
  if (payload.events.length === 0) throw new CaptureError('empty_batch')
  deps.metrics.eventsReceived.inc({ route: 'events' }, payload.events.length)
  const token = resolveToken(payload.events, input.ctx.headerToken ?? payload.batchToken)
  const sentAtMs = parseSentAt(payload.batchSentAt) ?? input.ctx.querySentAtMs
  const events = validateAll(payload.events, { ...input.ctx, token, sentAtMs }, deps)
  return events.length === 0 ? undefined : { events, token, sentAtMs, historical: payload.historicalMigration }
}

/** Validates every event; the first invalid one rejects the whole request (upstream: all or nothing). */
function validateAll(raw: readonly unknown[], ctx: EventContext, deps: PipelineDeps): CaptureEvent[] {
  const events: CaptureEvent[] = []
  let filtered = 0
  for (let index = 0; index < raw.length; index++) {
    const item = raw[index]
    if (isFiltered(item)) {
      filtered++
      continue
    }
    const result = validateGuarded(item, index, ctx, deps.newUuid)
    if (!result.ok) throw new CaptureError(result.code, { detail: result.detail, attr: result.attr })
    events.push(result.event)
  }
  if (filtered > 0) deps.metrics.eventsDropped.inc({ cause: 'performance_event' }, filtered)
  return events
}

function isFiltered(item: unknown): boolean {
  return item !== null && typeof item === 'object' && FILTERED_EVENTS.has((item as { event?: unknown }).event as string)
}

function validateGuarded(item: unknown, index: number, ctx: EventContext, newUuid: () => string): Validated {
  try {
    return validateEvent(item, index, ctx, newUuid)
  } catch (err) {
    if (!(err instanceof RangeError)) throw err
    return { ok: false, index, code: 'event_too_deep', attr: `[${index}]`, detail: `event ${index}: nested too deeply to serialise` }
  }
}

function prepareKept(events: readonly CaptureEvent[], decisions: LimitDecisions, ctx: PrepareContext, deps: PipelineDeps): PreparedMessage[] {
  const messages: PreparedMessage[] = []
  const maxBytes = deps.config.limits.eventBytes
  for (let index = 0; index < events.length; index++) {
    const decision = decisions[index]
    if (decision === undefined || !decision.keep) {
      if (decision) deps.metrics.eventsDropped.inc({ cause: decision.cause })
      continue
    }
    const message = prepareMessage(events[index]!, decision.lane, ctx)
    const size = utf8LengthAgainst(message.value, maxBytes)
    if (size > maxBytes) {
      throw new CaptureError('event_too_large', {
        detail: `event ${index} is ${size} bytes once serialised; the limit is ${maxBytes} bytes (EVENT_MAX_BYTES).`,
        attr: `[${index}]`, limit: maxBytes, size,
      })
    }
    messages.push(message)
  }
  return messages
}

type LimitDecisions = Awaited<ReturnType<EventLimiter['decide']>>['decisions']

/** Hands the messages to the sink (which encodes them at once) and counts them when durable. */
function publish(messages: readonly PreparedMessage[], deps: PipelineDeps): Promise<void> {
  const count = messages.length
  if (count === 0) return Promise.resolve()
  const stop = deps.metrics.sinkWriteDuration.startTimer({ sink: deps.sink.kind })
  return deps.sink.publish(messages).then(() => {
    stop()
    deps.metrics.eventsIngested.inc({ route: 'events' }, count)
  })
}
