/**
 * Every metric capture exports, declared in one place through the typed
 * builder (metric-builder.ts): label values come from the closed unions
 * below, so a typo does not compile, and every gauge says how the values of
 * several workers merge.
 *
 * Each process owns one registry; with several workers the primary merges
 * them for /metrics (cluster-metrics.ts). Kafka-mode metrics are registered
 * only in Kafka mode. docs/operations.md lists every metric with its labels;
 * metrics.test.ts keeps the two in step.
 */
import { Registry, collectDefaultMetrics } from 'prom-client'
import type { CaptureCode } from '../errors/codes.js'
import { MetricBuilder, type MetricSpec, type SinkMode } from './metric-builder.js'

export type RouteKind = 'events' | 'recordings'
export type DropCause =
  | 'performance_event'
  | 'token_dropper'
  | 'over_quota'
  | 'duplicate'
  | 'rate_limited'
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
/** Why log retention deleted a segment (LOG_RETENTION_BYTES / LOG_RETENTION_HOURS). */
export type RetentionReason = 'size' | 'age'
export type QuotaResource = 'events' | 'recordings' | 'exceptions' | 'surveys' | 'llm_events'
export type StoreName = 'redis' | 'memory' | 'primary'
export type StoreOp = 'has' | 'set' | 'take' | 'members'
/**
 * Labels drawn from the route table, which lives above this module: `route` is
 * a path of the table (or `unknown`) on the HTTP metrics and a route kind on
 * capture_payload_bytes; `method` is one node:http accepts (it refuses others
 * before a handler runs).
 */
type HttpLabels = { route: string; method: string; status: number }

const SIZE_BUCKETS = [256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216]
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export interface MetricsOptions {
  /** Node's process metrics (process_*, nodejs_*); default on. */
  readonly defaultMetrics?: boolean
  /** The sink this process runs: metrics of the other mode are not exported. Default: export all. */
  readonly sink?: SinkMode
}

