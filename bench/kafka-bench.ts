/**
 * Kafka mode of the bench: capture
 * (`node dist/main.js`, WORKERS=2), PostHog's Rust capture (the peer; how to
 * build it: bench/README.md) and the floor server, plus capture with Redis
 * de-duplication on as an extra row, against one broker and one Redis, driven
 * by wrk (bench/wrk.ts) and alternated per round (A B C D, then D C B A).
 *
 *   npm run bench -- --kafka [--rounds 2] [--duration 12] [--warmup 5] [--connections 50]
 *       [--workloads gzip100,js-e,json5] [--servers capture,peer,floor,capture-dedup]
 *       [--capture-env K=V]... [--peer-env K=V]... [--peer BIN] [--workers 2] [--wrk-threads 1]
 *       [--pool-scale 1] [--no-build | --rebuild] [--no-save | --out DIR]
 *   npm run bench -- --soak MINUTES [--soak-workload gzip100] [--soak-rate 100] [--soak-connections 10] [--capture-env K=V]...
 *
 * Writes bench/results/<date>-<host>-kafka.{json,md} (or -soak). See bench/README.md.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { cpuPressure, rssKiB, descendants, TreeSampler } from './proc-stats.js'
import { round } from './report.js'
import { ensureCaptureBuild, freePort, sleep, startServer, transpileFloor, type RunningServer, type ServerKind } from './servers.js'
import { buildTemplates, KAFKA_WORKLOAD_NAMES, KAFKA_WORKLOADS, type KafkaWorkloadName } from './workloads.js'
import { buildPool, runWrk, writeWrkScript, type Pool, type WrkResult } from './wrk.js'
import { Cleanups, growth, peerBinary, startInfra, Watermarks, type Infra } from './kafka-infra.js'
import { writeKafkaReport, writeSoakReport, type KafkaCell, type KafkaReport, type SoakReport, type KafkaServer } from './kafka-report.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const KAFKA_SERVERS: readonly KafkaServer[] = ['capture', 'peer', 'floor', 'capture-dedup']

export interface KafkaOptions {
  duration: number
  warmup: number
  connections: number
  wrkThreads: number
  workers: number
  rounds: number
  workloads: KafkaWorkloadName[]
  servers: KafkaServer[]
  captureEnv: Record<string, string>
  peerEnv: Record<string, string>
  peer?: string
  /** Directory holding the capture to bench (its dist/main.js); default this checkout. */
  captureRoot: string
  /** Bench a committed revision instead: exported with git archive into a temporary directory and built there. */
  captureAt?: string
  poolScale: number
  build: 'auto' | 'never' | 'always'
  save: boolean
  outDir: string
  soakMinutes?: number
  soakWorkload: KafkaWorkloadName
  soakRate: number
  soakConnections: number
  /** `--delay W=MS`: pause MS between a connection's requests on workload W (a fixed offered load for latency comparisons). */
  delays: Partial<Record<KafkaWorkloadName, number>>
}

