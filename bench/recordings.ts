/**
 * The session-recording benchmark: posthog-js-shaped `/s/` requests of about
 * 1 MB of recording JSON each, gzip'd and sent as `text/plain` with no
 * compression marker (as posthog-js 1.449 sends them), driven at capture
 * (local log sink, fsync'd before each 200) and at the floor server
 * (bench/floor-server.ts) one after the other in the same run, on 127.0.0.1,
 * with autocannon in a separate process (bench/load.ts).
 *
 * Reports, per server: requests/s, MB/s of recording JSON (decoded) and of
 * wire bytes (gzip), latency p50/p99, server CPU, and for capture the
 * messages written per request (> 1 when a recording was split) and whether
 * the local log holds every acknowledged request. De-duplication is turned
 * off in the servers' environment: the pool's bodies repeat, and the bench
 * measures the write path, not the duplicate drop.
 *
 *   npx tsx bench/recordings.ts [--duration 10] [--warmup 2] [--connections 8] [--workers 1]
 *                               [--recording-kb 1000] [--pool 8] [--no-build] [--no-save] [--profile <dir>]
 */
import { fork } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { LoadJob, LoadMessage, LoadResult } from './load.js'
import { TreeSampler } from './proc-stats.js'
import { ensureCaptureBuild, freePort, startServer, transpileFloor, type LocalServerKind } from './servers.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const TOKEN = 'phc_bench_0123456789abcdefghijklmnopqrstuvwxyzABCD'
const CHROME_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36'

interface Options {
  duration: number
  warmup: number
  connections: number
  workers: number
  recordingKb: number
  pool: number
  build: boolean
  save: boolean
  /** When set, capture writes V8 CPU profiles here (read them with bench/profile-top.ts). */
  profileDir?: string
}

interface Request {
  readonly path: string
  readonly headers: Record<string, string>
  readonly body: Buffer
  readonly decodedBytes: number
}

