/**
 * What the debug UI costs capture: throughput with a debugger stream open and
 * streaming versus none, on the same server in the same run, plus the same
 * load on a server with the UI off. Workload: `gzip100` (posthog-node, 100
 * events of ~1.3 KB per request, gzip), local log, DEDUP_ENABLED=false.
 *
 *   npx tsx bench/debug-ui.ts [--duration 10] [--warmup 2] [--rounds 2] [--connections 50]
 *                             [--workers 2] [--pool 64] [--rate REQ_PER_S] [--cap EVENTS_PER_S]
 *                             [--no-build] [--no-save]
 *
 * Two capture servers run side by side for the whole run: `on` (DEBUG_UI_TOKEN
 * set) and `off` (unset). Cells, per round: `closed` (the `on` server, nobody
 * watching), `open` (the `on` server with one unfiltered /_debug/events stream
 * read by this process throughout the cell), `off` (the other server). Odd
 * rounds run them in the reverse order (closed open off | off open closed |
 * …, so closed and open alternate A B B A). Medians per mode; events/CPU-s is
 * events/s ÷ the server's CPU cores, steadier on a shared machine. The load
 * (autocannon) and the stream reader run in this process and share the cores.
 * With --rate the load is a fixed number of requests per second (autocannon's
 * overallRate) instead of as many as the server takes: every mode then does
 * the same work, and the capture CPU it takes for it is the figure to compare.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import http, { type IncomingMessage } from 'node:http'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { TreeSampler } from './proc-stats.js'
import { saveRun } from './save-run.js'
import { ensureCaptureBuild, freePort, startServer, type RunningServer } from './servers.js'
import { buildWorkloads, type BenchRequest } from './workloads.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const MODES = ['closed', 'open', 'off'] as const
type Mode = (typeof MODES)[number]
const DEBUG_TOKEN = 'bench-debug-ui-token-0123456789'
const EVENTS_PER_REQUEST = 100

interface Options {
  duration: number
  warmup: number
  rounds: number
  connections: number
  workers: number
  pool: number
  /** Fixed offered load, requests/s over all connections; undefined = as fast as the server answers. */
  rate?: number
  /** DEBUG_UI_EVENTS_PER_SECOND of the `on` server (capture's default: 100 per worker). */
  cap: number
  build: boolean
  save: boolean
}

interface Streamed {
  readonly events: number
  readonly skipped: number
}

interface Cell {
  readonly mode: Mode
  readonly round: number
  readonly eventsPerSecond: number
  readonly captureCores: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly non2xx: number
  /** What the open stream received during the cell: events, and events reported skipped. */
  readonly streamed?: Streamed
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { duration: 10, warmup: 2, rounds: 2, connections: 50, workers: 2, pool: 64, cap: 100, build: true, save: true }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!
    const next = (): string => argv[++i] ?? (() => { throw new Error(`${flag} needs a value`) })()
    if (flag === '--duration') options.duration = Number(next())
    else if (flag === '--warmup') options.warmup = Number(next())
    else if (flag === '--rounds') options.rounds = Number(next())
    else if (flag === '--connections') options.connections = Number(next())
    else if (flag === '--workers') options.workers = Number(next())
    else if (flag === '--pool') options.pool = Number(next())
    else if (flag === '--rate') options.rate = Number(next())
    else if (flag === '--cap') options.cap = Number(next())
    else if (flag === '--no-build') options.build = false
    else if (flag === '--no-save') options.save = false
    else throw new Error(`unknown flag ${flag}`)
  }
  return options
}

/** The debugger as a browser would hold it: one unfiltered stream, read as fast as it comes. */