function parseKafkaArgs(argv: readonly string[]): KafkaOptions {
  const o: KafkaOptions = {
    duration: 12, warmup: 5, connections: 50, wrkThreads: 1, workers: 2, rounds: 2, workloads: [...KAFKA_WORKLOAD_NAMES], servers: [...KAFKA_SERVERS],
    captureEnv: {}, peerEnv: {}, captureRoot: ROOT, poolScale: 1, build: 'auto', save: true, outDir: join(ROOT, 'bench', 'results'),
    soakWorkload: 'gzip100', soakRate: 100, soakConnections: 10, delays: {},
  }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!
    const value = (): string => {
      const next = argv[++i]
      if (next === undefined) throw new Error(`${flag} needs a value`)
      return next
    }
    const num = (): number => {
      const text = value()
      const n = Number(text)
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: expected a positive number, got ${text}`)
      return n
    }
    const list = (): string[] => value().split(',').map((s) => s.trim()).filter(Boolean)
    const pair = (into: Record<string, string>): void => {
      const [key, ...rest] = value().split('=')
      if (!key || rest.length === 0) throw new Error(`${flag} expects KEY=VALUE`)
      into[key] = rest.join('=')
    }
    switch (flag) {
      case '--kafka': break
      case '--duration': o.duration = num(); break
      case '--warmup': o.warmup = num(); break
      case '--connections': o.connections = num(); break
      case '--wrk-threads': o.wrkThreads = num(); break
      case '--workers': o.workers = num(); break
      case '--rounds': o.rounds = num(); break
      case '--workloads': o.workloads = list().map((w) => oneOf(flag, w, KAFKA_WORKLOAD_NAMES)); break
      case '--servers': o.servers = list().map((s) => oneOf(flag, s, KAFKA_SERVERS)); break
      case '--capture-env': pair(o.captureEnv); break
      case '--peer-env': pair(o.peerEnv); break
      case '--peer': o.peer = resolve(value()); break
      case '--pool-scale': o.poolScale = num(); break
      case '--capture-root': o.captureRoot = resolve(value()); break
      case '--capture-at': o.captureAt = value(); break
      case '--no-build': o.build = 'never'; break
      case '--rebuild': o.build = 'always'; break
      case '--no-save': o.save = false; break
      case '--out': o.outDir = resolve(value()); break
      case '--soak': o.soakMinutes = num(); break
      case '--soak-workload': o.soakWorkload = oneOf(flag, value(), KAFKA_WORKLOAD_NAMES); break
      case '--soak-rate': o.soakRate = num(); break
      case '--soak-connections': o.soakConnections = num(); break
      case '--delay':
        for (const item of list()) {
          const [name, ms] = item.split('=')
          const delay = Number(ms)
          if (!Number.isFinite(delay) || delay <= 0) throw new Error(`--delay expects WORKLOAD=MS, got ${item}`)
          o.delays[oneOf(flag, name ?? '', KAFKA_WORKLOAD_NAMES)] = delay
        }
        break
      default: throw new Error(`unknown option ${flag} (Kafka mode; see bench/README.md)`)
    }
  }
  return o
}

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new Error(`${flag}: ${text} is not one of ${allowed.join(', ')}`)
  return text as T
}

/**
 * Requests per second to size a gzip pool for (the peer's peak measured here plus
 * headroom): a cell sends at most this × (warm-up + measured) requests before
 * the pool would wrap. json5 is filled per request and never wraps.
 */
const PEAK_REQUESTS_PER_SEC: Record<KafkaWorkloadName, number> = { gzip100: 650, 'js-e': 3500, json5: 0 }

/** Settings both Kafka servers run with: the same producer batching and codec (the peer's defaults are linger 20 ms, no compression). */
const PRODUCER_ENV = { KAFKA_PRODUCER_LINGER_MS: '5', KAFKA_COMPRESSION_CODEC: 'lz4' }

interface Context {
  readonly options: KafkaOptions
  readonly infra: Infra
  readonly marks: Watermarks
  readonly tmp: string
  readonly wrkScript: string
  readonly floorScript: string
  readonly peerBin?: string
  readonly cleanups: Cleanups
}

function serverEnv(server: KafkaServer, ctx: Context, label: string): Record<string, string> {
  const kafka = { KAFKA_HOSTS: ctx.infra.kafkaHosts, KAFKA_TOPIC: 'events_plugin_ingestion', KAFKA_HISTORICAL_TOPIC: 'events_plugin_ingestion_historical', REDIS_URL: ctx.infra.redisUrl, ...PRODUCER_ENV }
  switch (server) {
    case 'floor': return {}
    case 'peer': return { ...kafka, PRINT_SINK: 'false', EXPORT_PROMETHEUS: 'true', RUST_LOG: 'warn', ...ctx.options.peerEnv }
    // KAFKA_PRODUCER_ENGINE=batch: a capture without its addon refuses to start instead of quietly using the slower binding.
    case 'capture': return { ...kafka, KAFKA_PRODUCER_ENGINE: 'batch', DEDUP_ENABLED: 'false', ...ctx.options.captureEnv }
    // A key prefix per cell: the marks of an earlier cell (same pool, same uuids) never count as duplicates here.
    case 'capture-dedup': return { ...kafka, KAFKA_PRODUCER_ENGINE: 'batch', DEDUP_ENABLED: 'true', REDIS_KEY_PREFIX: `bench-${label}:`, ...ctx.options.captureEnv }
  }
}

const kindOf = (server: KafkaServer): ServerKind => (server === 'capture-dedup' ? 'capture' : server)

async function startCell(server: KafkaServer, ctx: Context, label: string): Promise<{ running: RunningServer; env: Record<string, string>; dataDir: string; forget: () => void }> {
  ctx.cleanups.check()
  const env = serverEnv(server, ctx, label)
  const dataDir = mkdtempSync(join(ctx.tmp, `${label}-data-`))
  const script = server === 'peer' ? ctx.peerBin! : server === 'floor' ? ctx.floorScript : join(ctx.options.captureRoot, 'dist', 'main.js')
  const running = await startServer({
    kind: kindOf(server), script, workers: server === 'peer' ? 1 : ctx.options.workers, port: await freePort(), env, dataDir,
    logFile: join(ctx.tmp, `${label}.log`), cwd: server === 'floor' || server === 'peer' ? ROOT : ctx.options.captureRoot,
  })
  const forget = ctx.cleanups.add(`${label} server`, () => running.stop())
  return { running, env, dataDir, forget }
}

/**
 * One request before the load; for a Kafka server, its events must then show in
 * the topics (a capture that cannot reach the broker spools to disk and still
 * answers 200: that would bench the wrong thing).
 */
async function sanity(running: RunningServer, pool: Pool, marks: Watermarks | undefined): Promise<string> {
  const before = marks === undefined ? undefined : await marks.read()
  const response = await fetch(`http://127.0.0.1:${running.port}${pool.sanity.path}`, { method: 'POST', headers: pool.headers, body: pool.sanity.body })
  const text = await response.text()
  if (response.status !== 200) throw new Error(`sanity request answered ${response.status} ${text.slice(0, 300)}`)
  if (marks !== undefined && before !== undefined) {
    const deadline = Date.now() + 10_000
    while (growth(before, await marks.read()).total < pool.eventsPerRequest) {
      if (Date.now() > deadline) throw new Error(`the sanity request's ${pool.eventsPerRequest} events did not reach Kafka within 10 s (answer ${text.slice(0, 80)}); is the server spooling? see ${running.logFile}`)
      await sleep(100)
    }
  }
  return text
}

/** wrk, stopped by pid if the bench is interrupted; `onRunning` when it starts sending (pool loaded). */
async function wrk(ctx: Context, pool: Pool, port: number, seconds: number, seq0: number, extra: { connections?: number; delayMs?: number; onRunning?: () => void } = {}): Promise<WrkResult> {
  let forget: () => void = () => undefined
  ctx.cleanups.check()
  try {
    return await runWrk({
      script: ctx.wrkScript, pool, url: `http://127.0.0.1:${port}`, connections: extra.connections ?? ctx.options.connections,
      threads: ctx.options.wrkThreads, seconds, seq0, delayMs: extra.delayMs,
    }, (pid) => {
      forget = ctx.cleanups.add('wrk', async () => {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // gone
        }
      })
    }, extra.onRunning)
  } finally {
    forget()
  }
}

