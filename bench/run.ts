/**
 * The HTTP benchmark: for each workload × worker count, runs capture (local log
 * sink, fsync'd before each 200) and the floor server (bench/floor-server.ts)
 * one after the other on 127.0.0.1, drives each with autocannon from a separate
 * process (bench/load.ts), samples the server tree's RSS and CPU, and writes
 * bench/results/<date>-<host>.{json,md} with capture/floor ratios.
 *
 *   npx tsx bench/run.ts [--duration 10] [--warmup 2] [--workers 1,2] [--connections 50]
 *                        [--workloads json5,gzip100,js-e,json5-dedup] [--servers floor,capture] [--pool 8] [--rounds 1]
 *                        [--capture-env KEY=VALUE]... [--node-arg FLAG]... [--no-build | --rebuild]
 *                        [--no-save | --out <dir>] [--profile <dir>]
 *   npx tsx bench/run.ts --render bench/results/<run>.json    # rewrite that run's .md
 *   npx tsx bench/run.ts --kafka [...]     # Kafka mode: capture vs PostHog's Rust capture vs floor (bench/kafka-bench.ts)
 *   npx tsx bench/run.ts --soak MINUTES    # capture alone in Kafka mode, RSS over time (bench/kafka-bench.ts)
 *
 * Figures from one run are comparable with each other; absolute numbers drift
 * between runs on shared machines (see bench/README.md).
 */
import { fork, spawnSync } from 'node:child_process'
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LoadJob, LoadMessage, LoadResult } from './load.js'
import { scrapeTotals, sinkFigures, type MetricTotals, type SinkFigures } from './capture-metrics.js'
import { cpuPressure, TreeSampler, type TreeStats } from './proc-stats.js'
import { computeRatios, markdownReport, medianOfRounds, reportJson, resultsTable, round, sinkTable, targetSummary, writeReport, type BenchReport, type Failure, type Measurement } from './report.js'
import { ensureCaptureBuild, freePort, startServer, transpileFloor, type LocalServerKind, type RunningServer } from './servers.js'
import { parseArgs, type Options } from './options.js'
import { writeKafkaReport, writeSoakReport, type KafkaReport, type SoakReport } from './kafka-report.js'
import { buildWorkloads, type Workload } from './workloads.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Cleanups for whatever is running, so Ctrl-C never leaves a server behind (installed by main() in local-log mode). */
const active = new Set<() => Promise<void>>()
function cleanUpOnInterrupt(): void {
  process.once('SIGINT', () => {
    void Promise.all([...active].map((cleanup) => cleanup())).finally(() => process.exit(130))
  })
}

async function checkOneRequest(server: RunningServer, workload: Workload): Promise<void> {
  const request = workload.requests[0]!
  const response = await fetch(`http://127.0.0.1:${server.port}${request.path}`, { method: request.method, headers: request.headers, body: request.body })
  const text = await response.text()
  if (response.status !== 200 || (server.kind === 'capture' && text !== '{"code":1,"status":"ok"}')) {
    throw new Error(`sanity request answered ${response.status} ${text.slice(0, 300)}`)
  }
}

