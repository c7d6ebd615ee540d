/**
 * Capture V1 against /batch on the same events, and what V1's exactly-once
 * costs. The events are the `gzip100` workload's (posthog-node, 100 events of
 * ~1.3 KB per request, gzip); the V1 bodies carry the same events as
 * posthog-node's V1 mode sends them (`created_at`, `batch`, `$lib` moved to
 * PostHog-Sdk-Info, the PostHog-* headers).
 *
 *   npx tsx bench/capture-v1.ts [--duration 10] [--warmup 2] [--rounds 2] [--connections 50]
 *                               [--workers 1] [--pool 1000] [--modes batch,v1,v1-memory,v1-redis,batch-redis]
 *                               [--profile DIR] [--no-build] [--no-save]
 *
 * Modes: `batch` and `v1` run with DEDUP_ENABLED=false (nothing but the route
 * differs); `v1-memory` / `v1-redis` turn de-duplication on (V1's (token, uuid)
 * marks plus the classic marks, in memory or in Redis); `batch-redis` is the
 * classic de-duplication alone, for reference. Every request of the pool is
 * distinct, and DEDUP_TTL_SECONDS=1 makes a mark expire before its request
 * comes round again (the pool lasts longer than a second at these rates), so
 * the dedup modes do their full work — a check and a commit per request — and
 * write every event; a cell that counted any duplicate or fail-open is
 * reported invalid. Rounds alternate the order of the modes; medians are
 * reported. Reuses servers.ts and workloads.ts; the load runs in this process
 * (see runLoad), so its CPU is not in the capture figures but shares the machine.
 */
import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync, gzipSync } from 'node:zlib'
import autocannon from 'autocannon'
import { TreeSampler } from './proc-stats.js'
import { saveRun } from './save-run.js'
import { ensureCaptureBuild, freePort, startServer } from './servers.js'
import { buildWorkloads, type BenchRequest } from './workloads.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const MODES = ['batch', 'v1', 'v1-memory', 'v1-redis', 'batch-redis'] as const
type Mode = (typeof MODES)[number]
const EVENTS_PER_REQUEST = 100

interface Options {
  duration: number
  warmup: number
  rounds: number
  connections: number
  workers: number
  pool: number
  modes: Mode[]
  build: boolean
  save: boolean
  /** --cpu-prof every server process into DIR/<mode>-<round>/ (read with bench/profile-top.ts). */
  profile?: string
}

interface Cell {
  readonly mode: Mode
  readonly round: number
  readonly eventsPerSecond: number
  readonly captureCores: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly non2xx: number
  readonly duplicates: number
  readonly failOpens: number
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { duration: 10, warmup: 2, rounds: 2, connections: 50, workers: 1, pool: 1000, modes: [...MODES], build: true, save: true }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!
    const next = (): string => argv[++i] ?? (() => { throw new Error(`${flag} needs a value`) })()
    if (flag === '--duration') options.duration = Number(next())
    else if (flag === '--warmup') options.warmup = Number(next())
    else if (flag === '--rounds') options.rounds = Number(next())
    else if (flag === '--connections') options.connections = Number(next())
    else if (flag === '--workers') options.workers = Number(next())
    else if (flag === '--pool') options.pool = Number(next())
    else if (flag === '--modes') options.modes = next().split(',') as Mode[]
    else if (flag === '--profile') options.profile = next()
    else if (flag === '--no-build') options.build = false
    else if (flag === '--no-save') options.save = false
    else throw new Error(`unknown flag ${flag}`)
  }
  return options
}

interface NodeBatch {
  readonly api_key: string
  readonly sent_at: string
  readonly batch: readonly Record<string, unknown>[]
}

