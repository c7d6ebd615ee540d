/**
 * The load generator, run by bench/run.ts as a child process (IPC channel) so
 * it never shares the server's event loop. It receives one LoadJob, runs
 * autocannon for the warm-up (results discarded), tells the parent the
 * measured phase is starting, runs it and sends back the figures.
 *
 * One autocannon instance in this process's main thread, pipelining off: on a
 * 2-core machine the generator competes with the server for CPU, so it is kept
 * as light as autocannon allows; its own CPU use is reported next to the result.
 */
import autocannon from 'autocannon'

export interface LoadJob {
  readonly url: string
  readonly connections: number
  readonly warmupSeconds: number
  readonly durationSeconds: number
  /** Replace `[<id>]` in each body with a fresh id per request (autocannon idReplacement). */
  readonly idReplacement?: boolean
  readonly requests: readonly { method: string; path: string; headers: Record<string, string>; bodyBase64: string }[]
}

export interface LoadResult {
  readonly seconds: number
  readonly ok2xx: number
  readonly non2xx: number
  readonly errors: number
  readonly timeouts: number
  readonly statusCodes: Record<string, number>
  readonly latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number }
  /** Responses counted during warm-up (for the durable-lines check). */
  readonly warmup2xx: number
  /** CPU this generator used during the measured phase, in cores. */
  readonly generatorCpuCores: number
}

export type LoadMessage =
  | { readonly type: 'measuring' }
  | { readonly type: 'result'; readonly result: LoadResult }
  | { readonly type: 'error'; readonly message: string }

function send(message: LoadMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()))
}

async function run(job: LoadJob): Promise<LoadResult> {
  const requests = job.requests.map((r) => ({ method: r.method, path: r.path, headers: r.headers, body: Buffer.from(r.bodyBase64, 'base64') }))
  const base = { url: job.url, connections: job.connections, pipelining: 1, timeout: 10, idReplacement: job.idReplacement ?? false, requests }
  const warmup = await autocannon({ ...base, duration: job.warmupSeconds })
  await send({ type: 'measuring' })
  const cpuBefore = process.cpuUsage()
  const measured = await autocannon({ ...base, duration: job.durationSeconds })
  const cpu = process.cpuUsage(cpuBefore)
  const statusCodes: Record<string, number> = {}
  for (const [code, stats] of Object.entries(measured.statusCodeStats)) statusCodes[code] = stats.count
  return {
    seconds: measured.duration,
    ok2xx: measured['2xx'],
    non2xx: measured.non2xx,
    errors: measured.errors,
    timeouts: measured.timeouts,
    statusCodes,
    latencyMs: { p50: measured.latency.p50, p90: measured.latency.p90, p99: measured.latency.p99, max: measured.latency.max, mean: measured.latency.mean },
    warmup2xx: warmup['2xx'],
    generatorCpuCores: Math.round(((cpu.user + cpu.system) / 1e6 / measured.duration) * 100) / 100,
  }
}

process.once('message', (job: LoadJob) => {
  run(job).then(
    async (result) => {
      await send({ type: 'result', result })
      process.exit(0)
    },
    async (err: unknown) => {
      await send({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) })
      process.exit(1)
    },
  )
})
