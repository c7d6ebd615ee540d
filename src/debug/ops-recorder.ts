/**
 * The operations page's history: a ring of cluster-wide samples, one per
 * tick (2 s), for the last ten minutes. Each tick gets every worker's
 * cumulative sample (ops-sample.ts); the recorder keeps the previous one per
 * worker and turns the differences into per-second rates, so a restarted
 * worker (its counters back at zero) never shows as a negative rate.
 *
 * Memory: `capacity` samples of a few hundred bytes each, whatever the traffic.
 */
import type { WorkerSample } from './ops-sample.js'

export interface OpsPoint {
  readonly t: number
  readonly received: number
  readonly ingested: number
  readonly requests: number
  /** Per second, by cause / code / limiter. */
  readonly dropped: Readonly<Record<string, number>>
  readonly refused: Readonly<Record<string, number>>
  readonly failOpen: Readonly<Record<string, number>>
  readonly limiter: { readonly quota: number; readonly rate: number; readonly overflow: number; readonly dedup: number }
  /** Capture routes' latency over the interval, ms; null when no request finished. */
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number } | null
  readonly spool: { readonly bytes: number; readonly writtenPerS: number; readonly drainedPerS: number }
  /** null in local-log mode. */
  readonly kafkaReachable: number | null
  readonly storeConnected: number | null
  readonly storeBreakerOpen: number
  readonly inflight: number
}

export interface WorkerStatus {
  readonly worker: number
  readonly pid: number
  readonly upSeconds: number
  readonly answered: boolean
  readonly status: WorkerSample['status'] | null
}

export interface OpsSnapshot {
  readonly intervalMs: number
  readonly windowMs: number
  readonly sink: 'local' | 'kafka'
  readonly now: number
  readonly points: readonly OpsPoint[]
  readonly workers: readonly WorkerStatus[]
}

interface Previous {
  readonly at: number
  readonly sample: WorkerSample
}

export class OpsRecorder {
  private readonly points: OpsPoint[] = []
  private readonly previous = new Map<number, Previous>()
  private workers: WorkerStatus[] = []

  constructor(private readonly options: { intervalMs: number; capacity: number; sink: 'local' | 'kafka' }) {}

  /** One tick: the samples that answered, and the workers known to exist that did not. */
  add(at: number, samples: readonly WorkerSample[], silent: readonly { worker: number; pid: number }[] = []): void {
    const deltas = samples.map((sample) => this.delta(at, sample))
    const seconds = Math.max(0.001, Math.max(...deltas.map((d) => d.seconds), this.options.intervalMs / 1000))
    if (deltas.some((d) => d.hasPrevious)) this.push(point(at, samples, deltas, seconds, this.options.sink))
    this.workers = [
      ...samples.map((s) => ({ worker: s.worker, pid: s.pid, upSeconds: Math.round((at - s.startedAt) / 1000), answered: true, status: s.status })),
      ...silent.map((s) => ({ worker: s.worker, pid: s.pid, upSeconds: 0, answered: false, status: null })),
    ].sort((a, b) => a.worker - b.worker)
  }

  snapshot(now: number): OpsSnapshot {
    const { intervalMs, capacity, sink } = this.options
    return { intervalMs, windowMs: intervalMs * capacity, sink, now, points: [...this.points], workers: this.workers }
  }

  private push(p: OpsPoint): void {
    this.points.push(p)
    if (this.points.length > this.options.capacity) this.points.shift()
  }

  private delta(at: number, sample: WorkerSample): Delta {
    const key = sample.pid
    const before = this.previous.get(key)
    this.previous.set(key, { at, sample })
    if (before === undefined) return { counters: {}, latency: [], latencyCount: 0, seconds: 0, hasPrevious: false }
    const counters: Record<string, number> = {}
    for (const [name, value] of Object.entries(sample.counters)) counters[name] = increase(before.sample.counters[name] ?? 0, value)
    const oldLatency = new Map(before.sample.latency)
    const latency = sample.latency.map(([bound, n]) => [bound, increase(oldLatency.get(bound) ?? 0, n)] as const)
    const latencyCount = increase(before.sample.latencyCount, sample.latencyCount)
    return { counters, latency, latencyCount, seconds: (at - before.at) / 1000, hasPrevious: true }
  }
}

