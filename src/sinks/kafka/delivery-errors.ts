/**
 * What a librdkafka error means for a publish: retryable (the spool takes the
 * request), too large (413, never spooled: it would fail again), or fatal
 * (the producer instance is unusable; also retryable for the request).
 *
 * The cause names are the label values of
 * capture_kafka_delivery_errors_total{cause}.
 */
import { CaptureError } from '../../errors/capture-error.js'
import type { DeliveryErrorCause } from '../../observability/metrics.js'
import type { RdKafkaError } from './rdkafka-module.js'

/** librdkafka error codes capture distinguishes (rdkafka.h; negative = local). */
export const RD = {
  MSG_SIZE_TOO_LARGE: 10,
  RECORD_LIST_TOO_LARGE: 18,
  TRANSPORT: -195,
  MSG_TIMED_OUT: -192,
  ALL_BROKERS_DOWN: -187,
  QUEUE_FULL: -184,
  STATE: -172,
  PURGE_QUEUE: -152,
  PURGE_INFLIGHT: -151,
  FATAL: -150,
} as const

export function deliveryErrorCause(err: Pick<RdKafkaError, 'code' | 'isFatal'>): DeliveryErrorCause {
  if (err.isFatal === true || err.code === RD.FATAL) return 'fatal'
  switch (err.code) {
    case RD.MSG_SIZE_TOO_LARGE:
    case RD.RECORD_LIST_TOO_LARGE:
      return 'message_too_large'
    case RD.MSG_TIMED_OUT:
      return 'timeout'
    case RD.QUEUE_FULL:
      return 'queue_full'
    case RD.TRANSPORT:
    case RD.ALL_BROKERS_DOWN:
      return 'broker_unreachable'
    case RD.STATE:
    case RD.PURGE_QUEUE:
    case RD.PURGE_INFLIGHT:
      return 'not_connected'
    default:
      return 'other'
  }
}

/** The CaptureError a failed publish rejects with. */
export function publishError(cause: DeliveryErrorCause, err: unknown, size?: { limit: number; size: number }): CaptureError {
  if (cause === 'message_too_large') {
    return new CaptureError('message_too_large', {
      detail: size === undefined
        ? 'A message is larger than Kafka accepts (the topic\'s max.message.bytes).'
        : `A message is ${size.size} bytes; Kafka accepts at most ${size.limit} bytes (KAFKA_PRODUCER_MESSAGE_MAX_BYTES).`,
      ...(size ?? {}),
      cause: err,
    })
  }
  const reason = err instanceof Error ? err.message : String(err)
  return new CaptureError('sink_unavailable', { detail: `Kafka did not take the events (${cause}: ${reason}); try again later.`, cause: err })
}