/** The gzip100 pool, and the same events as V1 requests. */
function pools(size: number): { batch: BenchRequest[]; v1: BenchRequest[] } {
  const gzip100 = buildWorkloads({ poolSize: size }).find((w) => w.name === 'gzip100')
  if (gzip100 === undefined) throw new Error('bench/workloads.ts has no gzip100 workload')
  const v1 = gzip100.requests.map((request) => {
    const body = JSON.parse(gunzipSync(request.body).toString('utf8')) as NodeBatch
    const batch = body.batch.map((event) => {
      const { $lib: _lib, $lib_version: _version, ...properties } = event.properties as Record<string, unknown>
      return { event: event.event, uuid: event.uuid, distinct_id: event.distinct_id, timestamp: event.timestamp, options: {}, properties }
    })
    const headers = {
      authorization: `Bearer ${body.api_key}`, 'content-type': 'application/json', 'content-encoding': 'gzip', accept: '*/*',
      'posthog-sdk-info': 'posthog-node/5.70.0', 'user-agent': 'posthog-node/5.70.0', 'posthog-attempt': '1',
      'posthog-request-id': randomUUID(), 'posthog-request-timestamp': body.sent_at,
    }
    return { method: 'POST' as const, path: '/i/v1/analytics/events', headers, body: gzipSync(JSON.stringify({ created_at: body.sent_at, batch })) }
  })
  return { batch: [...gzip100.requests], v1 }
}

/**
 * autocannon in this process (the orchestrator is idle while a cell runs). A
 * connection walks its own stripe of the pool — request k of connection c is
 * pool[(c + k × connections) mod pool] — so a body comes round again only
 * after the whole pool was sent; autocannon's own `requests` list would start
 * every connection at the same body, and the de-duplication modes would then
 * measure duplicates instead of writes.
 */
async function runLoad(url: string, pool: readonly BenchRequest[], options: Options, onMeasuring: () => void): Promise<LoadSummary> {
  let nextConnection = 0
  const setupRequest = (req: Record<string, unknown>, context: { connection?: number; sent?: number }): Record<string, unknown> => {
    context.connection ??= nextConnection++
    const sent = context.sent ?? 0
    context.sent = sent + 1
    const request = pool[(context.connection + sent * options.connections) % pool.length]!
    return { ...req, method: request.method, path: request.path, headers: { ...request.headers }, body: request.body }
  }
  const base = { url, connections: options.connections, pipelining: 1, timeout: 10, requests: [{ setupRequest }] } as unknown as Parameters<typeof autocannon>[0]
  await autocannon({ ...base, duration: options.warmup })
  onMeasuring()
  const measured = await autocannon({ ...base, duration: options.duration })
  return { seconds: measured.duration, ok2xx: measured['2xx'], failed: measured.non2xx + measured.errors, p50Ms: measured.latency.p50, p99Ms: measured.latency.p99 }
}

interface LoadSummary {
  readonly seconds: number
  readonly ok2xx: number
  readonly failed: number
  readonly p50Ms: number
  readonly p99Ms: number
}

async function metricSum(port: number, prefix: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  let sum = 0
  for (const line of text.split('\n')) if (line.startsWith(prefix)) sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0
  return sum
}

function modeEnv(mode: Mode, redisUrl: string): Record<string, string> {
  const redis = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `bench:v1:${process.pid}:${Date.now()}:` }
  switch (mode) {
    case 'batch':
    case 'v1':
      return { DEDUP_ENABLED: 'false', ...redis }
    case 'v1-memory':
      return { DEDUP_ENABLED: 'true', DEDUP_TTL_SECONDS: '1' }
    case 'v1-redis':
    case 'batch-redis':
      return { DEDUP_ENABLED: 'true', DEDUP_TTL_SECONDS: '1', ...redis }
  }
}

async function measure(mode: Mode, round: number, options: Options, requests: readonly BenchRequest[], redisUrl: string, tmp: string): Promise<Cell> {
  const dataDir = mkdtempSync(join(tmp, `${mode}-`))
  const server = await startServer({
    kind: 'capture', script: join(ROOT, 'dist', 'main.js'), workers: options.workers, port: await freePort(),
    env: modeEnv(mode, redisUrl), dataDir, logFile: join(tmp, `${mode}-${round}.log`), cwd: ROOT,
    cpuProfileDir: options.profile === undefined ? undefined : join(resolve(options.profile), `${mode}-${round}`),
  })
  try {
    const sampler = new TreeSampler(server.pid)
    const load = await runLoad(`http://127.0.0.1:${server.port}`, requests, options, () => sampler.start())
    const stats = sampler.stop()
    const cell: Cell = {
      mode, round,
      eventsPerSecond: Math.round((load.ok2xx * EVENTS_PER_REQUEST) / load.seconds),
      captureCores: stats.cpuCores,
      p50Ms: load.p50Ms,
      p99Ms: load.p99Ms,
      non2xx: load.failed,
      duplicates: await metricSum(server.port, 'capture_events_dropped_total{cause="duplicate"}'),
      failOpens: await metricSum(server.port, 'capture_limiter_fail_open_total'),
    }
    process.stderr.write(`  ${mode} round ${round}: ${cell.eventsPerSecond} events/s, ${cell.captureCores} cores, p50 ${cell.p50Ms} ms, p99 ${cell.p99Ms} ms, non-2xx ${cell.non2xx}, duplicates ${cell.duplicates}, fail-opens ${cell.failOpens}\n`)
    return cell
  } finally {
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2)
}

