/**
 * One process's contribution to the operations page: cumulative counters,
 * the capture routes' latency histogram, a few gauges and the process's own
 * status, read from the same metric handles /metrics exports. The recorder
 * (ops-recorder.ts) turns successive samples of every worker into rates.
 *
 * Cost: a handful of in-memory reads every sampling interval (2 s); nothing
 * on the request path.
 */
import { performance } from 'node:perf_hooks'
import type { HealthRegistry, HealthReport, Lifecycle } from '../observability/health.js'
import type { Metrics } from '../observability/metrics.js'

export interface WorkerSample {
  readonly worker: number
  readonly pid: number
  readonly startedAt: number
  /** Cumulative since the process started: received, ingested, dropped.<cause>, refused.<code>, … */
  readonly counters: Readonly<Record<string, number>>
  /**
   * Cumulative request-duration buckets of the capture routes: [upper bound in seconds, count],
   * ascending, finite bounds only (Infinity does not survive the JSON of IPC); the +Inf bucket is
   * the `requests` counter's share of timed requests, `latencyCount`.
   */
  readonly latency: readonly (readonly [number, number])[]
  readonly latencyCount: number
  readonly gauges: {
    readonly spoolBytes: number
    readonly kafkaReachable: number
    /** min over stores, undefined when no store reported yet */
    readonly storeConnected: number | undefined
    readonly storeBreakerOpen: number
    readonly inflight: number
  }
  readonly status: {
    readonly rssBytes: number
    readonly heapUsedBytes: number
    /** Share of the last interval the event loop was busy, 0–1. */
    readonly eventLoopUtilization: number
    readonly lifecycle: Lifecycle
    readonly health: Readonly<Record<string, HealthReport>>
  }
}

/** Paths of the route table that are not capture traffic: their latency and counts stay out of the charts. */
const NOT_CAPTURE = new Set(['/', '/_readiness', '/_liveness', '/health', '/metrics', '/flags', '/decide', 'unknown'])
const isCaptureRoute = (name: string): boolean => !NOT_CAPTURE.has(name) && !name.startsWith('/_debug')

type Values = Awaited<ReturnType<Metrics['eventsReceived']['get']>>['values']
type HistogramValues = Awaited<ReturnType<Metrics['requestDuration']['get']>>['values']

export function createWorkerSampler(deps: { metrics: Metrics; health: HealthRegistry }, identity: { worker: number }): () => Promise<WorkerSample> {
  const startedAt = Date.now() - Math.round(process.uptime() * 1000)
  let lastElu = performance.eventLoopUtilization()
  return async () => {
    const elu = performance.eventLoopUtilization(lastElu)
    lastElu = performance.eventLoopUtilization()
    const memory = process.memoryUsage()
    const snapshot = deps.health.snapshot()
    return {
      worker: identity.worker,
      pid: process.pid,
      startedAt,
      counters: await readCounters(deps.metrics),
      ...latencyBuckets((await deps.metrics.requestDuration.get()).values),
      gauges: await readGauges(deps.metrics),
      status: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, eventLoopUtilization: elu.utilization, lifecycle: snapshot.lifecycle, health: snapshot.components },
    }
  }
}

async function readCounters(metrics: Metrics): Promise<Record<string, number>> {
  const counters: Record<string, number> = {}
  const add = (key: string, value: number): void => void (counters[key] = (counters[key] ?? 0) + value)
  const sum = (values: Values, prefix: string, label?: string): void => {
    for (const v of values) add(label === undefined ? prefix : `${prefix}.${String(v.labels[label])}`, v.value)
  }
  sum((await metrics.eventsReceived.get()).values, 'received')
  sum((await metrics.eventsIngested.get()).values, 'ingested')
  sum((await metrics.eventsDropped.get()).values, 'dropped', 'cause')
  sum((await metrics.requestErrors.get()).values, 'refused', 'code')
  sum((await metrics.limiterFailOpen.get()).values, 'fail_open', 'limiter')
  sum((await metrics.rateLimitedRequests.get()).values, 'rate_limited_requests')
  sum((await metrics.overflowRerouted.get()).values, 'overflow_rerouted')
  sum((await metrics.spoolWritten.get()).values, 'spool_written')
  sum((await metrics.spoolDrained.get()).values, 'spool_drained')
  for (const v of (await metrics.requests.get()).values) if (isCaptureRoute(String(v.labels.route))) add('requests', v.value)
  return counters
}

async function readGauges(metrics: Metrics): Promise<WorkerSample['gauges']> {
  const first = (values: Values): number => values[0]?.value ?? 0
  const connected = (await metrics.storeConnected.get()).values.map((v) => v.value)
  return {
    spoolBytes: first((await metrics.spoolBytes.get()).values),
    kafkaReachable: first((await metrics.kafkaReachable.get()).values),
    storeConnected: connected.length === 0 ? undefined : Math.min(...connected),
    storeBreakerOpen: Math.max(0, ...(await metrics.storeBreakerOpen.get()).values.map((v) => v.value)),
    inflight: first((await metrics.inflightRequests.get()).values),
  }
}

/** prom-client's per-route cumulative buckets, summed over the capture routes. */
function latencyBuckets(values: HistogramValues): { latency: [number, number][]; latencyCount: number } {
  const byBound = new Map<number, number>()
  let latencyCount = 0
  for (const v of values) {
    if (v.metricName?.endsWith('_bucket') !== true || !isCaptureRoute(String(v.labels.route))) continue
    if (v.labels.le === '+Inf') latencyCount += v.value
    else byBound.set(Number(v.labels.le), (byBound.get(Number(v.labels.le)) ?? 0) + v.value)
  }
  return { latency: [...byBound].sort((a, b) => a[0] - b[0]), latencyCount }
}
