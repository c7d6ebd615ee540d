/**
 * What de-duplication costs: events/s with DEDUP_ENABLED=true (marks in Redis)
 * against DEDUP_ENABLED=false, same workload, same run, capture otherwise
 * identical (both with REDIS_URL, so the quota refresh runs in both). Every
 * event is unique (a fresh id in each distinct_id, filled in by the load
 * generator), so de-duplication does its full work — one check and one commit
 * per request — and drops nothing.
 *
 *   npx tsx bench/limits-dedup.ts [--duration 10] [--warmup 2] [--rounds 2] [--connections 50]
 *                                 [--workers 1] [--workloads json5,json100] [--modes off,redis[,memory]]
 *                                 [--no-build] [--no-save]
 *
 * Rounds alternate the order of the modes (off→on, then on→off) so drift on a
 * shared machine does not favour one; the median of the rounds is reported.
 * Uses REDIS_URL when set, otherwise starts its own redis-server through
 * scripts/redis-up.sh (and stops it). Reuses the HTTP bench's server start/stop
 * (servers.ts), load generator (load.ts) and request pools (workloads.ts).
 * A cell whose capture counted any fail-open or duplicate is reported as
 * invalid: its "on" figure would not have paid for de-duplication.
 */
import { execFileSync, fork } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LoadJob, LoadMessage, LoadResult } from './load.js'
import { cpuTicks, TreeSampler } from './proc-stats.js'
import { saveRun } from './save-run.js'
import { ensureCaptureBuild, freePort, startServer } from './servers.js'
import { buildWorkloads, type BenchRequest } from './workloads.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

type Mode = 'off' | 'redis' | 'memory'
interface Options {
  duration: number
  warmup: number
  rounds: number
  connections: number
  workers: number
  workloads: string[]
  modes: Mode[]
  build: boolean
  save: boolean
}

interface BenchWorkload {
  readonly name: string
  readonly eventsPerRequest: number
  readonly requests: readonly BenchRequest[]
}

interface Cell {
  readonly workload: string
  readonly mode: Mode
  readonly round: number
  readonly eventsPerSecond: number
  /** CPU used by capture's process tree and by redis-server (when this bench started it), in cores. */
  readonly captureCores: number
  readonly redisCores?: number
  readonly p99Ms: number
  readonly non2xx: number
  readonly failOpens: number
  readonly duplicates: number
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { duration: 10, warmup: 2, rounds: 2, connections: 50, workers: 1, workloads: ['json5', 'json100'], modes: ['off', 'redis'], build: true, save: true }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!
    const next = (): string => argv[++i] ?? (() => { throw new Error(`${flag} needs a value`) })()
    if (flag === '--duration') options.duration = Number(next())
    else if (flag === '--warmup') options.warmup = Number(next())
    else if (flag === '--rounds') options.rounds = Number(next())
    else if (flag === '--connections') options.connections = Number(next())
    else if (flag === '--workers') options.workers = Number(next())
    else if (flag === '--workloads') options.workloads = next().split(',')
    else if (flag === '--modes') options.modes = next().split(',') as Mode[]
    else if (flag === '--no-build') options.build = false
    else if (flag === '--no-save') options.save = false
    else throw new Error(`unknown flag ${flag}`)
  }
  return options
}

/** json5: posthog-node batches of 5; json100: the same events, 100 per batch. Unique per request. */
function workloads(): BenchWorkload[] {
  const pool = buildWorkloads({ poolSize: 40 }).find((w) => w.name === 'json5-dedup')
  if (pool === undefined) throw new Error('bench/workloads.ts has no json5-dedup workload')
  const bodies = pool.requests.map((r) => JSON.parse(r.body.toString('utf8')) as { api_key: string; batch: unknown[]; sent_at: string })
  const json100: BenchRequest[] = []
  for (let start = 0; start + 20 <= bodies.length; start += 20) {
    const group = bodies.slice(start, start + 20)
    const body = { api_key: group[0]!.api_key, batch: group.flatMap((b) => b.batch), sent_at: group[0]!.sent_at }
    json100.push({ ...pool.requests[0]!, body: Buffer.from(JSON.stringify(body)) })
  }
  return [
    { name: 'json5', eventsPerRequest: 5, requests: pool.requests },
    { name: 'json100', eventsPerRequest: 100, requests: json100 },
  ]
}

