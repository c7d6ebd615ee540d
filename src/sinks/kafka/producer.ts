/**
 * Producer: what the Kafka sink needs from a librdkafka producer instance,
 * whichever engine drives it (batch-producer.ts, capture's own addon that takes
 * a request's messages in one call; binding-producer.ts, the general-purpose
 * binding, one call and one report per message).
 *
 * Contract for send(): messages are enqueued in order and enqueueing stops at
 * the first refusal; every message gets exactly one verdict on the tracker
 * (delivered, failed, or not enqueued), and the hooks hear the same verdicts
 * in counts, for metrics and broker reachability.
 */
import type { DeliveryErrorCause } from '../../observability/metrics.js'
import type { PreparedMessage } from '../../pipeline/ports.js'
import type { Millis } from '../../units.js'
import { deliveryErrorCause, publishError, RD } from './delivery-errors.js'
import type { PublishTracker } from './publish-tracker.js'
import type { RdConfig, RdKafkaError } from './rdkafka-module.js'

export interface ProducerHooks {
  /** `count` messages were acknowledged by Kafka. */
  delivered(count: number): void
  /** `count` messages failed (or were never enqueued) for `cause`. */
  failed(cause: DeliveryErrorCause, count: number): void
  /** librdkafka's statistics document (every statistics.interval.ms). */
  stats(json: string): void
  /** A client-level error (broker down, fatal idempotence failure, ...). */
  error(err: RdKafkaError): void
}

export interface Producer {
  /** Which engine this is, for the startup log line. */
  readonly engine: ProducerEngine
  send(messages: readonly PreparedMessage[], tracker: PublishTracker): void
  /**
   * Fails now what librdkafka still holds for Kafka (queued, and with
   * `inflight` also sent but unanswered), so those publishes settle as
   * undelivered at once instead of after message.timeout.ms. Only the batch
   * engine can; the binding has no purge and waits the timeout out.
   */
  purge(inflight: boolean): void
  /** Waits until nothing is left to deliver, at most `timeoutMs`; true when it got there. */
  flush(timeoutMs: Millis): Promise<boolean>
  /** Stops without waiting for deliveries (callers flush first); never throws. */
  close(): Promise<void>
}

export type ProducerEngine = 'batch' | 'binding'

export interface ProducerOptions {
  readonly settings: RdConfig
  readonly connectTimeoutMs: Millis
  /** For the 413 detail when librdkafka refuses a message as too large. */
  readonly messageMaxBytes: number
}

/** Connects (bounded by connectTimeoutMs) and returns a producer, or rejects. */
export type OpenProducer = (options: ProducerOptions, hooks: ProducerHooks) => Promise<Producer>

/** Records that messages[index] (and every one after it) could not be enqueued. */
export function refuseFrom(
  messages: readonly PreparedMessage[], index: number, err: RdKafkaError,
  tracker: PublishTracker, hooks: ProducerHooks, messageMaxBytes: number,
): void {
  const cause = deliveryErrorCause(err)
  hooks.failed(cause, messages.length - index)
  const message = messages[index]!
  const size = { limit: messageMaxBytes, size: Buffer.byteLength(message.value) + Buffer.byteLength(message.key ?? '') }
  tracker.notEnqueued(index, cause, cause === 'message_too_large' ? publishError(cause, err, size) : err)
}

/** An RdKafkaError from a librdkafka code and its text. */
export function kafkaError(code: number, message: string, isFatal = false): RdKafkaError {
  return Object.assign(new Error(message), { code, isFatal: isFatal || code === RD.FATAL })
}