function runLoad(job: LoadJob, onMeasuring: () => void): Promise<LoadResult> {
  const child = fork(join(ROOT, 'bench', 'load.ts'), [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const cleanup = async (): Promise<void> => void child.kill('SIGKILL')
  active.add(cleanup)
  return new Promise<LoadResult>((resolvePromise, reject) => {
    child.on('message', (message: LoadMessage) => {
      if (message.type === 'measuring') onMeasuring()
      else if (message.type === 'result') resolvePromise(message.result)
      else reject(new Error(`load generator failed: ${message.message}`))
    })
    child.once('exit', (code) => reject(new Error(`load generator exited (${code}) without a result`)))
    child.send(job)
  }).finally(() => active.delete(cleanup))
}

async function countLines(dir: string): Promise<number> {
  let lines = 0
  for (const name of readdirSync(dir)) {
    for await (const chunk of createReadStream(join(dir, name)) as AsyncIterable<Buffer>) {
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++
    }
  }
  return lines
}

interface Cell {
  readonly kind: LocalServerKind
  readonly workload: Workload
  readonly workers: number
}

function serverEnv(cell: Cell, options: Options): Record<string, string> {
  return cell.kind === 'capture' ? { ...cell.workload.captureEnv, ...options.captureEnv } : {}
}

function loadJob(cell: Cell, options: Options, port: number): LoadJob {
  return {
    url: `http://127.0.0.1:${port}`,
    connections: options.connections,
    warmupSeconds: options.warmup,
    durationSeconds: options.duration,
    idReplacement: cell.workload.uniquePerRequest,
    requests: cell.workload.requests.map((r) => ({ method: r.method, path: r.path, headers: { ...r.headers }, bodyBase64: r.body.toString('base64') })),
  }
}

interface Observed {
  readonly load: LoadResult
  readonly stats: TreeStats
  readonly sink?: SinkFigures
}

/** Warm-up, then the measured phase with RSS/CPU sampling and (capture) two /metrics scrapes. */
async function observe(server: RunningServer, cell: Cell, options: Options): Promise<Observed> {
  const sampler = new TreeSampler(server.pid)
  let metricsBefore: Promise<MetricTotals | undefined> = Promise.resolve(undefined)
  const load = await runLoad(loadJob(cell, options, server.port), () => {
    sampler.start()
    if (cell.kind === 'capture') metricsBefore = scrapeTotals(server.port)
  })
  const stats = sampler.stop()
  const sink = cell.kind === 'capture' ? sinkFigures(await metricsBefore, await scrapeTotals(server.port), load.seconds) : undefined
  return { load, stats, sink }
}

async function measure(cell: Cell, options: Options, scripts: Record<LocalServerKind, string>, tmp: string): Promise<Measurement> {
  const label = `${cell.kind}-${cell.workload.name}-w${cell.workers}`
  const loadAvg1Before = round(os.loadavg()[0]!, 2)
  const dataDir = mkdtempSync(join(tmp, `${label}-data-`))
  const profileDir = options.profileDir ? join(options.profileDir, label) : undefined
  if (profileDir) mkdirSync(profileDir, { recursive: true })
  const env = serverEnv(cell, options)
  const server = await startServer({
    kind: cell.kind, script: scripts[cell.kind], workers: cell.workers, port: await freePort(), env,
    dataDir, logFile: join(tmp, `${label}.log`), cwd: ROOT, cpuProfileDir: profileDir, nodeArgs: options.nodeArgs,
  })
  active.add(server.stop)
  try {
    await checkOneRequest(server, cell.workload)
    const observed = await observe(server, cell, options)
    await server.stop()
    const acknowledged = (1 + observed.load.warmup2xx + observed.load.ok2xx) * cell.workload.eventsPerRequest
    const durability = cell.kind === 'capture' ? { loggedEvents: await countLines(dataDir), acknowledgedEvents: acknowledged } : undefined
    return { ...toMeasurement(cell, observed, loadAvg1Before, durability), env }
  } finally {
    await server.stop()
    active.delete(server.stop)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

function toMeasurement(cell: Cell, { load, stats, sink }: Observed, loadAvg1Before: number, durability: Measurement['durability']): Measurement {
  const requestsPerSec = load.ok2xx / load.seconds
  return {
    workload: cell.workload.name,
    server: cell.kind,
    workers: cell.workers,
    seconds: load.seconds,
    requestsPerSec: round(requestsPerSec),
    eventsPerSec: round(requestsPerSec * cell.workload.eventsPerRequest),
    latencyMs: load.latencyMs,
    non2xx: load.non2xx,
    errors: load.errors,
    timeouts: load.timeouts,
    statusCodes: load.statusCodes,
    rss: { maxTotalMiB: stats.maxTotalRssMiB, perProcessMaxMiB: stats.processes.map((p) => ({ role: p.role, maxRssMiB: p.maxRssMiB })) },
    serverCpuCores: stats.cpuCores,
    generatorCpuCores: load.generatorCpuCores,
    loadAvg1Before,
    cpuPressurePct: cpuPressure(),
    cpuMicrosPerEvent: requestsPerSec > 0 ? round((stats.cpuCores / (requestsPerSec * cell.workload.eventsPerRequest)) * 1e6, 1) : 0,
    sink,
    durability,
  }
}

function gitInfo(): { commit: string; dirtyFiles: number } {
  const git = (...args: string[]): string => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? ''
  return { commit: git('rev-parse', '--short', 'HEAD') || 'unknown', dirtyFiles: git('status', '--porcelain').split('\n').filter(Boolean).length }
}

/** `--render <file.json>`: rewrite a saved run's .json and .md (after a change to the report format). */
function render(argv: readonly string[]): boolean {
  const at = argv.indexOf('--render')
  if (at === -1) return false
  const file = resolve(argv[at + 1] ?? '')
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as BenchReport | KafkaReport | SoakReport
  if ('kind' in parsed) {
    // A Kafka-mode or soak record (bench/kafka-bench.ts): rewrite its .md (and .json) where it lies.
    const files = parsed.kind === 'kafka' ? writeKafkaReport(dirname(file), parsed) : writeSoakReport(dirname(file), parsed)
    process.stdout.write(`${files.text}\n`)
    return true
  }
  const report = parsed
  writeFileSync(file, reportJson(report))
  writeFileSync(file.replace(/\.json$/, '.md'), markdownReport(report))
  process.stdout.write(`${resultsTable(report)}\n${sinkTable(report).join('\n')}\n`)
  return true
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  if (argv.includes('--kafka') || argv.includes('--soak')) {
    // Kafka mode (capture vs PostHog's Rust capture vs floor) and the soak: bench/kafka-bench.ts.
    const { kafkaMain } = await import('./kafka-bench.js')
    return kafkaMain(argv)
  }
  if (render(argv)) return
  cleanUpOnInterrupt()
  const options = parseArgs(process.argv.slice(2), ROOT)
  const startedAt = new Date().toISOString()
  const loadAvgAtStart = os.loadavg().map((n) => round(n, 2))
  if (loadAvgAtStart[0]! > os.availableParallelism()) {
    process.stderr.write(`bench: warning: load average ${loadAvgAtStart[0]} exceeds the ${os.availableParallelism()} CPUs; figures will be noisy\n`)
  }
  const build = options.servers.includes('capture') ? (options.build === 'never' ? 'not checked' : ensureCaptureBuild(ROOT, options.build === 'always')) : 'unused'
  const tmp = mkdtempSync(join(os.tmpdir(), 'capture-bench-'))
  const scripts: Record<LocalServerKind, string> = { capture: join(ROOT, 'dist', 'main.js'), floor: transpileFloor(ROOT, tmp) }
  const workloads = buildWorkloads({ poolSize: options.pool }).filter((w) => options.workloads.includes(w.name))
  process.stderr.write(`bench: ${os.availableParallelism()} CPUs shared by generator and server; logs in ${tmp}\n`)
  const runs: Measurement[] = []
  const failures: Failure[] = []
  const cells = workloads.flatMap((workload) => options.workers.flatMap((workers) => options.servers.map((kind): Cell => ({ kind, workload, workers }))))
  for (let round = 1; round <= options.rounds; round++) {
    for (const cell of cells) {
      process.stderr.write(`bench: round ${round}/${options.rounds} ${cell.workload.name} × ${cell.workers} worker(s) × ${cell.kind} … `)
      try {
        const m = { ...(await measure(cell, options, scripts, tmp)), round }
        runs.push(m)
        process.stderr.write(`${Math.round(m.eventsPerSec).toLocaleString('en-US')} events/s, p99 ${m.latencyMs.p99} ms, server CPU ${m.serverCpuCores} (${m.cpuMicrosPerEvent} µs/event), CPU pressure ${m.cpuPressurePct ?? '–'}%\n`)
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err)
        failures.push({ workload: cell.workload.name, server: cell.kind, workers: cell.workers, round, error })
        process.stderr.write(`FAILED: ${error}\n`)
      }
    }
  }
  const measurements = medianOfRounds(runs)
  const cpu = os.cpus()[0]
  const report: BenchReport = {
    startedAt,
    machine: { host: os.hostname(), nproc: os.availableParallelism(), cpuModel: cpu?.model.trim() ?? 'unknown', memoryGiB: round(os.totalmem() / 2 ** 30, 1), node: process.version, kernel: os.release(), loadAvgAtStart },
    code: { ...gitInfo(), build },
    settings: { durationSeconds: options.duration, warmupSeconds: options.warmup, connections: options.connections, pipelining: 1, workers: options.workers, poolSize: options.pool, rounds: options.rounds, nodeArgs: options.nodeArgs, generator: 'autocannon 9 (programmatic, one process, main thread)' },
    workloads: workloads.map((w) => ({ name: w.name, description: w.description, eventsPerRequest: w.eventsPerRequest, meanEventBytes: w.meanEventBytes, meanBodyBytes: w.meanBodyBytes })),
    measurements,
    runs,
    failures,
    ratios: computeRatios(measurements),
  }
  process.stdout.write(`\n${targetSummary(report)}\n\n${resultsTable(report)}\n${sinkTable(report).join('\n')}\n\n`)
  if (options.save) {
    const files = writeReport(options.outDir, report)
    process.stdout.write(`wrote ${files.json}\nwrote ${files.md}\n`)
  }
  if (!options.profileDir) rmSync(tmp, { recursive: true, force: true })
  if (failures.length > 0) process.exitCode = 1
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