interface Row {
  readonly server: LocalServerKind
  readonly requestsPerSec: number
  readonly decodedMBps: number
  readonly wireMBps: number
  readonly latencyMs: LoadResult['latencyMs']
  readonly non2xx: number
  readonly errors: number
  readonly serverCpuCores: number
  readonly maxRssMiB: number
  readonly messagesPerRequest?: number
  readonly durable?: boolean
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { duration: 10, warmup: 2, connections: 8, workers: 1, recordingKb: 1000, pool: 8, build: true, save: true }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!
    const number = (): number => {
      const n = Number(argv[++i])
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number`)
      return n
    }
    if (flag === '--duration') options.duration = number()
    else if (flag === '--warmup') options.warmup = number()
    else if (flag === '--connections') options.connections = number()
    else if (flag === '--workers') options.workers = number()
    else if (flag === '--recording-kb') options.recordingKb = number()
    else if (flag === '--pool') options.pool = number()
    else if (flag === '--no-build') options.build = false
    else if (flag === '--no-save') options.save = false
    else if (flag === '--profile') options.profileDir = resolve(String(argv[++i]))
    else throw new Error(`unknown option ${flag}`)
  }
  return options
}

/** mulberry32, so two runs send the same content. */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), a | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * One recording as posthog-js buffers it: a meta event, a full snapshot whose
 * DOM posthog-js has gzip'd into a latin1 string (a quarter of the bytes), and
 * rrweb incremental mutations and mouse moves for the rest.
 */
function recordingItems(targetBytes: number, rng: () => number, startMs: number): unknown[] {
  const words = ['button', 'pricing', 'checkout', 'dashboard', 'insight', 'replay', 'cohort', 'feature', 'flag', 'survey']
  const word = (): string => words[Math.floor(rng() * words.length)]!
  const latin1 = (n: number): string => String.fromCharCode(...Array.from({ length: n }, () => Math.floor(rng() * 256)))
  const items: unknown[] = [{ type: 4, data: { href: 'http://127.0.0.1:8080/app/insights', width: 1280, height: 720 }, timestamp: startMs }]
  const fullBytes = Math.floor(targetBytes / 4)
  let full = ''
  while (full.length < fullBytes / 2) full += latin1(4096)
  items.push({ type: 2, data: full, timestamp: startMs + 5, cv: '2024-10' })
  let size = JSON.stringify(items).length
  for (let i = 0; size < targetBytes; i++) {
    const item = rng() < 0.6
      ? { type: 3, data: { source: 0, texts: [], attributes: [{ id: 100 + i, attributes: { class: `${word()} ${word()}--active` } }], removes: [], adds: [{ parentId: 40 + (i % 50), nextId: null, node: { type: 2, tagName: 'div', attributes: { class: word(), 'data-attr': `${word()}-${i}` }, childNodes: [], id: 1000 + i } }] }, timestamp: startMs + 10 + i }
      : { type: 3, data: { source: 1, positions: Array.from({ length: 6 }, (_, k) => ({ x: Math.floor(rng() * 1280), y: Math.floor(rng() * 720), id: 12, timeOffset: -k * 16 })) }, timestamp: startMs + 10 + i }
    items.push(item)
    size += JSON.stringify(item).length + 1
  }
  return items
}

function buildRequests(options: Options): Request[] {
  const rng = seeded(42)
  return Array.from({ length: options.pool }, (_, n) => {
    const startMs = Date.now() - 60_000
    const sessionId = `0190a1b2-c3d4-7e5f-8a9b-${String(n).padStart(12, '0')}`
    const items = recordingItems(options.recordingKb * 1000, rng, startMs)
    const event = {
      uuid: `0190a1b2-c3d4-7e5f-9a9b-${String(n).padStart(12, '0')}`,
      event: '$snapshot',
      properties: {
        $snapshot_bytes: JSON.stringify(items).length, $session_id: sessionId, $window_id: sessionId, $lib: 'web', $lib_version: '1.449.2',
        $snapshot_host: '127.0.0.1', token: TOKEN, distinct_id: `user-${n}`, $snapshot_data: items,
      },
      timestamp: new Date(startMs).toISOString(),
      sent_at: new Date(startMs + 3000).toISOString(),
    }
    const json = JSON.stringify([event])
    return { path: '/s/', headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA, origin: 'http://127.0.0.1:8080' }, body: gzipSync(json), decodedBytes: Buffer.byteLength(json) }
  })
}

function runLoad(job: LoadJob, onMeasuring: () => void): Promise<LoadResult> {
  const child = fork(join(ROOT, 'bench', 'load.ts'), [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise<LoadResult>((resolvePromise, reject) => {
    child.on('message', (message: LoadMessage) => {
      if (message.type === 'measuring') onMeasuring()
      else if (message.type === 'result') resolvePromise(message.result)
      else reject(new Error(`load generator failed: ${message.message}`))
    })
    child.once('exit', (code) => reject(new Error(`load generator exited (${code}) without a result`)))
    child.send(job)
  }).finally(() => void child.kill('SIGKILL'))
}

function countLines(dir: string): number {
  let lines = 0
  for (const name of readdirSync(dir)) {
    const text = readFileSync(join(dir, name))
    for (let at = text.indexOf(10); at !== -1; at = text.indexOf(10, at + 1)) lines++
  }
  return lines
}

async function measure(kind: LocalServerKind, script: string, requests: readonly Request[], options: Options, tmp: string): Promise<Row> {
  const dataDir = mkdtempSync(join(tmp, `${kind}-data-`))
  const port = await freePort()
  const cpuProfileDir = kind === 'capture' ? options.profileDir : undefined
  if (cpuProfileDir !== undefined) mkdirSync(cpuProfileDir, { recursive: true })
  const server = await startServer({ kind, script, workers: options.workers, port, dataDir, logFile: join(tmp, `${kind}.log`), cwd: ROOT, cpuProfileDir })
  try {
    const first = requests[0]!
    const check = await fetch(`http://127.0.0.1:${port}${first.path}`, { method: 'POST', headers: first.headers, body: first.body })
    if (check.status !== 200) throw new Error(`${kind}: sanity request answered ${check.status} ${(await check.text()).slice(0, 300)}`)
    await check.arrayBuffer().catch(() => undefined)
    const sampler = new TreeSampler(server.pid)
    const job: LoadJob = {
      url: `http://127.0.0.1:${port}`, connections: options.connections, warmupSeconds: options.warmup, durationSeconds: options.duration,
      requests: requests.map((r) => ({ method: 'POST', path: r.path, headers: r.headers, bodyBase64: r.body.toString('base64') })),
    }
    const load = await runLoad(job, () => sampler.start())
    const stats = sampler.stop()
    await server.stop()
    const perSec = load.ok2xx / load.seconds
    const mean = (f: (r: Request) => number): number => requests.reduce((sum, r) => sum + f(r), 0) / requests.length
    const acknowledged = 1 + load.warmup2xx + load.ok2xx
    const lines = kind === 'capture' ? countLines(dataDir) : undefined
    return {
      server: kind,
      requestsPerSec: round(perSec, 1),
      decodedMBps: round((perSec * mean((r) => r.decodedBytes)) / 1e6, 1),
      wireMBps: round((perSec * mean((r) => r.body.length)) / 1e6, 1),
      latencyMs: load.latencyMs,
      non2xx: load.non2xx,
      errors: load.errors,
      serverCpuCores: stats.cpuCores,
      maxRssMiB: stats.maxTotalRssMiB,
      messagesPerRequest: lines === undefined ? undefined : round(lines / acknowledged, 2),
      durable: lines === undefined ? undefined : lines >= acknowledged,
    }
  } finally {
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const round = (n: number, digits = 0): number => Math.round(n * 10 ** digits) / 10 ** digits

function table(rows: readonly Row[]): string {
  const lines = [
    '| server | req/s | MB/s recording (decoded) | MB/s wire (gzip) | p50 ms | p99 ms | non-2xx | server CPU (cores) | max RSS MiB | messages/request | all acked in log |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ]
  for (const r of rows) {
    lines.push(`| ${r.server} | ${r.requestsPerSec} | ${r.decodedMBps} | ${r.wireMBps} | ${r.latencyMs.p50} | ${r.latencyMs.p99} | ${r.non2xx + r.errors} | ${r.serverCpuCores} | ${round(r.maxRssMiB)} | ${r.messagesPerRequest ?? '–'} | ${r.durable === undefined ? '–' : r.durable ? 'yes' : 'NO'} |`)
  }
  const floor = rows.find((r) => r.server === 'floor')
  const capture = rows.find((r) => r.server === 'capture')
  if (floor && capture) lines.push('', `capture / floor MB/s: ${round(capture.decodedMBps / floor.decodedMBps, 2)}`)
  return lines.join('\n')
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2))
  if (options.build) ensureCaptureBuild(ROOT, false)
  // autocannon replays a small pool of fixed bodies; with de-duplication on, every repeat would be
  // answered 200 without a write. The bench measures the write path, so it is off (servers inherit env).
  process.env.DEDUP_ENABLED = 'false'
  const tmp = mkdtempSync(join(os.tmpdir(), 'capture-bench-recordings-'))
  const requests = buildRequests(options)
  const meanBody = round(requests.reduce((s, r) => s + r.body.length, 0) / requests.length / 1000)
  const meanDecoded = round(requests.reduce((s, r) => s + r.decodedBytes, 0) / requests.length / 1000)
  process.stderr.write(`bench: /s recordings of ${meanDecoded} kB JSON, ${meanBody} kB gzip'd; ${options.connections} connections, ${options.workers} worker(s), ${os.availableParallelism()} CPUs shared with the generator\n`)
  const scripts: Record<LocalServerKind, string> = { capture: join(ROOT, 'dist', 'main.js'), floor: transpileFloor(ROOT, tmp) }
  const rows: Row[] = []
  try {
    for (const kind of ['floor', 'capture'] as const) {
      process.stderr.write(`bench: ${kind} … `)
      const row = await measure(kind, scripts[kind], requests, options, tmp)
      rows.push(row)
      process.stderr.write(`${row.decodedMBps} MB/s, p99 ${row.latencyMs.p99} ms\n`)
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  const text = table(rows)
  process.stdout.write(`\n${text}\n`)
  if (options.save) {
    const dir = join(ROOT, 'bench', 'results')
    mkdirSync(dir, { recursive: true })
    const name = `${new Date().toISOString().slice(0, 10)}-${os.hostname()}-recordings`
    const settings = { ...options, meanDecodedKB: meanDecoded, meanBodyKB: meanBody, nproc: os.availableParallelism(), node: process.version, loadAvg: os.loadavg() }
    writeFileSync(join(dir, `${name}.json`), `${JSON.stringify({ startedAt: new Date().toISOString(), settings, rows }, null, 2)}\n`)
    writeFileSync(join(dir, `${name}.md`), `# Recordings bench ${name}\n\n\`${JSON.stringify(settings)}\`\n\n${text}\n`)
    process.stdout.write(`wrote bench/results/${name}.{json,md}\n`)
  }
  if (rows.some((r) => r.durable === false || r.non2xx + r.errors > 0)) process.exitCode = 1
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
