/**
 * Bounded steady load for fault tests: a few closed-loop clients per capture
 * instance, each posting small /batch requests (unique uuid per event) with a
 * pause between them, and a record of every request (when it started, how long
 * it took, its status, its uuids), so a test can check what was acknowledged
 * and measure the latency clients saw in any time window.
 *
 * Closed loop: a client waits for its reply before the next request, so a
 * stall shows as long requests and fewer of them, never as an unbounded pile.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { anEvent, postJson, TOKEN } from './http-client.js'

export interface RequestRecord {
  /** Index of the instance (URL) it went to. */
  readonly instance: number
  readonly startedMs: number
  readonly endedMs: number
  /** HTTP status; 0 when the connection failed. */
  readonly status: number
  readonly uuids: readonly string[]
}

export interface SteadyLoad {
  readonly records: readonly RequestRecord[]
  /** uuids of every event in a request answered 200. */
  acknowledged(): Set<string>
  stop(): Promise<void>
}

export interface LoadOptions {
  readonly clientsPerInstance: number
  readonly eventsPerRequest: number
  readonly pauseMs: number
  /** Distinct ids per client: the events' keys, so several partitions get traffic. */
  readonly keysPerClient: number
}

export function startSteadyLoad(urls: readonly string[], options: LoadOptions): SteadyLoad {
  const records: RequestRecord[] = []
  let running = true
  const client = async (instance: number, c: number): Promise<void> => {
    for (let n = 0; running; n++) {
      const events = Array.from({ length: options.eventsPerRequest }, (_, i) =>
        anEvent({ distinct_id: `load-${instance}-${c}-${(n + i) % options.keysPerClient}`, properties: { n, i } }))
      const startedMs = Date.now()
      let status = 0
      try {
        status = (await postJson(urls[instance]!, '/batch', { api_key: TOKEN, batch: events })).status
      } catch {
        status = 0
      }
      records.push({ instance, startedMs, endedMs: Date.now(), status, uuids: events.map((e) => e.uuid) })
      await sleep(options.pauseMs)
    }
  }
  const loops = urls.flatMap((_, instance) => Array.from({ length: options.clientsPerInstance }, (_, c) => client(instance, c)))
  return {
    records,
    acknowledged: () => new Set(records.filter((r) => r.status === 200).flatMap((r) => r.uuids)),
    stop: async () => {
      running = false
      await Promise.all(loops)
    },
  }
}

export interface WindowStats {
  readonly requests: number
  readonly events: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  /** Replies by status other than 200 (0 = connection failed). */
  readonly refused: Readonly<Record<number, number>>
  readonly serverErrors: number
  /** Longest time without any 200 reply completing, inside the window. */
  readonly longestGapMs: number
}

/** Latency of the requests started in [fromMs, toMs). */
export function windowStats(records: readonly RequestRecord[], fromMs: number, toMs: number): WindowStats {
  const inWindow = records.filter((r) => r.startedMs >= fromMs && r.startedMs < toMs)
  const took = inWindow.map((r) => r.endedMs - r.startedMs).sort((a, b) => a - b)
  const refused: Record<number, number> = {}
  for (const r of inWindow) if (r.status !== 200) refused[r.status] = (refused[r.status] ?? 0) + 1
  return {
    requests: inWindow.length,
    events: inWindow.reduce((sum, r) => sum + r.uuids.length, 0),
    p50Ms: quantile(took, 0.5),
    p99Ms: quantile(took, 0.99),
    maxMs: took.at(-1) ?? 0,
    refused,
    serverErrors: inWindow.filter((r) => r.status >= 500 || r.status === 0).length,
    longestGapMs: longestGap(records, fromMs, toMs),
  }
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
}

/** Longest stretch of [fromMs, toMs) in which no request completed with 200. */
function longestGap(records: readonly RequestRecord[], fromMs: number, toMs: number): number {
  const ends = records.filter((r) => r.status === 200 && r.endedMs >= fromMs && r.endedMs < toMs).map((r) => r.endedMs).sort((a, b) => a - b)
  let previous = fromMs
  let longest = 0
  for (const end of [...ends, toMs]) {
    longest = Math.max(longest, end - previous)
    previous = end
  }
  return longest
}
