/**
 * Every metric capture exports, declared in one place. Label values come from
 * the closed unions below so a typo cannot mint a new series.
 *
 * Each process owns one registry; with several workers the primary aggregates
 * them for /metrics (see cluster-metrics.ts).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { CaptureCode } from '../errors/codes.js'

export type RouteKind = 'events' | 'recordings'
export type DropCause =
  | 'performance_event'
  | 'token_dropper'
  | 'over_quota'
  | 'duplicate'
  | 'rate_limited'
  | 'request_rejected'
  | 'sink_failed'
export type PayloadStage = 'raw' | 'decoded'
/** A Capture V1 per-event result (capture_v1_event_results_total). */
export type V1ResultKind = 'ok' | 'warning' | 'drop' | 'retry'
/** Why a request was refused before routing (http/client-errors.ts). */
export type MalformedReason =
  | 'invalid_header'
  | 'header_overflow'
  | 'too_many_headers'
  | 'missing_host'
  | 'invalid_chunk'
  | 'invalid_framing'
  | 'invalid_target'
  | 'invalid_request_line'
  | 'invalid_version'
  | 'http2_preface'
  | 'unsupported_expect'
  | 'head_timeout'
  | 'other'
/** Why Kafka did not acknowledge a message (capture_kafka_delivery_errors_total). */
export type DeliveryErrorCause = 'timeout' | 'queue_full' | 'broker_unreachable' | 'message_too_large' | 'not_connected' | 'fatal' | 'shutdown' | 'other'
/** Why a recording request wrote nothing: its error code, or the quota that dropped it. */
export type RecordingRefusalCause = CaptureCode | 'over_quota'
export type RecordingLane = 'main' | 'overflow'
/** Limiters (see docs/limits.md); each fails open on store errors. */
export type LimiterName = 'quota' | 'rate_limit' | 'dedup' | 'dedup_commit' | 'replay_overflow'
export type RateLimitName = 'token' | 'distinct_id'
export type OverflowReason = 'hot_key' | 'forced'
export type QuotaResource = 'events' | 'recordings' | 'exceptions' | 'surveys' | 'llm_events'
export type StoreName = 'redis' | 'memory' | 'primary'
export type StoreOp = 'has' | 'set' | 'take' | 'members'