function runLoad(job: LoadJob, onMeasuring: () => void): Promise<LoadResult> {
  const child = fork(join(ROOT, 'bench', 'load.ts'), [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise<LoadResult>((resolvePromise, reject) => {
    child.on('message', (message: LoadMessage) => {
      if (message.type === 'measuring') onMeasuring()
      else if (message.type === 'result') resolvePromise(message.result)
      else if (message.type === 'error') reject(new Error(message.message))
    })
    child.once('exit', (code) => reject(new Error(`load generator exited (${code}) without a result`)))
    child.send(job)
  }).finally(() => child.kill('SIGKILL'))
}

async function metricSum(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  let sum = 0
  for (const line of text.split('\n')) if (line.startsWith(name)) sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0
  return sum
}

function modeEnv(mode: Mode, redisUrl: string): Record<string, string> {
  const prefix = `bench:${process.pid}:${Date.now()}:`
  if (mode === 'memory') return { DEDUP_ENABLED: 'true' }
  return { DEDUP_ENABLED: mode === 'redis' ? 'true' : 'false', REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix }
}

/** CPU of one process over the measured phase, in cores. */
function processCpu(pid: number | undefined): { start(): void; stop(): number | undefined } {
  let ticks: number | undefined
  let at = 0
  return {
    start: () => void ((ticks = pid === undefined ? undefined : cpuTicks(pid)), (at = performance.now())),
    stop: () => {
      const end = pid === undefined ? undefined : cpuTicks(pid)
      if (ticks === undefined || end === undefined) return undefined
      return Math.round(((end - ticks) / 100 / ((performance.now() - at) / 1000)) * 100) / 100
    },
  }
}

async function measure(workload: BenchWorkload, mode: Mode, round: number, options: Options, redis: Redis, tmp: string): Promise<Cell> {
  const redisUrl = redis.url
  const dataDir = mkdtempSync(join(tmp, `${workload.name}-${mode}-`))
  const server = await startServer({
    kind: 'capture', script: join(ROOT, 'dist', 'main.js'), workers: options.workers, port: await freePort(),
    env: modeEnv(mode, redisUrl), dataDir, logFile: join(tmp, `${workload.name}-${mode}-${round}.log`), cwd: ROOT,
  })
  try {
    const sampler = new TreeSampler(server.pid)
    const redisCpu = processCpu(redis.pid)
    const load = await runLoad({
      url: `http://127.0.0.1:${server.port}`, connections: options.connections, warmupSeconds: options.warmup, durationSeconds: options.duration,
      idReplacement: true,
      requests: workload.requests.map((r) => ({ method: r.method, path: r.path, headers: { ...r.headers }, bodyBase64: r.body.toString('base64') })),
    }, () => {
      sampler.start()
      redisCpu.start()
    })
    const stats = sampler.stop()
    const redisCores = redisCpu.stop()
    const cell: Cell = {
      workload: workload.name, mode, round,
      eventsPerSecond: Math.round((load.ok2xx * workload.eventsPerRequest) / load.seconds),
      captureCores: stats.cpuCores,
      redisCores,
      p99Ms: load.latencyMs.p99,
      non2xx: load.non2xx + load.errors,
      failOpens: await metricSum(server.port, 'capture_limiter_fail_open_total'),
      duplicates: await metricSum(server.port, 'capture_events_dropped_total{cause="duplicate"}'),
    }
    process.stderr.write(`  ${workload.name} ${mode} round ${round}: ${cell.eventsPerSecond} events/s, capture ${cell.captureCores} cores, redis ${cell.redisCores ?? '?'} cores, p99 ${cell.p99Ms} ms, non-2xx ${cell.non2xx}, fail-opens ${cell.failOpens}, duplicates ${cell.duplicates}\n`)
    return cell
  } finally {
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2)
}

function report(cells: readonly Cell[], options: Options): string {
  const lines = [
    `# De-duplication cost (${new Date().toISOString()}, ${os.hostname()}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end)`,
    '',
    `WORKERS=${options.workers}, ${options.connections} connections, ${options.warmup} s warm-up + ${options.duration} s measured, ${options.rounds} rounds (order alternated), medians.`,
    'Every event unique; "off" = DEDUP_ENABLED=false, "redis" = DEDUP_ENABLED=true with REDIS_URL (both with REDIS_URL). ',
    'events/CPU-s = events/s ÷ (capture + redis-server CPU): the cost per event, less sensitive than events/s to other work on the machine.',
    '',
    '| workload | mode | events/s | rounds | vs off | capture cores | redis cores | events/CPU-s | vs off | p99 ms | valid |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|',
  ]
  const perCpu = (c: Cell): number => Math.round(c.eventsPerSecond / Math.max(0.01, c.captureCores + (c.redisCores ?? 0)))
  const pct = (value: number, base: number): string => (base > 0 ? `${Math.round((value / base) * 1000) / 10}%` : '-')
  for (const workload of options.workloads) {
    const offCells = cells.filter((c) => c.workload === workload && c.mode === 'off')
    const offEps = median(offCells.map((c) => c.eventsPerSecond))
    const offPerCpu = median(offCells.map(perCpu))
    for (const mode of options.modes) {
      const mine = cells.filter((c) => c.workload === workload && c.mode === mode)
      if (mine.length === 0) continue
      const eps = median(mine.map((c) => c.eventsPerSecond))
      const cpu = median(mine.map(perCpu))
      const valid = mine.every((c) => c.non2xx === 0 && c.failOpens === 0 && c.duplicates === 0)
      const cores = (values: number[]): string => String(Math.round(median(values.map((v) => v * 100))) / 100)
      lines.push(
        `| ${workload} | ${mode} | ${eps} | ${mine.map((c) => c.eventsPerSecond).join(', ')} | ${pct(eps, offEps)} | ${cores(mine.map((c) => c.captureCores))} | ` +
          `${mine.some((c) => c.redisCores !== undefined) ? cores(mine.map((c) => c.redisCores ?? 0)) : '?'} | ${cpu} | ${pct(cpu, offPerCpu)} | ${median(mine.map((c) => c.p99Ms))} | ` +
          `${valid ? 'yes' : 'NO (errors, fail-opens or duplicates)'} |`,
      )
    }
  }
  return lines.join('\n') + '\n'
}

interface Redis {
  readonly url: string
  /** Known when this bench started the server: its CPU is then reported too. */
  readonly pid?: number
  stop(): void
}

async function ownRedis(tmp: string): Promise<Redis> {
  const dir = join(tmp, 'redis')
  const port = await freePort()
  const url = execFileSync(join(ROOT, 'scripts', 'redis-up.sh'), [dir, String(port)], { encoding: 'utf8' }).trim().split('\n').pop()!
  const pid = Number(readFileSync(join(dir, 'redis.pid'), 'utf8').trim())
  return { url, pid, stop: () => void execFileSync(join(ROOT, 'scripts', 'redis-down.sh'), [dir], { stdio: 'inherit' }) }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2))
  if (options.build) ensureCaptureBuild(ROOT, false)
  const tmp = mkdtempSync(join(os.tmpdir(), 'capture-bench-dedup-'))
  const redis: Redis = process.env.REDIS_URL ? { url: process.env.REDIS_URL, stop: () => {} } : await ownRedis(tmp)
  const all = workloads().filter((w) => options.workloads.includes(w.name))
  const cells: Cell[] = []
  try {
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? options.modes : [...options.modes].reverse()
      for (const workload of all) for (const mode of order) cells.push(await measure(workload, mode, round, options, redis, tmp))
    }
  } finally {
    redis.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
  const text = report(cells, options)
  process.stdout.write(text)
  if (options.save) saveRun('limits-dedup', text, { options, cells })
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