function openStream(port: number): Promise<{ peek(): Streamed; stop(): Streamed }> {
  return new Promise((resolvePromise, reject) => {
    const counts = { events: 0, skipped: 0 }
    let tail = ''
    const req = http.get({ host: '127.0.0.1', port, path: '/_debug/events', headers: { authorization: `Bearer ${DEBUG_TOKEN}` } }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) return reject(new Error(`/_debug/events answered ${res.statusCode}`))
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        const text = tail + chunk
        const cut = text.lastIndexOf('\n\n')
        tail = cut === -1 ? text : text.slice(cut + 2)
        const complete = cut === -1 ? '' : text.slice(0, cut)
        counts.events += complete.split('event: event\n').length - 1
        for (const match of complete.matchAll(/event: skipped\ndata: \{"count":(\d+)/g)) counts.skipped += Number(match[1])
      })
      resolvePromise({
        peek: () => ({ ...counts }),
        stop: () => {
          req.destroy()
          return { ...counts }
        },
      })
    })
    req.on('error', reject)
  })
}

async function runLoad(port: number, pool: readonly BenchRequest[], options: Options, onMeasuring: () => void) {
  let nextConnection = 0
  const setupRequest = (req: Record<string, unknown>, context: { connection?: number; sent?: number }): Record<string, unknown> => {
    context.connection ??= nextConnection++
    const sent = context.sent ?? 0
    context.sent = sent + 1
    const request = pool[(context.connection + sent * options.connections) % pool.length]!
    return { ...req, method: request.method, path: request.path, headers: { ...request.headers }, body: request.body }
  }
  const rate = options.rate === undefined ? {} : { overallRate: options.rate }
  const base = { url: `http://127.0.0.1:${port}`, connections: options.connections, pipelining: 1, timeout: 10, requests: [{ setupRequest }], ...rate } as unknown as Parameters<typeof autocannon>[0]
  await autocannon({ ...base, duration: options.warmup })
  onMeasuring()
  const measured = await autocannon({ ...base, duration: options.duration })
  return { seconds: measured.duration, ok2xx: measured['2xx'], failed: measured.non2xx + measured.errors, p50Ms: measured.latency.p50, p99Ms: measured.latency.p99 }
}

async function measure(mode: Mode, round: number, server: RunningServer, pool: readonly BenchRequest[], options: Options): Promise<Cell> {
  const stream = mode === 'open' ? await openStream(server.port) : undefined
  const sampler = new TreeSampler(server.pid)
  // Only what streamed while measuring counts (not the warm-up).
  let streamedAtStart: Streamed = { events: 0, skipped: 0 }
  const load = await runLoad(server.port, pool, options, () => {
    sampler.start()
    streamedAtStart = stream?.peek() ?? streamedAtStart
  })
  const stats = sampler.stop()
  const streamed = stream?.stop()
  const cell: Cell = {
    mode, round,
    eventsPerSecond: Math.round((load.ok2xx * EVENTS_PER_REQUEST) / load.seconds),
    captureCores: stats.cpuCores,
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    non2xx: load.failed,
    streamed: streamed === undefined ? undefined : { events: streamed.events - streamedAtStart.events, skipped: streamed.skipped - streamedAtStart.skipped },
  }
  process.stderr.write(`  ${mode} round ${round}: ${cell.eventsPerSecond} events/s, ${cell.captureCores} cores, p50 ${cell.p50Ms} ms, p99 ${cell.p99Ms} ms, non-2xx ${cell.non2xx}${cell.streamed ? `, streamed ${cell.streamed.events} events (${cell.streamed.skipped} skipped)` : ''}\n`)
  return cell
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2)
}