interface Delta {
  readonly counters: Readonly<Record<string, number>>
  readonly latency: readonly (readonly [number, number])[]
  readonly latencyCount: number
  readonly seconds: number
  readonly hasPrevious: boolean
}

function point(at: number, samples: readonly WorkerSample[], deltas: readonly Delta[], seconds: number, sink: 'local' | 'kafka'): OpsPoint {
  const total: Record<string, number> = {}
  for (const d of deltas) for (const [name, n] of Object.entries(d.counters)) total[name] = (total[name] ?? 0) + n
  const rate = (name: string): number => round((total[name] ?? 0) / seconds)
  const family = (prefix: string): Record<string, number> => {
    const out: Record<string, number> = {}
    for (const name of Object.keys(total)) if (name.startsWith(`${prefix}.`) && total[name]! > 0) out[name.slice(prefix.length + 1)] = rate(name)
    return out
  }
  const connected = samples.map((s) => s.gauges.storeConnected).filter((v): v is number => v !== undefined)
  return {
    t: at,
    received: rate('received'),
    ingested: rate('ingested'),
    requests: rate('requests'),
    dropped: family('dropped'),
    refused: family('refused'),
    failOpen: family('fail_open'),
    limiter: { quota: rate('dropped.over_quota'), rate: rate('rate_limited_requests'), overflow: rate('overflow_rerouted'), dedup: rate('dropped.duplicate') },
    latencyMs: percentiles([...sumBuckets(deltas.map((d) => d.latency)), [Infinity, deltas.reduce((n, d) => n + d.latencyCount, 0)]]),
    spool: { bytes: Math.max(0, ...samples.map((s) => s.gauges.spoolBytes)), writtenPerS: rate('spool_written'), drainedPerS: rate('spool_drained') },
    kafkaReachable: sink === 'kafka' ? Math.min(...samples.map((s) => s.gauges.kafkaReachable)) : null,
    storeConnected: connected.length === 0 ? null : Math.min(...connected),
    storeBreakerOpen: Math.max(0, ...samples.map((s) => s.gauges.storeBreakerOpen)),
    inflight: samples.reduce((n, s) => n + s.gauges.inflight, 0),
  }
}

function sumBuckets(lists: readonly (readonly (readonly [number, number])[])[]): [number, number][] {
  const byBound = new Map<number, number>()
  for (const list of lists) for (const [bound, n] of list) byBound.set(bound, (byBound.get(bound) ?? 0) + n)
  return [...byBound].sort((a, b) => a[0] - b[0])
}

/** Quantiles from cumulative buckets, interpolated linearly inside the bucket (as Prometheus' histogram_quantile). */
export function percentiles(buckets: readonly (readonly [number, number])[]): OpsPoint['latencyMs'] {
  const total = buckets.at(-1)?.[1] ?? 0
  if (total === 0) return null
  const quantile = (q: number): number => {
    const rank = q * total
    let lower = 0
    let below = 0
    for (const [bound, cumulative] of buckets) {
      if (cumulative >= rank) {
        if (bound === Infinity) return lower * 1000
        const share = cumulative === below ? 0 : (rank - below) / (cumulative - below)
        return round((lower + (bound - lower) * share) * 1000)
      }
      lower = bound
      below = cumulative
    }
    return lower * 1000
  }
  return { p50: quantile(0.5), p90: quantile(0.9), p99: quantile(0.99) }
}

/** A counter's growth; one that went down was reset (its process restarted), so all of it is new. */
const increase = (before: number, now: number): number => (now >= before ? now - before : now)

const round = (n: number): number => Math.round(n * 100) / 100
