/**
 * captureV1: the Capture V1 pipeline for one request, as stage calls:
 * decode → parse → validate each event → claim uuids + limits → prepare →
 * publish → mark durable → per-event results. The shared stages (limiters,
 * prepareMessage, the sink) are the classic routes'; only decoding, the
 * schema, per-event rules and the reply are V1's own.
 *
 * Invariants:
 * - every event of the request gets exactly one result, in request order;
 * - `ok`/`warning` only for events that are durable now or were already
 *   durable (exactly-once: see limiters/uuid-dedup.ts); events the sink did
 *   not make durable in time answer `retry` (with Retry-After), never `ok`;
 * - whole-request failures are CaptureErrors: the header, body and schema
 *   rules, and 402 billing_limit_exceeded when the token is over its events
 *   quota or nothing is left once scoped quotas have dropped events.
 */
import type { Now } from '../../clock.js'
import type { Config } from '../../config/config.js'
import { CaptureError, isCaptureError } from '../../errors/capture-error.js'
import type { Metrics } from '../../observability/metrics.js'
import type { Decision, EventLimiter, LimitResult, PreparedMessage, Sink } from '../ports.js'
import type { CaptureEvent } from '../validate-event.js'
import { decodeV1Body } from './decode-v1.js'
import type { UuidClaim, UuidDedup } from './exactly-once.js'
import { parseV1Batch, type V1Batch } from './parse-v1.js'
import { publishSettled, type Settlement } from './publish-v1.js'
import { prepareV1Messages, type Pending } from './prepare-v1.js'
import { validateV1Event } from './validate-v1.js'
import type { V1Headers } from './v1-headers.js'
import { V1_RESULTS, type V1Result } from './v1-results.js'

export interface V1PipelineDeps {
  readonly config: Pick<Config, 'limits' | 'topics' | 'v1'>
  readonly sink: Sink
  readonly limiter: EventLimiter
  readonly dedup: UuidDedup
  readonly metrics: Metrics
}

export interface V1Input {
  readonly body: Buffer
  readonly headers: V1Headers
  readonly now: Now
  readonly ip: string
}

export interface V1Outcome {
  /** One per event, in request order. */
  readonly uuids: readonly string[]
  readonly results: readonly V1Result[]
  /** Set when at least one result is `retry`. */
  readonly retryAfterSeconds?: number
}

export async function captureV1(input: V1Input, deps: V1PipelineDeps): Promise<V1Outcome> {
  // The parsed request lives only inside stage(): while the write waits for its fsync it must not
  // stay reachable, or it survives young-generation GCs and is promoted (bench/capture-v1.ts
  // measured GC at a quarter of V1's CPU before this split).
  const staged = await stage(input, deps)
  if (staged.claim === undefined) return finish(staged.uuids, staged.results, undefined, deps)
  try {
    const settlement = await publishSettled(deps.sink, staged.messages, deps.config.v1.publishTimeout)
    const wrote = settle(staged.written, settlement, staged.results, deps)
    await markDurable({ staged, claim: staged.claim, settlement, deps }, wrote)
    return finish(staged.uuids, staged.results, settlement, deps)
  } catch (err) {
    deps.dedup.release(staged.claim)
    throw err
  }
}

/** What a request leaves once its messages are prepared: no parsed event is reachable from it. */
interface Staged {
  readonly uuids: readonly string[]
  readonly results: V1Result[]
  /** Undefined when no event is left to claim (every one was dropped by validation). */
  readonly claim?: UuidClaim
  readonly limits?: LimitResult
  readonly candidateCount: number
  /** One per message, in message order. */
  readonly written: readonly Written[]
  readonly messages: readonly PreparedMessage[]
}

interface Written {
  readonly index: number
  readonly at: number
  readonly warning: boolean
}