function report(cells: readonly Cell[], options: Options, loadBefore: readonly number[]): string {
  const loadAfter = os.loadavg()
  const fmt = (l: readonly number[]): string => l.map((v) => v.toFixed(2)).join(' ')
  const perCpu = (c: Cell): number => Math.round(c.eventsPerSecond / Math.max(0.01, c.captureCores))
  const of = (mode: Mode): Cell[] => cells.filter((c) => c.mode === mode)
  const closed = of('closed')
  const lines = [
    `# Debug UI: capture with the debugger open and streaming vs closed (${new Date().toISOString()}, ${os.hostname()}, ${os.cpus().length} cores)`,
    '',
    `Load average (1, 5, 15 min): ${fmt(loadBefore)} before, ${fmt(loadAfter)} after. Workload gzip100 (posthog-node, 100 events/request, gzip), local log, DEDUP_ENABLED=false, WORKERS=${options.workers}, ${options.connections} connections, ${options.warmup} s warm-up + ${options.duration} s measured per cell, ${options.rounds} rounds (order reversed every other round), medians${options.rate === undefined ? '' : `; fixed offered load of ${options.rate} requests/s (${options.rate * EVENTS_PER_REQUEST} events/s)`}. Command: \`npx tsx bench/debug-ui.ts ${process.argv.slice(2).join(' ')}\`.`,
    `\`closed\` and \`open\` are the same server (DEBUG_UI_TOKEN set, DEBUG_UI_EVENTS_PER_SECOND=${options.cap} per worker); \`open\` has one unfiltered /_debug/events stream read throughout the cell; \`off\` is a second server without DEBUG_UI_TOKEN under the same load. "vs closed" compares events per CPU-second.`,
    '',
    '| mode | events/s | rounds | capture cores | events/CPU-s | vs closed | p50 ms | p99 ms | streamed events/s (skipped/s) | errors |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const mode of MODES) {
    const mine = of(mode)
    if (mine.length === 0) continue
    const vs = closed.length === 0 ? '-' : `${Math.round((median(mine.map(perCpu)) / median(closed.map(perCpu))) * 1000) / 10}%`
    const streamed = mine.every((c) => c.streamed !== undefined)
      ? `${median(mine.map((c) => Math.round(c.streamed!.events / options.duration)))} (${median(mine.map((c) => Math.round(c.streamed!.skipped / options.duration)))})`
      : '-'
    lines.push(
      `| ${mode} | ${median(mine.map((c) => c.eventsPerSecond))} | ${mine.map((c) => c.eventsPerSecond).join(', ')} | ${median(mine.map((c) => Math.round(c.captureCores * 100))) / 100} | ` +
        `${median(mine.map(perCpu))} | ${vs} | ${median(mine.map((c) => c.p50Ms))} | ${median(mine.map((c) => c.p99Ms))} | ${streamed} | ${mine.reduce((n, c) => n + c.non2xx, 0)} |`,
    )
  }
  return lines.join('\n') + '\n'
}

async function startCapture(name: string, env: Record<string, string>, options: Options, tmp: string): Promise<{ server: RunningServer; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmp, `${name}-`))
  const server = await startServer({
    kind: 'capture', script: join(ROOT, 'dist', 'main.js'), workers: options.workers, port: await freePort(),
    env: { DEDUP_ENABLED: 'false', ...env }, dataDir, logFile: join(tmp, `${name}.log`), cwd: ROOT,
  })
  return { server, dataDir }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2))
  if (options.build) ensureCaptureBuild(ROOT, false)
  const gzip100 = buildWorkloads({ poolSize: options.pool }).find((w) => w.name === 'gzip100')
  if (gzip100 === undefined) throw new Error('bench/workloads.ts has no gzip100 workload')
  const loadBefore = os.loadavg()
  const tmp = mkdtempSync(join(os.tmpdir(), 'capture-bench-debug-ui-'))
  const started: RunningServer[] = []
  const cells: Cell[] = []
  try {
    const on = await startCapture('on', { DEBUG_UI_TOKEN: DEBUG_TOKEN, DEBUG_UI_EVENTS_PER_SECOND: String(options.cap) }, options, tmp)
    started.push(on.server)
    const off = await startCapture('off', { DEBUG_UI_TOKEN: '' }, options, tmp)
    started.push(off.server)
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? MODES : [...MODES].reverse()
      for (const mode of order) cells.push(await measure(mode, round, mode === 'off' ? off.server : on.server, gzip100.requests, options))
    }
  } finally {
    for (const server of started) await server.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
  const text = report(cells, options, loadBefore)
  process.stdout.write(text)
  if (options.save) saveRun(`debug-ui${options.rate === undefined ? '' : '-fixed-rate'}${options.cap === 100 ? '' : `-cap${options.cap}`}`, text, { options, loadBefore, loadAfter: os.loadavg(), cells })
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