export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry()
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry })
  const m = new MetricBuilder(registry, options.sink)
  return {
    registry,
    /** What this registry exports, for docs/operations.md's check. */
    specs: m.specs as readonly MetricSpec[],
    eventsReceived: m.labelledCounter<{ route: RouteKind }>({ name: 'capture_events_received_total', help: 'Events decoded from requests, before validation and limits.', labels: ['route'] }),
    eventsIngested: m.labelledCounter<{ route: RouteKind }>({ name: 'capture_events_ingested_total', help: 'Events written durably to the sink.', labels: ['route'] }),
    eventsDropped: m.labelledCounter<{ cause: DropCause }>({ name: 'capture_events_dropped_total', help: 'Events not written, by cause.', labels: ['cause'] }),
    v1EventResults: m.labelledCounter<{ result: V1ResultKind }>({ name: 'capture_v1_event_results_total', help: 'Capture V1 per-event results, by result.', labels: ['result'] }),
    requests: m.labelledCounter<HttpLabels>({ name: 'capture_http_requests_total', help: 'HTTP requests answered, by route and status.', labels: ['route', 'method', 'status'] }),
    malformedRequests: m.labelledCounter<{ reason: MalformedReason }>({ name: 'capture_http_malformed_requests_total', help: 'Requests refused before routing because they are not valid HTTP/1.1, by reason.', labels: ['reason'] }),
    requestErrors: m.labelledCounter<{ code: CaptureCode }>({ name: 'capture_http_request_errors_total', help: 'Error replies, by catalogue code.', labels: ['code'] }),
    requestDuration: m.labelledHistogram<{ route: string }>({ name: 'capture_http_request_duration_seconds', help: 'Time from the request head to the reply.', labels: ['route'], buckets: LATENCY_BUCKETS }),
    payloadBytes: m.labelledHistogram<{ route: string; stage: PayloadStage }>({ name: 'capture_payload_bytes', help: 'Request payload sizes: raw body and decoded text.', labels: ['route', 'stage'], buckets: SIZE_BUCKETS }),
    sinkWriteDuration: m.labelledHistogram<{ sink: SinkMode }>({ name: 'capture_sink_write_duration_seconds', help: 'Time for one publish to become durable.', labels: ['sink'], buckets: LATENCY_BUCKETS }),
    localLogBytes: m.counter({ name: 'capture_local_log_bytes_written_total', help: 'Bytes appended to the local log.' }),
    localLogFsyncDuration: m.histogram({ name: 'capture_local_log_fsync_duration_seconds', help: 'Duration of one group commit (write + fsync).', buckets: LATENCY_BUCKETS }),
    // Disk: every process writing DATA_DIR sees the same directory and file system.
    dataDirBytes: m.gauge({ name: 'capture_data_dir_bytes', help: 'Bytes of log segments in DATA_DIR (the local log, or the spool in Kafka mode) after the last retention pass.', aggregation: 'max' }),
    diskFreeBytes: m.gauge({ name: 'capture_disk_free_bytes', help: 'Bytes available to capture on the file system holding DATA_DIR, at the last retention pass.', aggregation: 'min' }),
    logSegmentsDeleted: m.labelledCounter<{ reason: RetentionReason }>({ name: 'capture_log_segments_deleted_total', help: 'Log segments deleted by retention, by the limit that deleted them.', labels: ['reason'] }),
    localLogBatchMessages: m.histogram({ name: 'capture_local_log_group_commit_messages', help: 'Messages made durable by one fsync.', buckets: [1, 5, 10, 50, 100, 500, 1000, 5000] }),
    inflightRequests: m.gauge({ name: 'capture_http_inflight_requests', help: 'Requests being handled now.', aggregation: 'sum' }),
    recordingBytes: m.labelledCounter<{ stage: PayloadStage }>({ name: 'capture_recording_received_bytes_total', help: 'Bytes of recording requests: raw body and decoded text.', labels: ['stage'] }),
    recordingMessages: m.labelledCounter<{ lane: RecordingLane }>({ name: 'capture_recording_messages_total', help: '$snapshot_items messages written durably, by lane.', labels: ['lane'] }),
    recordingChunks: m.histogram({ name: 'capture_recording_chunks_per_request', help: 'Messages one recording request was written as (more than 1 when split or when it holds several sessions).', buckets: [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64] }),
    recordingRefusals: m.labelledCounter<{ cause: RecordingRefusalCause }>({ name: 'capture_recording_refusals_total', help: 'Recording requests that wrote nothing, by cause.', labels: ['cause'] }),
    limiterFailOpen: m.labelledCounter<{ limiter: LimiterName }>({ name: 'capture_limiter_fail_open_total', help: 'Store calls that failed, so the limiter let events through (fail open).', labels: ['limiter'] }),
    rateLimitedRequests: m.labelledCounter<{ limit: RateLimitName }>({ name: 'capture_rate_limited_requests_total', help: 'Requests refused with 429, by the limit that refused them.', labels: ['limit'] }),
    overflowRerouted: m.labelledCounter<{ reason: OverflowReason }>({ name: 'capture_events_rerouted_overflow_total', help: 'Events sent to the overflow topic, by reason.', labels: ['reason'] }),
    // Every worker polls the same billing set: the workers' values agree, so max, not sum.
    quotaLimitedTokens: m.labelledGauge<{ resource: QuotaResource }>({ name: 'capture_quota_limited_tokens', help: 'Tokens over quota in the last refreshed billing set, by resource.', labels: ['resource'], aggregation: 'max' }),
    storeOpDuration: m.labelledHistogram<{ store: StoreName; op: StoreOp }>({ name: 'capture_store_op_duration_seconds', help: 'Time for one store call (one round trip), by store and operation.', labels: ['store', 'op'], buckets: LATENCY_BUCKETS }),
    // A 0/1 flag per worker: min, so one worker whose store is down shows as 0.
    storeConnected: m.labelledGauge<{ store: StoreName }>({ name: 'capture_store_connected', help: '1 while the limiter store answers (every worker), 0 while limiters fail open.', labels: ['store'], aggregation: 'min' }),
    // 1 while any worker's breaker refuses store calls: max.
    storeBreakerOpen: m.labelledGauge<{ store: StoreName }>({ name: 'capture_store_breaker_open', help: '1 while the store circuit breaker is open (limiters fail open without calling the store), else 0.', labels: ['store'], aggregation: 'max' }),
    storeEvictions: m.labelledCounter<{ store: StoreName }>({ name: 'capture_store_evictions_total', help: 'Marks or buckets evicted because the memory store was full (MEMORY_STORE_MAX_KEYS).', labels: ['store'] }),
    // Kafka mode: delivery and the spool (docs/kafka.md). Spool gauges describe the shared
    // spool directory, so every worker reports the same value: max, not sum.
    kafkaDeliveryErrors: m.labelledCounter<{ cause: DeliveryErrorCause }>({ name: 'capture_kafka_delivery_errors_total', help: 'Messages Kafka did not acknowledge, by cause (each then went to the spool, or the request failed).', labels: ['cause'], mode: 'kafka' }),
    kafkaReachable: m.gauge({ name: 'capture_kafka_reachable', help: '1 while at least one broker connection is up (every worker), else 0.', aggregation: 'min', mode: 'kafka' }),
    spoolWritten: m.counter({ name: 'capture_spool_written_total', help: 'Messages written to the local spool because Kafka could not take them (or the spool was draining).', mode: 'kafka' }),
    spoolDrained: m.counter({ name: 'capture_spool_drained_total', help: 'Spooled messages forwarded to Kafka and acknowledged.', mode: 'kafka' }),
    spoolBytes: m.gauge({ name: 'capture_spool_bytes', help: 'Bytes in the spool not yet forwarded to Kafka.', aggregation: 'max', mode: 'kafka' }),
    spoolOldestAge: m.gauge({ name: 'capture_spool_oldest_age_seconds', help: 'Age of the oldest message not yet forwarded from the spool (0 when empty).', aggregation: 'max', mode: 'kafka' }),
  }
}

export type Metrics = ReturnType<typeof createMetrics>