const SIZE_BUCKETS = [256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216]
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry()
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry })
  const registers = [registry]
  return {
    registry,
    eventsReceived: new Counter({ name: 'capture_events_received_total', help: 'Events decoded from requests, before validation and limits.', labelNames: ['route'] as const, registers }),
    eventsIngested: new Counter({ name: 'capture_events_ingested_total', help: 'Events written durably to the sink.', labelNames: ['route'] as const, registers }),
    eventsDropped: new Counter({ name: 'capture_events_dropped_total', help: 'Events not written, by cause.', labelNames: ['cause'] as const, registers }),
    v1EventResults: new Counter({ name: 'capture_v1_event_results_total', help: 'Capture V1 per-event results, by result.', labelNames: ['result'] as const, registers }),
    requests: new Counter({ name: 'capture_http_requests_total', help: 'HTTP requests answered, by route and status.', labelNames: ['route', 'method', 'status'] as const, registers }),
    malformedRequests: new Counter({ name: 'capture_http_malformed_requests_total', help: 'Requests refused before routing because they are not valid HTTP/1.1, by reason.', labelNames: ['reason'] as const, registers }),
    requestErrors: new Counter({ name: 'capture_http_request_errors_total', help: 'Error replies, by catalogue code.', labelNames: ['code'] as const, registers }),
    requestDuration: new Histogram({ name: 'capture_http_request_duration_seconds', help: 'Time from the request head to the reply.', labelNames: ['route'] as const, buckets: LATENCY_BUCKETS, registers }),
    payloadBytes: new Histogram({ name: 'capture_payload_bytes', help: 'Request payload sizes: raw body and decoded text.', labelNames: ['route', 'stage'] as const, buckets: SIZE_BUCKETS, registers }),
    sinkWriteDuration: new Histogram({ name: 'capture_sink_write_duration_seconds', help: 'Time for one publish to become durable.', labelNames: ['sink'] as const, buckets: LATENCY_BUCKETS, registers }),
    localLogBytes: new Counter({ name: 'capture_local_log_bytes_written_total', help: 'Bytes appended to the local log.', registers }),
    localLogFsyncDuration: new Histogram({ name: 'capture_local_log_fsync_duration_seconds', help: 'Duration of one group commit (write + fsync).', buckets: LATENCY_BUCKETS, registers }),
    localLogBatchMessages: new Histogram({ name: 'capture_local_log_group_commit_messages', help: 'Messages made durable by one fsync.', buckets: [1, 5, 10, 50, 100, 500, 1000, 5000], registers }),
    inflightRequests: new Gauge({ name: 'capture_http_inflight_requests', help: 'Requests being handled now.', registers }),
    recordingBytes: new Counter({ name: 'capture_recording_received_bytes_total', help: 'Bytes of recording requests: raw body and decoded text.', labelNames: ['stage'] as const, registers }),
    recordingMessages: new Counter({ name: 'capture_recording_messages_total', help: '$snapshot_items messages written durably, by lane.', labelNames: ['lane'] as const, registers }),
    recordingChunks: new Histogram({ name: 'capture_recording_chunks_per_request', help: 'Messages one recording request was written as (more than 1 when split or when it holds several sessions).', buckets: [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64], registers }),
    recordingRefusals: new Counter({ name: 'capture_recording_refusals_total', help: 'Recording requests that wrote nothing, by cause.', labelNames: ['cause'] as const, registers }),
    limiterFailOpen: new Counter({ name: 'capture_limiter_fail_open_total', help: 'Store calls that failed, so the limiter let events through (fail open).', labelNames: ['limiter'] as const, registers }),
    rateLimitedRequests: new Counter({ name: 'capture_rate_limited_requests_total', help: 'Requests refused with 429, by the limit that refused them.', labelNames: ['limit'] as const, registers }),
    overflowRerouted: new Counter({ name: 'capture_events_rerouted_overflow_total', help: 'Events sent to the overflow topic, by reason.', labelNames: ['reason'] as const, registers }),
    quotaLimitedTokens: new Gauge({ name: 'capture_quota_limited_tokens', help: 'Tokens over quota in the last refreshed billing set, by resource.', labelNames: ['resource'] as const, registers }),
    storeOpDuration: new Histogram({ name: 'capture_store_op_duration_seconds', help: 'Time for one store call (one round trip), by store and operation.', labelNames: ['store', 'op'] as const, buckets: LATENCY_BUCKETS, registers }),
    storeConnected: new Gauge({ name: 'capture_store_connected', help: '1 while the limiter store answers, 0 while limiters fail open.', labelNames: ['store'] as const, registers }),
    storeEvictions: new Counter({ name: 'capture_store_evictions_total', help: 'Marks or buckets evicted because the memory store was full (MEMORY_STORE_MAX_KEYS).', labelNames: ['store'] as const, registers }),
    // Kafka mode: delivery and the spool (docs/kafka.md). Spool gauges describe the shared
    // spool directory, so every worker reports the same value: aggregated with max, not sum.
    kafkaDeliveryErrors: new Counter({ name: 'capture_kafka_delivery_errors_total', help: 'Messages Kafka did not acknowledge, by cause (each then went to the spool, or the request failed).', labelNames: ['cause'] as const, registers }),
    kafkaReachable: new Gauge({ name: 'capture_kafka_reachable', help: '1 while at least one broker connection is up, else 0.', aggregator: 'min', registers }),
    spoolWritten: new Counter({ name: 'capture_spool_written_total', help: 'Messages written to the local spool because Kafka could not take them (or the spool was draining).', registers }),
    spoolDrained: new Counter({ name: 'capture_spool_drained_total', help: 'Spooled messages forwarded to Kafka and acknowledged.', registers }),
    spoolBytes: new Gauge({ name: 'capture_spool_bytes', help: 'Bytes in the spool not yet forwarded to Kafka.', aggregator: 'max', registers }),
    spoolOldestAge: new Gauge({ name: 'capture_spool_oldest_age_seconds', help: 'Age of the oldest message not yet forwarded from the spool (0 when empty).', aggregator: 'max', registers }),
  }
}

export type Metrics = ReturnType<typeof createMetrics>