/** decode → parse → validate → claim + limits → prepare. */
async function stage(input: V1Input, deps: V1PipelineDeps): Promise<Staged> {
  const text = decodeV1Body(input.body, input.headers.encoding, { maxDecompressedBytes: deps.config.v1.maxDecompressedBytes })
  deps.metrics.payloadBytes.observe({ route: 'events', stage: 'decoded' }, text.length)
  const batch = parseV1Batch(text)
  deps.metrics.eventsReceived.inc({ route: 'events' }, batch.events.length)
  const uuids = batch.events.map((event) => event.uuid)
  const results: V1Result[] = new Array<V1Result>(batch.events.length)
  const candidates = validateAll(batch, input, results)
  if (candidates.length === 0) return { uuids, results, candidateCount: 0, written: [], messages: [] }
  const events = candidates.map((candidate) => candidate.event)
  const [claim, limits] = await Promise.all([
    deps.dedup.claim(input.headers.token, events.map((event) => event.uuid)),
    decide(deps.limiter, events, batch, input),
  ])
  try {
    const pending = applyDecisions(candidates, claim, limits.decisions, results)
    countDuplicates(claim, deps.metrics)
    const prepareCtx = { now: input.now, sentAtMs: input.headers.requestTimestampMs, historical: batch.historical, topics: deps.config.topics }
    const prepared = prepareV1Messages(pending, prepareCtx, deps.config.limits.eventBytes, limits.rateLimited)
    for (const tooBig of prepared.tooBig) results[tooBig.index] = V1_RESULTS.dropEventTooBig
    const written = prepared.pending.map((item) => ({ index: item.index, at: item.at, warning: item.warning === true }))
    return { uuids, results, claim, limits, candidateCount: candidates.length, written, messages: prepared.messages }
  } catch (err) {
    deps.dedup.release(claim)
    throw err
  }
}

interface Candidate {
  readonly index: number
  readonly event: CaptureEvent
  readonly sessionId?: string
  readonly personless: boolean
}

function validateAll(batch: V1Batch, input: V1Input, results: V1Result[]): Candidate[] {
  const ctx = {
    now: input.now, ip: input.ip, token: input.headers.token, lib: input.headers.lib,
    requestTimestampMs: input.headers.requestTimestampMs, captureInternal: batch.captureInternal,
  }
  const candidates: Candidate[] = []
  for (let index = 0; index < batch.events.length; index++) {
    const validated = validateV1Event(batch.events[index]!, ctx)
    if (!validated.ok) results[index] = V1_RESULTS.drop(validated.details)
    else candidates.push({ index, event: validated.event, sessionId: validated.sessionId, personless: validated.personless })
  }
  return candidates
}

const KEEP: Decision = { keep: true, lane: 'normal' }

/**
 * The shared limiters; a rate limit never refuses a V1 request (spec): its events go on as
 * warnings. The composite limiter has already counted the refusal
 * (capture_rate_limited_requests_total, and the events under dropped{cause=rate_limited}, although
 * V1 writes them), and a refused decide() applies no quota drop to this request.
 */
async function decide(limiter: EventLimiter, events: readonly CaptureEvent[], batch: V1Batch, input: V1Input): Promise<LimitResult & { rateLimited: boolean }> {
  const request = { events, token: input.headers.token, historical: batch.historical, route: 'events' as const, nowMs: input.now.ms, sentAtMs: input.headers.requestTimestampMs, exactDedup: true }
  try {
    return { ...(await limiter.decide(request)), rateLimited: false }
  } catch (err) {
    if (!isCaptureError(err) || err.code !== 'rate_limited') throw err
    return { decisions: events.map(() => KEEP), quotaLimited: [], rateLimited: true }
  }
}

/** Claim and limiter decisions → results for what is settled now, and the events left to write. */
function applyDecisions(candidates: readonly Candidate[], claim: UuidClaim, decisions: readonly Decision[], results: V1Result[]): Pending[] {
  const pending: Pending[] = []
  let overEventsQuota = false
  let scopedDrops = 0
  for (let at = 0; at < candidates.length; at++) {
    const candidate = candidates[at]!
    const state = claim.states[at]
    const decision = decisions[at]!
    if (state === 'durable') results[candidate.index] = V1_RESULTS.ok
    else if (state === 'in_flight') results[candidate.index] = V1_RESULTS.retryInFlight
    else if (!decision.keep) {
      const result = V1_RESULTS.forDrop(decision.cause, candidate.event)
      if (result === V1_RESULTS.overQuota.events) overEventsQuota = true
      else if (decision.cause === 'over_quota') scopedDrops++
      results[candidate.index] = result
    } else pending.push({ at, index: candidate.index, event: candidate.event, lane: decision.lane, sessionId: candidate.sessionId, personless: candidate.personless })
  }
  if (overEventsQuota || (scopedDrops > 0 && !results.some(isAccepted) && pending.length === 0)) {
    throw new CaptureError('billing_limit_exceeded')
  }
  return pending
}

