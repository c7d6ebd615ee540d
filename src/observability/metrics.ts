/**
 * Every metric capture exports, declared in one place. Label values come from
 * the closed unions below so a typo cannot mint a new series.
 *
 * Each process owns one registry; with several workers the primary aggregates
 * them for /metrics (see http/metrics-endpoint.ts).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

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
    requests: new Counter({ name: 'capture_http_requests_total', help: 'HTTP requests answered, by route and status.', labelNames: ['route', 'method', 'status'] as const, registers }),
    requestErrors: new Counter({ name: 'capture_http_request_errors_total', help: 'Error replies, by catalogue code.', labelNames: ['code'] as const, registers }),
    requestDuration: new Histogram({ name: 'capture_http_request_duration_seconds', help: 'Time from the request head to the reply.', labelNames: ['route'] as const, buckets: LATENCY_BUCKETS, registers }),
    payloadBytes: new Histogram({ name: 'capture_payload_bytes', help: 'Request payload sizes: raw body and decoded text.', labelNames: ['route', 'stage'] as const, buckets: SIZE_BUCKETS, registers }),
    sinkWriteDuration: new Histogram({ name: 'capture_sink_write_duration_seconds', help: 'Time for one publish to become durable.', labelNames: ['sink'] as const, buckets: LATENCY_BUCKETS, registers }),
    localLogBytes: new Counter({ name: 'capture_local_log_bytes_written_total', help: 'Bytes appended to the local log.', registers }),
    localLogFsyncDuration: new Histogram({ name: 'capture_local_log_fsync_duration_seconds', help: 'Duration of one group commit (write + fsync).', buckets: LATENCY_BUCKETS, registers }),
    localLogBatchMessages: new Histogram({ name: 'capture_local_log_group_commit_messages', help: 'Messages made durable by one fsync.', buckets: [1, 5, 10, 50, 100, 500, 1000, 5000], registers }),
    inflightRequests: new Gauge({ name: 'capture_http_inflight_requests', help: 'Requests being handled now.', registers }),
  }
}

export type Metrics = ReturnType<typeof createMetrics>
