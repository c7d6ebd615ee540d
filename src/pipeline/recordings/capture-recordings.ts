/**
 * captureRecordings: the session-recording pipeline for one `/s` or
 * `/capture/recording` request, as a list of stage calls: decode → parse →
 * token → validate → group by session → limit → build `$snapshot_items`
 * messages (split when too large) → publish. Mirrors captureEvents: decoding,
 * token and distinct_id rules are the analytics ones, and everything before
 * `limit` is pure.
 *
 * A request is all or nothing: one invalid event, or one snapshot item too
 * large for any message, refuses the whole request and nothing of it is
 * written — except, for the too-large item, a `$$client_ingestion_warning`
 * event, so the loss is visible to the project. Returns only after the kept
 * messages are durable.
 */
import { CaptureError, isCaptureError } from '../../errors/capture-error.js'
import type { CaptureInput, CaptureOutcome, PipelineDeps } from '../capture-events.js'
import { resolveToken } from '../check-token.js'
import { decodeBody } from '../decode/decode-body.js'
import { parsePayload } from '../parse-payload.js'
import type { Decision, PreparedMessage } from '../ports.js'
import type { RequestContext } from '../request-context.js'
import { parseSentAt } from '../timestamp.js'
import type { CaptureEvent } from '../validate-event.js'
import { eventOfItem, groupSessions, type SessionBatch } from './group-sessions.js'
import { itemTooLargeWarning, type OversizeItem } from './ingestion-warning.js'
import type { ReplayOverflow } from './replay-overflow.js'
import { buildSnapshotMessages } from './snapshot-messages.js'
import { validateRecording, type RecordingEvent } from './validate-recording.js'

/** What the event pipeline needs, plus the sessions sent to the replay overflow topic. */
export interface RecordingDeps extends PipelineDeps {
  readonly replayOverflow: ReplayOverflow
}

export interface RecordingInput extends CaptureInput {
  /** For the `$lib` fallback when the events carry none. */
  readonly userAgent?: string
}

/** Filled in by buildKept while it walks the batches. */
interface Built {
  readonly messages: PreparedMessage[]
  overflowing: number
  events: number
}

type BuildResult = { readonly ok: true; readonly built: Built } | { readonly ok: false; readonly oversize: OversizeItem }

export async function captureRecordings(input: RecordingInput, deps: RecordingDeps): Promise<CaptureOutcome> {
  try {
    return await runRecording(input, deps)
  } catch (err) {
    if (isCaptureError(err)) deps.metrics.recordingRefusals.inc({ cause: err.code })
    throw err
  }
}

async function runRecording(input: RecordingInput, deps: RecordingDeps): Promise<CaptureOutcome> {
  const { ctx } = input
  deps.metrics.recordingBytes.inc({ stage: 'raw' }, input.body.length)
  const text = decodeBody(input.body, input.hints, { maxDecodedBytes: input.maxDecodedBytes ?? deps.config.limits.decodedBytes })
  deps.metrics.recordingBytes.inc({ stage: 'decoded' }, text.length)
  const payload = parsePayload(text)
  if (payload.events.length === 0) throw new CaptureError('empty_batch')
  deps.metrics.eventsReceived.inc({ route: 'recordings' }, payload.events.length)
  const token = resolveToken(payload.events, ctx.headerToken ?? payload.batchToken)
  const groupCtx = { nowMs: ctx.now.ms, requestSentAtMs: parseSentAt(payload.batchSentAt), querySentAtMs: ctx.querySentAtMs, userAgent: input.userAgent }
  const batches = groupSessions(validateAll(payload.events), groupCtx, deps.newUuid)
  const limits = await deps.limiter.decide({
    events: batches.map((batch) => limiterView(batch, token, ctx.ip)),
    token, historical: false, route: 'recordings', nowMs: ctx.now.ms, sentAtMs: batches[0]?.sentAtMs,
  })
  const result = buildKept(batches, limits.decisions, token, ctx, deps)
  if (!result.ok) return refuseOversize(result.oversize, token, ctx, deps)
  if (result.built.messages.length > 0) await publish(result.built, deps)
  else if (limits.quotaLimited.length > 0) deps.metrics.recordingRefusals.inc({ cause: 'over_quota' })
  // The messages are durable: the reply does not wait for the dedup marks (commit never rejects).
  void limits.commit?.()
  return { quotaLimited: limits.quotaLimited }
}

