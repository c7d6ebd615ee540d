/**
 * Sink: where prepared messages go. A publish resolves only once every message
 * is durable (fsync'd to the local log, or acknowledged by Kafka with acks=all),
 * and rejects with a CaptureError (503 sink_unavailable, 413 message_too_large)
 * when any of them is not. The HTTP reply is sent after publish resolves, so a
 * 200 always means durable.
 */
import type { HealthReport } from '../observability/health.js'

/** One message, serialised once by the pipeline and never re-encoded. */
export interface PreparedMessage {
  readonly topic: string
  /** null = no key (random partition), as upstream does for overflow. */
  readonly key: string | null
  readonly headers: Readonly<Record<string, string>>
  /** The envelope as JSON text. */
  readonly value: string
}

export interface Sink {
  readonly kind: 'local' | 'kafka'
  publish(messages: readonly PreparedMessage[]): Promise<void>
  /** Current health, read by /_readiness and /health. Must not do I/O. */
  health(): HealthReport
  /** Flush what is buffered and release resources; idempotent. */
  close(): Promise<void>
}
