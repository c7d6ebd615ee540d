/**
 * The ports of the capture core: what the pipeline drives and the adapters
 * implement. Sinks (local log, Kafka, the spool) implement Sink; the limiters
 * implement EventLimiter. Declared here, beside their consumer, so the
 * pipeline imports nothing that does I/O and the adapters depend on the core,
 * never the other way round.
 */
import type { HealthComponent, HealthReport } from '../observability/health.js'
import type { DropCause } from '../observability/metrics.js'
import type { CaptureEvent } from './validate-event.js'

/** One message, serialised once by the pipeline and never re-encoded. */
export interface PreparedMessage {
  readonly topic: string
  /** null = no key (random partition), as upstream does for overflow. */
  readonly key: string | null
  readonly headers: Readonly<Record<string, string>>
  /** The envelope as JSON text. */
  readonly value: string
}

/**
 * Where prepared messages go. A publish resolves only once every message is
 * durable (fsync'd to the local log, or acknowledged by Kafka with acks=all),
 * and rejects with a CaptureError (503 sink_unavailable, 413
 * message_too_large) when any of them is not. The HTTP reply is sent after
 * publish resolves, so a 200 always means durable.
 */
export interface Sink {
  readonly kind: 'local' | 'kafka'
  publish(messages: readonly PreparedMessage[]): Promise<void>
  /** Whether writes can land now. Must not do I/O. */
  health(): HealthReport
  /**
   * The components this sink reports to the health registry: always `sink`
   * (health() above, gating readiness), plus any of its own parts worth
   * showing separately. The composition root registers what it is given.
   */
  healthComponents(): readonly HealthComponent[]
  /** Flush what is buffered and release resources; idempotent. */
  close(): Promise<void>
}

/** What the limiters decided for an event that is kept. */
export type Lane = 'normal' | 'overflow' | 'overflow_forced'

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
  /** Skip the classic de-duplication: Capture V1 de-duplicates exactly on (token, uuid) itself. */
  readonly exactDedup?: boolean
}

export interface LimitResult {
  /** One decision per event, in order. */
  readonly decisions: readonly Decision[]
  /** Resources over quota, reported to the client as `quota_limited`. */
  readonly quotaLimited: readonly string[]
  /** Called after the kept events are durable (e.g. to commit dedup marks); never rejects, and the reply does not wait for it. */
  readonly commit?: () => Promise<void>
}

/**
 * The stage between validation and the sink where quotas, rate limits,
 * de-duplication and overflow decide each event's fate. The pipeline calls
 * decide() once per request (never once per event) and commit() once the
 * kept events are durable, so a failed write never marks a retry as duplicate.
 */
export interface EventLimiter {
  /** May throw CaptureError('rate_limited') to refuse the whole request. */
  decide(request: LimitRequest): Promise<LimitResult>
  close?(): Promise<void>
}