/** Events already durable from an earlier attempt: not written again, counted as the classic routes count theirs. */
function countDuplicates(claim: UuidClaim, metrics: Metrics): void {
  let durable = 0
  for (const state of claim.states) if (state === 'durable') durable++
  if (durable > 0) metrics.eventsDropped.inc({ cause: 'duplicate' }, durable)
}

const isAccepted = (result: V1Result | undefined): boolean => result !== undefined && (result.result === 'ok' || result.result === 'warning')

function settle(written: readonly Written[], settlement: Settlement, results: V1Result[], deps: V1PipelineDeps): number {
  let wrote = 0
  for (let position = 0; position < written.length; position++) {
    const item = written[position]!
    if (settlement.durable[position] === true) {
      results[item.index] = item.warning ? V1_RESULTS.personProcessingDisabled : V1_RESULTS.ok
      wrote++
    } else {
      results[item.index] = settlement.refused ? V1_RESULTS.dropRejected : V1_RESULTS.retryNotPersisted
    }
  }
  if (wrote > 0) deps.metrics.eventsIngested.inc({ route: 'events' }, wrote)
  if (wrote < written.length) deps.metrics.eventsDropped.inc({ cause: 'sink_failed' }, written.length - wrote)
  return wrote
}

interface MarkInput {
  readonly staged: Staged
  readonly claim: UuidClaim
  readonly settlement: Settlement
  readonly deps: V1PipelineDeps
}

/**
 * Marks what is durable, then releases the claim. A publish that outlived the
 * deadline keeps its claim (a resend meanwhile answers `retry`, not a second
 * write) and is marked when it settles.
 */
async function markDurable(input: MarkInput, wrote: number): Promise<void> {
  const { staged, claim, deps } = input
  const mark = async (flags: readonly boolean[]): Promise<void> => {
    const durable = new Array<boolean>(staged.candidateCount).fill(false)
    let all = true
    for (let position = 0; position < staged.written.length; position++) {
      if (flags[position] === true) durable[staged.written[position]!.at] = true
      else all = false
    }
    await deps.dedup.commit(claim, durable)
    // Other limiters' commits (the classic dedup is off for V1) cover every kept event: only when all are durable.
    if (all) await staged.limits?.commit?.()
  }
  if (input.settlement.late === undefined) {
    if (wrote > 0) await mark(input.settlement.durable)
    deps.dedup.release(claim)
    return
  }
  void input.settlement.late.then(mark).finally(() => deps.dedup.release(claim))
}

function finish(uuids: readonly string[], results: readonly V1Result[], settlement: Settlement | undefined, deps: V1PipelineDeps): V1Outcome {
  // Counted per kind, not per event: one labelled increment costs a label hash.
  let ok = 0, warning = 0, drop = 0, retry = 0
  for (const result of results) {
    if (result.result === 'ok') ok++
    else if (result.result === 'warning') warning++
    else if (result.result === 'drop') drop++
    else retry++
  }
  if (ok > 0) deps.metrics.v1EventResults.inc({ result: 'ok' }, ok)
  if (warning > 0) deps.metrics.v1EventResults.inc({ result: 'warning' }, warning)
  if (drop > 0) deps.metrics.v1EventResults.inc({ result: 'drop' }, drop)
  if (retry > 0) deps.metrics.v1EventResults.inc({ result: 'retry' }, retry)
  return retry > 0 ? { uuids, results, retryAfterSeconds: settlement?.retryAfterSeconds ?? 1 } : { uuids, results }
}