function report(cells: readonly Cell[], options: Options): string {
  const lines = [
    `# Capture V1 vs /batch, and the cost of exactly-once (${new Date().toISOString()}, ${os.hostname()}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end)`,
    '',
    `Same events (gzip100: posthog-node, 100 events/request, gzip). WORKERS=${options.workers}, ${options.connections} connections, ${options.warmup} s warm-up + ${options.duration} s measured, ${options.rounds} rounds (order alternated), medians; pool of ${options.pool} distinct requests.`,
    'events/CPU-s = events/s ÷ capture CPU (cores): the cost per event, steadier than events/s on a shared machine. "vs" compares with `batch` for `v1`, with `v1` for the V1 dedup modes and with `batch` for `batch-redis`.',
    '',
    '| mode | events/s | rounds | capture cores | events/CPU-s | vs | p50 ms | p99 ms | valid |',
    '|---|---:|---|---:|---:|---:|---:|---:|---|',
  ]
  const perCpu = (c: Cell): number => Math.round(c.eventsPerSecond / Math.max(0.01, c.captureCores))
  const base: Record<Mode, Mode | undefined> = { batch: undefined, v1: 'batch', 'v1-memory': 'v1', 'v1-redis': 'v1', 'batch-redis': 'batch' }
  const of = (mode: Mode): Cell[] => cells.filter((c) => c.mode === mode)
  for (const mode of options.modes) {
    const mine = of(mode)
    if (mine.length === 0) continue
    const baseMode = base[mode]
    const baseCells = baseMode === undefined ? [] : of(baseMode)
    const vs = baseCells.length === 0 ? '-' : `${Math.round((median(mine.map(perCpu)) / median(baseCells.map(perCpu))) * 1000) / 10}% of ${baseMode}`
    const valid = mine.every((c) => c.non2xx === 0 && c.duplicates === 0 && c.failOpens === 0)
    lines.push(
      `| ${mode} | ${median(mine.map((c) => c.eventsPerSecond))} | ${mine.map((c) => c.eventsPerSecond).join(', ')} | ${median(mine.map((c) => Math.round(c.captureCores * 100))) / 100} | ` +
        `${median(mine.map(perCpu))} | ${vs} | ${median(mine.map((c) => c.p50Ms))} | ${median(mine.map((c) => c.p99Ms))} | ${valid ? 'yes' : 'NO (errors, duplicates or fail-opens)'} |`,
    )
  }
  return lines.join('\n') + '\n'
}

async function ownRedis(tmp: string): Promise<{ url: string; stop(): void }> {
  const dir = join(tmp, 'redis')
  const url = execFileSync(join(ROOT, 'scripts', 'redis-up.sh'), [dir, String(await freePort())], { encoding: 'utf8' }).trim().split('\n').pop()!
  return { url, stop: () => void execFileSync(join(ROOT, 'scripts', 'redis-down.sh'), [dir], { stdio: 'inherit' }) }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2))
  if (options.build) ensureCaptureBuild(ROOT, false)
  const tmp = mkdtempSync(join(os.tmpdir(), 'capture-bench-v1-'))
  const redis = process.env.REDIS_URL ? { url: process.env.REDIS_URL, stop: () => {} } : await ownRedis(tmp)
  const requests = pools(options.pool)
  const cells: Cell[] = []
  try {
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? options.modes : [...options.modes].reverse()
      for (const mode of order) cells.push(await measure(mode, round, options, mode.startsWith('v1') ? requests.v1 : requests.batch, redis.url, tmp))
    }
  } finally {
    redis.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
  const text = report(cells, options)
  process.stdout.write(text)
  if (options.save) saveRun('capture-v1', text, { options, cells })
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