async function measureCell(server: KafkaServer, workload: KafkaWorkloadName, pool: Pool, roundNo: number, order: number, ctx: Context): Promise<KafkaCell> {
  const label = `${server}-${workload}-r${roundNo}`
  const loadAvg1Before = round2(os.loadavg()[0]!)
  const epr = KAFKA_WORKLOADS[workload].eventsPerRequest
  const hwmStart = await ctx.marks.read()
  const { running, env, dataDir, forget } = await startCell(server, ctx, label)
  try {
    const answer = await sanity(running, pool, server === 'floor' ? undefined : ctx.marks)
    const delayMs = ctx.options.delays[workload]
    const warm = await wrk(ctx, pool, running.port, ctx.options.warmup, 0, { delayMs })
    const sampler = new TreeSampler(running.pid)
    let hwmMeasuredStart: Promise<Record<string, number>> | undefined
    let sampledFrom = 0
    const measured = await wrk(ctx, pool, running.port, ctx.options.duration, warm.nextSeq, {
      delayMs,
      onRunning: () => {
        sampledFrom = performance.now()
        sampler.start()
        hwmMeasuredStart = ctx.marks.read()
      },
    })
    if (hwmMeasuredStart === undefined) throw new Error('wrk never reported that it started sending')
    const stats = sampler.stop()
    const sampledSeconds = (performance.now() - sampledFrom) / 1000
    const hwmMeasuredEnd = await ctx.marks.read()
    const loadAvg1 = round2(os.loadavg()[0]!)
    const pressure = cpuPressure()
    await running.stop()
    forget()
    const hwmEnd = await ctx.marks.read()
    const acknowledgedEvents = (1 + warm.ok2xx + measured.ok2xx) * epr
    // Requests wrk had sent but not seen answered when it stopped: the server may still have written them.
    const sentEvents = (1 + warm.sent + measured.sent) * epr
    const cell = growth(hwmStart, hwmEnd)
    const measuredGrowth = growth(await hwmMeasuredStart, hwmMeasuredEnd)
    const eventsPerSec = (measured.ok2xx * epr) / measured.seconds
    const cpuSeconds = stats.cpuCores * sampledSeconds
    return {
      workload, server, round: roundNo, order,
      env,
      sanityAnswer: answer.slice(0, 80),
      seconds: round2(measured.seconds),
      requestsPerSec: round(measured.ok2xx / measured.seconds, 1),
      eventsPerSec: round(eventsPerSec),
      latencyMs: measured.latencyMs,
      non2xx: measured.non2xx,
      socketErrors: measured.socketErrors,
      serverCpuCores: stats.cpuCores,
      cpuMicrosPerEvent: measured.ok2xx > 0 ? round((cpuSeconds / (measured.ok2xx * epr)) * 1e6, 1) : 0,
      peakRssMiB: stats.maxTotalRssMiB,
      rssPerProcessMiB: stats.processes.map((p) => ({ role: p.role, maxRssMiB: p.maxRssMiB })),
      rssSamples: stats.samples,
      generatorCpuCores: measured.generatorCpuCores,
      loadAvg1Before, loadAvg1,
      cpuPressurePct: pressure,
      kafka: server === 'floor' ? undefined : {
        cellGrowth: cell.total, cellGrowthByTopic: cell.byTopic, acknowledgedEvents, sentEvents,
        growthOverAcked: acknowledgedEvents > 0 ? round(cell.total / acknowledgedEvents, 4) : 0,
        growthOverSent: sentEvents > 0 ? round(cell.total / sentEvents, 4) : 0,
        measuredGrowth: measuredGrowth.total,
        measuredEventsPerSec: round(measuredGrowth.total / measured.seconds),
      },
      poolWrapped: warm.wrapped || measured.wrapped,
      requestsSent: warm.sent + measured.sent,
    }
  } finally {
    await running.stop()
    forget()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const round2 = (n: number): number => round(n, 2)
const pct1 = (n: number): string => `${(n * 100).toFixed(1)}%`

async function buildPools(ctx: { options: KafkaOptions; tmp: string }, workloads: readonly KafkaWorkloadName[], seconds: number): Promise<Map<KafkaWorkloadName, Pool>> {
  const pools = new Map<KafkaWorkloadName, Pool>()
  for (const workload of workloads) {
    const started = Date.now()
    const requests = Math.ceil(PEAK_REQUESTS_PER_SEC[workload] * seconds * ctx.options.poolScale)
    const templates = buildTemplates(workload, 64)
    const pool = await buildPool(join(ctx.tmp, `${workload}.pool`), templates, KAFKA_WORKLOADS[workload].eventsPerRequest, requests)
    pools.set(workload, pool)
    process.stderr.write(`bench: pool ${workload}: ${pool.bodies} bodies (${Number.isFinite(pool.uniqueRequests) ? `${pool.uniqueRequests} requests before a repeat` : 'uuids filled per request'}), ~${pool.meanBodyBytes} B on the wire, built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  }
  return pools
}

function gitInfo(options: KafkaOptions): { commit: string; dirtyFiles: number; root: string } {
  const git = (...args: string[]): string => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? ''
  if (options.captureAt !== undefined) return { commit: `${git('rev-parse', '--short', options.captureAt) || options.captureAt} (--capture-at ${options.captureAt}: git archive, built apart)`, dirtyFiles: 0, root: options.captureRoot }
  const dirtyFiles = options.captureRoot === ROOT ? git('status', '--porcelain').split('\n').filter(Boolean).length : 0
  return { commit: options.captureRoot === ROOT ? git('rev-parse', '--short', 'HEAD') || 'unknown' : `capture from ${options.captureRoot}`, dirtyFiles, root: options.captureRoot }
}

/**
 * --capture-at REV: export REV with git archive (no change to this checkout),
 * reuse this checkout's node_modules through a symlink, build it there.
 */
function exportRevision(rev: string, dir: string): string {
  const root = join(dir, `capture-${rev.replace(/[^\w.-]/g, '_')}`)
  mkdirSync(root, { recursive: true })
  const archive = spawnSync('sh', ['-c', 'git archive --format=tar "$0" | tar -x -C "$1"', rev, root], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] })
  if (archive.status !== 0) throw new Error(`git archive ${rev} failed`)
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'))
  process.stderr.write(`bench: building ${rev} in ${root}\n`)
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) process.stderr.write(`bench: warning: npm run build of ${rev} exited ${build.status} (tsc still emits on type errors)\n`)
  if (!existsSync(join(root, 'dist', 'main.js'))) throw new Error(`no dist/main.js after building ${rev}`)
  // The Kafka batch addon is built per checkout (npm ci's postinstall does it; here there was no npm ci).
  if (existsSync(join(root, 'scripts', 'build-native.mjs'))) {
    const native = spawnSync(process.execPath, ['scripts/build-native.mjs'], { cwd: root, stdio: 'inherit' })
    if (native.status !== 0) throw new Error(`building the Kafka batch addon of ${rev} failed`)
  }
  return root
}

function machine(): KafkaReport['machine'] {
  const cpu = os.cpus()[0]
  return { host: os.hostname(), nproc: os.availableParallelism(), cpuModel: cpu?.model.trim() ?? 'unknown', memoryGiB: round(os.totalmem() / 2 ** 30, 1), node: process.version, kernel: os.release(), loadAvgAtStart: os.loadavg().map(round2) }
}

function wrkVersion(): string {
  const out = spawnSync('wrk', ['-v'], { encoding: 'utf8' })
  return (`${out.stdout ?? ''}${out.stderr ?? ''}`.split('\n')[0] ?? 'wrk').replace(/\s*Copyright.*$/, '').trim()
}

function peerInfo(bin: string | undefined): KafkaReport['peer'] {
  if (bin === undefined) return undefined
  // PEER_MIRROR: the git directory the peer was built from, to record its commit.
  const mirror = process.env.PEER_MIRROR
  const commit = (mirror && spawnSync('git', ['--git-dir', mirror, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim()) || 'unknown commit'
  let builtAt = 'unknown'
  try {
    builtAt = statSync(bin).mtime.toISOString()
  } catch {
    // left unknown
  }
  return { binary: bin, source: `PostHog/hog-rs ${commit} (capture crate, cargo build --release)`, builtAt }
}

/** The order of round r: A B C D on odd rounds, D C B A on even ones. */
const orderOf = (servers: readonly KafkaServer[], roundNo: number): KafkaServer[] => (roundNo % 2 === 1 ? [...servers] : [...servers].reverse())

async function runKafka(options: KafkaOptions, ctx: Context, build: string): Promise<void> {
  const startedAt = new Date().toISOString()
  const machineInfo = machine()
  const pools = await buildPools(ctx, options.workloads, (options.warmup + options.duration) * 1.3)
  const cells: KafkaCell[] = []
  const failures: { workload: KafkaWorkloadName; server: KafkaServer; round: number; error: string }[] = []
  for (let r = 1; r <= options.rounds; r++) {
    for (const workload of options.workloads) {
      for (const [i, server] of orderOf(options.servers, r).entries()) {
        ctx.cleanups.check()
        process.stderr.write(`bench: round ${r}/${options.rounds} ${workload} × ${server} … `)
        try {
          const cell = await measureCell(server, workload, pools.get(workload)!, r, i + 1, ctx)
          cells.push(cell)
          const k = cell.kafka
          process.stderr.write(`${Math.round(cell.eventsPerSec).toLocaleString('en-US')} events/s, p99 ${cell.latencyMs.p99} ms, ${cell.cpuMicrosPerEvent} µs/event, peak RSS ${cell.peakRssMiB} MiB, load ${cell.loadAvg1}` +
            `${k ? `, Kafka +${k.cellGrowth.toLocaleString('en-US')} for ${k.acknowledgedEvents.toLocaleString('en-US')} acked (${pct1(k.growthOverAcked)}) / ${k.sentEvents.toLocaleString('en-US')} sent (${pct1(k.growthOverSent)})` : ''}${cell.poolWrapped ? ', pool wrapped' : ''}\n`)
        } catch (err) {
          ctx.cleanups.check()
          const error = err instanceof Error ? err.message : String(err)
          failures.push({ workload, server, round: r, error })
          process.stderr.write(`FAILED: ${error}\n`)
        }
      }
    }
  }
  const report: KafkaReport = {
    kind: 'kafka',
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { ...machineInfo, loadAvgAtEnd: os.loadavg().map(round2) },
    code: { ...gitInfo(options), build },
    peer: peerInfo(ctx.peerBin),
    infra: { kafka: `${ctx.infra.kafkaHosts} (${ctx.infra.kafkaOrigin})`, redis: `${ctx.infra.redisUrl} (${ctx.infra.redisOrigin})` },
    settings: {
      generator: `${wrkVersion()}, Lua script rotating through a pregenerated pool (bench/wrk.ts), ${options.wrkThreads} thread(s)`,
      connections: options.connections, warmupSeconds: options.warmup, durationSeconds: options.duration, rounds: options.rounds,
      workers: options.workers, servers: options.servers, producer: PRODUCER_ENV, captureEnv: options.captureEnv, peerEnv: options.peerEnv, delays: options.delays,
    },
    workloads: options.workloads.map((w) => ({ name: w, description: KAFKA_WORKLOADS[w].description, eventsPerRequest: KAFKA_WORKLOADS[w].eventsPerRequest, meanEventBytes: pools.get(w)!.meanEventBytes, meanBodyBytes: pools.get(w)!.meanBodyBytes, poolBodies: pools.get(w)!.bodies })),
    cells,
    failures,
  }
  const files = writeKafkaReport(options.save ? options.outDir : undefined, report)
  process.stdout.write(`\n${files.text}\n`)
  if (files.json) process.stdout.write(`wrote ${files.json}\nwrote ${files.md}\n`)
  if (failures.length > 0) process.exitCode = 1
}

/** capture alone under a constant moderate load for --soak minutes: RSS over time (sum over its processes, every 250 ms). */
async function runSoak(options: KafkaOptions, ctx: Context, build: string): Promise<void> {
  const minutes = options.soakMinutes!
  const workload = options.soakWorkload
  const epr = KAFKA_WORKLOADS[workload].eventsPerRequest
  const startedAt = new Date().toISOString()
  const machineInfo = machine()
  // The pool may wrap here: de-duplication is off, so repeats cost the same as new events.
  const pools = await buildPools(ctx, [workload], Math.min(60, minutes * 60) * (options.soakRate / Math.max(1, PEAK_REQUESTS_PER_SEC[workload])))
  const pool = pools.get(workload)!
  const label = `soak-${workload}`
  const hwmStart = await ctx.marks.read()
  const { running, env, dataDir, forget } = await startCell('capture', ctx, label)
  const samples: { t: number; rssMiB: number }[] = []
  const t0 = Date.now()
  const timer = setInterval(() => {
    let kib = 0
    for (const pid of [running.pid, ...descendants(running.pid)]) kib += rssKiB(pid) ?? 0
    samples.push({ t: (Date.now() - t0) / 1000, rssMiB: round(kib / 1024, 1) })
  }, 250)
  try {
    await sanity(running, pool, ctx.marks)
    const delayMs = Math.max(1, Math.round((options.soakConnections * 1000) / options.soakRate))
    process.stderr.write(`bench: soak ${minutes} min, ${workload}, ${options.soakConnections} connections with ${delayMs} ms between requests (~${options.soakRate} req/s offered)\n`)
    const sampler = new TreeSampler(running.pid)
    let sampledFrom = 0
    const load = await wrk(ctx, pool, running.port, Math.round(minutes * 60), 0, {
      connections: options.soakConnections, delayMs,
      onRunning: () => {
        sampledFrom = performance.now()
        sampler.start()
      },
    })
    const stats = sampler.stop()
    const sampledSeconds = (performance.now() - sampledFrom) / 1000
    clearInterval(timer)
    await running.stop()
    forget()
    const hwm = growth(hwmStart, await ctx.marks.read())
    const acknowledgedEvents = (1 + load.ok2xx) * epr
    const sentEvents = (1 + load.sent) * epr
    const report: SoakReport = {
      kind: 'soak', startedAt, finishedAt: new Date().toISOString(),
      machine: { ...machineInfo, loadAvgAtEnd: os.loadavg().map(round2) },
      code: { ...gitInfo(options), build },
      infra: { kafka: `${ctx.infra.kafkaHosts} (${ctx.infra.kafkaOrigin})`, redis: `${ctx.infra.redisUrl} (${ctx.infra.redisOrigin})` },
      settings: { workload, minutes, connections: options.soakConnections, delayMs, offeredRequestsPerSec: options.soakRate, workers: options.workers, env, generator: wrkVersion() },
      eventsPerSec: round((load.ok2xx * epr) / load.seconds),
      latencyMs: load.latencyMs, non2xx: load.non2xx, socketErrors: load.socketErrors,
      serverCpuCores: stats.cpuCores,
      cpuMicrosPerEvent: load.ok2xx > 0 ? round(((stats.cpuCores * sampledSeconds) / (load.ok2xx * epr)) * 1e6, 1) : 0,
      kafka: { growth: hwm.total, acknowledgedEvents, sentEvents, growthOverAcked: round(hwm.total / acknowledgedEvents, 4), growthOverSent: round(hwm.total / sentEvents, 4) },
      samples,
    }
    const files = writeSoakReport(options.save ? options.outDir : undefined, report)
    process.stdout.write(`\n${files.text}\n`)
    if (files.json) process.stdout.write(`wrote ${files.json}\nwrote ${files.md}\n`)
  } finally {
    clearInterval(timer)
    await running.stop()
    forget()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

export async function kafkaMain(argv: readonly string[]): Promise<void> {
  const options = parseKafkaArgs(argv)
  const soak = options.soakMinutes !== undefined
  const needsCapture = soak || options.servers.some((s) => s === 'capture' || s === 'capture-dedup')
  const cleanups = new Cleanups()
  const tmp = mkdtempSync(join(os.tmpdir(), 'capture-bench-kafka-'))
  cleanups.add('temporary files', async () => {
    // Keep the servers' logs when something failed (the broker's data can be GBs: that goes).
    if (process.exitCode === undefined || process.exitCode === 0) rmSync(tmp, { recursive: true, force: true })
    else {
      rmSync(join(tmp, 'kafka', 'data'), { recursive: true, force: true })
      process.stderr.write(`bench: logs kept in ${tmp}\n`)
    }
  })
  const interrupted = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\nbench: ${signal}: stopping servers, wrk, broker and Redis\n`)
    process.exitCode = 130
    void cleanups.runAll().finally(() => process.exit(130))
  }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  try {
    let build = 'unused'
    if (needsCapture && options.captureAt !== undefined) {
      options.captureRoot = exportRevision(options.captureAt, tmp)
      build = `built from ${options.captureAt}`
    } else if (needsCapture) {
      build = options.build === 'never' ? 'not checked' : ensureCaptureBuild(options.captureRoot, options.build === 'always')
    }
    const peerBin = !soak && options.servers.includes('peer') ? await peerBinary(options.peer) : undefined
    process.stderr.write(`bench: Kafka mode, ${os.availableParallelism()} CPUs shared by wrk, the servers, the broker and Redis; logs in ${tmp}\n`)
    const infra = await startInfra(ROOT, tmp, cleanups)
    const marks = await Watermarks.open(infra.kafkaHosts)
    cleanups.add('watermark client', () => marks.close())
    const ctx: Context = { options, infra, marks, tmp, wrkScript: writeWrkScript(tmp), floorScript: transpileFloor(ROOT, tmp), peerBin, cleanups }
    if (soak) await runSoak(options, ctx, build)
    else await runKafka(options, ctx, build)
  } catch (err) {
    process.exitCode = 1
    throw err
  } finally {
    await cleanups.runAll()
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
  }
}
