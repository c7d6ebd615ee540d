/**
 * Disk per event: how many bytes of DATA_DIR one accepted event takes, for
 * the sizing guide (docs/sizing.md). For each SDK-shaped workload of
 * workloads.ts, a fresh capture (node dist/main.js, local log, one worker) on
 * 127.0.0.1 receives the workload's requests until at least --events events
 * are acknowledged; then it is stopped and its segments are measured, as
 * stored and gzip'd (what an archive of rotated segments would take).
 *
 *   npx tsx bench/disk-usage.ts [--events N] [--no-save]
 *
 * Writes bench/results/<date>-<host>-disk.{json,md}. Time is not measured
 * here; it is a size count, stable run to run for the same workload pool.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { buildWorkloads, type BenchRequest, type Workload } from './workloads.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const MEASURED = ['json5', 'gzip100', 'js-e'] as const

interface Row {
  readonly workload: string
  readonly description: string
  readonly events: number
  readonly meanEventJsonBytes: number
  readonly meanBodyBytes: number
  readonly logBytes: number
  readonly bytesPerEvent: number
  readonly gzipBytesPerEvent: number
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

function send(port: number, request: BenchRequest | { method: 'GET'; path: string; headers: Record<string, string>; body?: Buffer }): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = request.body ?? Buffer.alloc(0)
    const req = http.request({ host: '127.0.0.1', port, method: request.method, path: request.path, headers: { ...request.headers, 'content-length': body.length }, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function measure(workload: Workload, minEvents: number): Promise<Row> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'capture-disk-'))
  const port = await freePort()
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ADDRESS: `127.0.0.1:${port}`, DATA_DIR: dataDir, LOG_LEVEL: 'warn', DEDUP_ENABLED: 'false', ...workload.captureEnv },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  try {
    for (let ready = false; !ready; await new Promise((resolve) => setTimeout(resolve, 50))) {
      ready = await send(port, { method: 'GET', path: '/_readiness', headers: {} }).then((s) => s === 200, () => false)
    }
    let events = 0
    for (let i = 0; events < minEvents; i++) {
      const status = await send(port, workload.requests[i % workload.requests.length]!)
      if (status !== 200) throw new Error(`${workload.name}: capture answered ${status}`)
      events += workload.eventsPerRequest
    }
    child.kill('SIGTERM')
    await exited
    const segments = (await readdir(dataDir)).filter((name) => name.endsWith('.ndjson'))
    let logBytes = 0
    const contents: Buffer[] = []
    for (const name of segments) {
      logBytes += (await stat(path.join(dataDir, name))).size
      contents.push(await readFile(path.join(dataDir, name)))
    }
    const gzipBytes = gzipSync(Buffer.concat(contents)).length
    return {
      workload: workload.name, description: workload.description, events,
      meanEventJsonBytes: Math.round(workload.meanEventBytes), meanBodyBytes: Math.round(workload.meanBodyBytes),
      logBytes, bytesPerEvent: Math.round(logBytes / events), gzipBytesPerEvent: Math.round(gzipBytes / events),
    }
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
    await rm(dataDir, { recursive: true, force: true })
  }
}

function render(rows: readonly Row[], when: Date): string {
  const gb = (perEvent: number): string => (perEvent * 1e6 / 1024 ** 3).toFixed(2)
  return [
    `# Disk per event, ${when.toISOString()}`,
    '',
    `Machine: ${os.hostname()}, Node ${process.version}. capture: node dist/main.js, local log, WORKERS=1, DEDUP_ENABLED=false (bench/disk-usage.ts).`,
    '',
    '| workload | events | event as JSON (B) | body on the wire (B) | log bytes per event | GiB per million events | gzip\'d bytes per event | gzip\'d GiB per million |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.workload} | ${r.events.toLocaleString('en')} | ${r.meanEventJsonBytes} | ${r.meanBodyBytes} | ${r.bytesPerEvent} | ${gb(r.bytesPerEvent)} | ${r.gzipBytesPerEvent} | ${gb(r.gzipBytesPerEvent)} |`),
    '',
    ...rows.map((r) => `- \`${r.workload}\`: ${r.description}`),
    '',
  ].join('\n')
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const eventsAt = args.indexOf('--events')
  const minEvents = eventsAt === -1 ? 20_000 : Number(args[eventsAt + 1])
  const workloads = buildWorkloads({ poolSize: 8 }).filter((w) => (MEASURED as readonly string[]).includes(w.name))
  const rows: Row[] = []
  for (const workload of workloads) rows.push(await measure(workload, minEvents))
  const when = new Date()
  const text = render(rows, when)
  process.stdout.write(text)
  if (args.includes('--no-save')) return
  const base = path.join(ROOT, 'bench', 'results', `${when.toISOString().slice(0, 10)}-${os.hostname()}-disk`)
  await writeFile(`${base}.json`, JSON.stringify({ when: when.toISOString(), rows }, null, 2) + '\n')
  await writeFile(`${base}.md`, text)
  process.stderr.write(`wrote ${base}.{json,md}\n`)
}

await main()
