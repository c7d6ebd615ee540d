/**
 * EventLimiter: the stage between validation and the sink where quotas, rate
 * limits, de-duplication and overflow decide each event's fate. The pipeline
 * calls decide() once per request (never once per event) and commit() once the
 * kept events are durable, so a failed write never marks a retry as duplicate.
 */
import type { DropCause } from '../observability/metrics.js'
import type { Lane } from '../pipeline/prepare.js'
import type { CaptureEvent } from '../pipeline/validate-event.js'

export type Decision =
  | { readonly keep: true; readonly lane: Lane }
  | { readonly keep: false; readonly cause: DropCause }

export interface LimitRequest {
  readonly events: readonly CaptureEvent[]
  readonly token: string
  readonly historical: boolean
  readonly route: 'events' | 'recordings'
  /** When the request arrived (ctx.now), epoch ms; rate limits and overflow count time from it. */
  readonly nowMs?: number
  /** The batch's sent_at, epoch ms, when the client sent one: de-duplication undoes the skew correction with it. */
  readonly sentAtMs?: number
}

export interface LimitResult {
  /** One decision per event, in order. */
  readonly decisions: readonly Decision[]
  /** Resources over quota, reported to the client as `quota_limited`. */
  readonly quotaLimited: readonly string[]
  /** Called after the kept events are durable (e.g. to commit dedup marks). */
  readonly commit?: () => Promise<void>
}

export interface EventLimiter {
  /** May throw CaptureError('rate_limited') to refuse the whole request. */
  decide(request: LimitRequest): Promise<LimitResult>
  close?(): Promise<void>
}

const KEEP: Decision = { keep: true, lane: 'normal' }

/** No limits: every event is kept in the normal lane. */
export const noLimits: EventLimiter = {
  decide: async ({ events }) => ({ decisions: events.map(() => KEEP), quotaLimited: [] }),
}