function validateAll(raw: readonly unknown[]): RecordingEvent[] {
  const events: RecordingEvent[] = []
  for (let index = 0; index < raw.length; index++) {
    const result = validateRecording(raw[index], index)
    if (!result.ok) throw new CaptureError(result.code, { detail: result.detail, attr: result.attr })
    events.push(result.event)
  }
  return events
}

/**
 * What the limiters see: one `$snapshot_items` event per session batch (quota
 * resource `recordings`; dedup keys on its uuid and timestamp). `data` is not
 * built yet: limiters decide before anything is serialised.
 */
function limiterView(batch: SessionBatch, token: string, ip: string): CaptureEvent {
  return {
    uuid: batch.uuid, event: '$snapshot_items', distinctId: batch.distinctId, token,
    properties: { $session_id: batch.sessionId, $window_id: batch.windowId },
    timestampMs: batch.timestampMs, cookieless: batch.cookieless, ip, clientUuid: batch.clientUuid, data: '',
  }
}

function buildKept(batches: readonly SessionBatch[], decisions: readonly Decision[], token: string, ctx: RequestContext, deps: RecordingDeps): BuildResult {
  const built: Built = { messages: [], overflowing: 0, events: 0 }
  const { topics, limits } = deps.config
  for (let index = 0; index < batches.length; index++) {
    const batch = batches[index]!
    const decision = decisions[index]
    if (decision === undefined || !decision.keep) {
      if (decision) deps.metrics.eventsDropped.inc({ cause: decision.cause }, batch.sources.length)
      continue
    }
    const overflow = decision.lane !== 'normal' || deps.replayOverflow.isOverflowing(batch.sessionId)
    const topic = overflow ? topics.replayOverflow : topics.replay
    const result = buildGuarded(batch, { token, ip: ctx.ip, now: ctx.now, topic, maxMessageBytes: limits.recordingMessageBytes })
    if (!result.ok) {
      const oversize = { batch, itemIndex: result.itemIndex, itemBytes: result.itemBytes, maxMessageBytes: limits.recordingMessageBytes }
      return { ok: false, oversize: { ...oversize, requestItems: batches.reduce((sum, b) => sum + b.items.length, 0) } }
    }
    for (const message of result.messages) built.messages.push(message)
    if (overflow) built.overflowing += result.messages.length
    built.events += batch.sources.length
  }
  return { ok: true, built }
}

function buildGuarded(batch: SessionBatch, ctx: Parameters<typeof buildSnapshotMessages>[1]): ReturnType<typeof buildSnapshotMessages> {
  try {
    return buildSnapshotMessages(batch, ctx)
  } catch (err) {
    if (!(err instanceof RangeError)) throw err
    throw new CaptureError('event_too_deep', { detail: `session ${batch.sessionId}: a snapshot item is nested too deeply to serialise`, cause: err })
  }
}

/** Writes the warning event, then refuses the request with 413 naming the limit. */
async function refuseOversize(oversize: OversizeItem, token: string, ctx: RequestContext, deps: RecordingDeps): Promise<never> {
  const warning = itemTooLargeWarning(oversize, { token, ip: ctx.ip, now: ctx.now, topics: deps.config.topics }, deps.newUuid)
  await deps.sink.publish([warning])
  const event = eventOfItem(oversize.batch, oversize.itemIndex)
  throw new CaptureError('snapshot_item_too_large', {
    detail:
      `event ${event}: a snapshot item of session ${oversize.batch.sessionId} is ${oversize.itemBytes} bytes once serialised; ` +
      `one recording message may be at most ${oversize.maxMessageBytes} bytes (RECORDING_MESSAGE_MAX_BYTES), so it cannot be split to fit. ` +
      'Nothing of this request was written; a $$client_ingestion_warning event records the loss.',
    attr: `[${event}].properties.$snapshot_data`,
    limit: oversize.maxMessageBytes,
    size: oversize.itemBytes,
  })
}

async function publish(built: Built, deps: RecordingDeps): Promise<void> {
  const stop = deps.metrics.sinkWriteDuration.startTimer({ sink: deps.sink.kind })
  await deps.sink.publish(built.messages)
  stop()
  const total = built.messages.length
  deps.metrics.eventsIngested.inc({ route: 'recordings' }, built.events)
  deps.metrics.recordingChunks.observe(total)
  if (total > built.overflowing) deps.metrics.recordingMessages.inc({ lane: 'main' }, total - built.overflowing)
  if (built.overflowing > 0) deps.metrics.recordingMessages.inc({ lane: 'overflow' }, built.overflowing)
}
