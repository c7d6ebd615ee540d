/**
 * The Kafka sink benchmark: for each workload × worker count, in one run and
 * one after the other on 127.0.0.1, the floor server, capture on the local log
 * (fsync before each 200) and capture on Kafka (KAFKA_HOSTS, acks=all, lz4,
 * idempotent; a 200 only after the broker acknowledged), each driven by
 * autocannon from a separate process (bench/load.ts). Reports events/s, p99,
 * RSS per worker and CPU, the Kafka/local and Kafka/floor ratios, and checks
 * that Kafka holds at least as many messages as events were acknowledged.
 *
 *   KAFKA_HOSTS=127.0.0.1:19092 npx tsx bench/kafka-sink.ts [--duration 10] [--warmup 2]
 *     [--workers 1,2] [--connections 50] [--workloads json5,gzip100,js-e] [--variants floor,local,kafka]
 *     [--kafka-env KEY=VALUE]... [--no-save]
 *
 * Writes bench/results/<date>-kafka-sink.{json,md}. The broker shares the
 * machine's cores with capture and the generator, as in production it would not.
 */
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadRdKafka } from '../src/sinks/kafka/rdkafka-module.js'
import { createTopics } from '../test/helpers/kafka.js'
import type { LoadJob, LoadMessage, LoadResult } from './load.js'
import { TreeSampler, type TreeStats } from './proc-stats.js'
import { round } from './report.js'
import { ensureCaptureBuild, freePort, startServer, transpileFloor } from './servers.js'
import { buildWorkloads, CAPTURE_ENV_DEFAULTS, type Workload, type WorkloadName } from './workloads.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
type Variant = 'floor' | 'local' | 'kafka'
const VARIANTS: readonly Variant[] = ['floor', 'local', 'kafka']

interface Options { duration: number; warmup: number; workers: number[]; connections: number; workloads: WorkloadName[]; save: boolean; kafkaEnv: Record<string, string>; variants: Variant[] }

interface Row {
  readonly workload: WorkloadName
  readonly workers: number
  readonly variant: Variant
  readonly eventsPerSec: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly non2xx: number
  readonly maxWorkerRssMiB: number
  readonly totalRssMiB: number
  readonly serverCpuCores: number
  /** Kafka only: messages the topic gained vs events acknowledged with a 2xx. */
  readonly kafkaMessages?: number
  readonly acknowledgedEvents?: number
}

function parse(argv: readonly string[]): Options {
  const options: Options = { duration: 10, warmup: 2, workers: [1, 2], connections: 50, workloads: ['json5', 'gzip100', 'js-e'], save: true, kafkaEnv: {}, variants: [...VARIANTS] }
  for (let i = 0; i < argv.length; i++) {
    const value = (): string => argv[++i] ?? ''
    switch (argv[i]) {
      case '--duration': options.duration = Number(value()); break
      case '--warmup': options.warmup = Number(value()); break
      case '--connections': options.connections = Number(value()); break
      case '--workers': options.workers = value().split(',').map(Number); break
      case '--workloads': options.workloads = value().split(',') as WorkloadName[]; break
      case '--no-save': options.save = false; break
      case '--variants': options.variants = value().split(',') as Variant[]; break
      case '--kafka-env': {
        const [key, ...rest] = value().split('=')
        options.kafkaEnv[key!] = rest.join('=')
        break
      }
      default: throw new Error(`unknown option ${argv[i]}`)
    }
  }
  return options
}

function runLoad(job: LoadJob, onMeasuring: () => void): Promise<LoadResult> {
  const child = fork(join(ROOT, 'bench', 'load.ts'), [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise<LoadResult>((done, fail) => {
    child.on('message', (message: LoadMessage) => {
      if (message.type === 'measuring') onMeasuring()
      else if (message.type === 'result') done(message.result)
      else fail(new Error(message.message))
    })
    child.once('exit', (code) => fail(new Error(`load generator exited (${code})`)))
    child.send(job)
  })
}

/** Messages now in `topic` (sum of high watermarks; the topic is new, so low = 0). */
async function topicSize(hosts: string, topic: string): Promise<number> {
  const { KafkaConsumer } = await loadRdKafka()
  const consumer = new KafkaConsumer({ 'bootstrap.servers': hosts, 'group.id': `bench-${process.pid}` })
  await new Promise<void>((ok, fail) => consumer.connect({ timeout: 10_000 }, (err) => (err ? fail(err) : ok())))
  try {
    let total = 0
    for (let partition = 0; partition < 4; partition++) {
      total += await new Promise<number>((ok, fail) => consumer.queryWatermarkOffsets(topic, partition, 10_000, (err, o) => (err ? fail(err) : ok(o.highOffset - o.lowOffset))))
    }
    return total
  } finally {
    await new Promise((ok) => consumer.disconnect(ok))
  }
}

async function measure(workload: Workload, workers: number, variant: Variant, ctx: { hosts: string; tmp: string; floor: string; options: Options }): Promise<Row> {
  const topic = `bench_${workload.name.replace(/\W/g, '_')}_w${workers}_${Date.now()}`
  if (variant === 'kafka') await createTopics(ctx.hosts, [topic], { partitions: 4 })
  const dataDir = mkdtempSync(join(ctx.tmp, `${variant}-`))
  const env = variant === 'floor' ? {} : {
    ...CAPTURE_ENV_DEFAULTS, ...workload.captureEnv,
    KAFKA_HOSTS: variant === 'kafka' ? ctx.hosts : '', KAFKA_TOPIC: topic,
    ...(variant === 'kafka' ? ctx.options.kafkaEnv : {}),
  }
  const server = await startServer({
    kind: variant === 'floor' ? 'floor' : 'capture', script: variant === 'floor' ? ctx.floor : join(ROOT, 'dist', 'main.js'),
    workers, port: await freePort(), env, dataDir, logFile: join(ctx.tmp, `${variant}.log`), cwd: ROOT,
  })
  try {
    const sampler = new TreeSampler(server.pid)
    const load = await runLoad({
      url: `http://127.0.0.1:${server.port}`, connections: ctx.options.connections, warmupSeconds: ctx.options.warmup, durationSeconds: ctx.options.duration,
      idReplacement: workload.uniquePerRequest,
      requests: workload.requests.map((r) => ({ method: r.method, path: r.path, headers: { ...r.headers }, bodyBase64: r.body.toString('base64') })),
    }, () => sampler.start())
    const stats = sampler.stop()
    await server.stop()
    const acknowledged = (load.warmup2xx + load.ok2xx) * workload.eventsPerRequest
    const kafka = variant === 'kafka' ? { kafkaMessages: await topicSize(ctx.hosts, topic), acknowledgedEvents: acknowledged } : {}
    return { ...figures(workload, workers, variant, load, stats), ...kafka }
  } finally {
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

function figures(workload: Workload, workers: number, variant: Variant, load: LoadResult, stats: TreeStats): Row {
  const workerRss = stats.processes.filter((p) => p.role !== 'primary').map((p) => p.maxRssMiB)
  return {
    workload: workload.name, workers, variant,
    eventsPerSec: round((load.ok2xx / load.seconds) * workload.eventsPerRequest),
    p50Ms: load.latencyMs.p50, p99Ms: load.latencyMs.p99, non2xx: load.non2xx,
    maxWorkerRssMiB: round(Math.max(0, ...workerRss), 1), totalRssMiB: round(stats.maxTotalRssMiB, 1),
    serverCpuCores: round(stats.cpuCores, 2),
  }
}

function table(rows: readonly Row[]): string {
  const lines = [
    '| workload | workers | server | events/s | vs local | vs floor | p50 ms | p99 ms | non-2xx | RSS/worker MiB | CPU cores | Kafka msgs ≥ acked |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ]
  for (const row of rows) {
    const peer = (variant: Variant): Row | undefined => rows.find((r) => r.workload === row.workload && r.workers === row.workers && r.variant === variant)
    const ratio = (other: Row | undefined): string => (other && other !== row && other.eventsPerSec > 0 ? `${Math.round((row.eventsPerSec / other.eventsPerSec) * 100)}%` : '')
    const check = row.kafkaMessages === undefined ? '' : `${row.kafkaMessages >= row.acknowledgedEvents! ? 'yes' : 'NO'} (${row.kafkaMessages} ≥ ${row.acknowledgedEvents})`
    lines.push(`| ${row.workload} | ${row.workers} | ${row.variant} | ${Math.round(row.eventsPerSec).toLocaleString('en-US')} | ${row.variant === 'kafka' ? ratio(peer('local')) : ''} | ${row.variant === 'floor' ? '' : ratio(peer('floor'))} | ${row.p50Ms} | ${row.p99Ms} | ${row.non2xx} | ${row.maxWorkerRssMiB} | ${row.serverCpuCores} | ${check} |`)
  }
  return lines.join('\n')
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2))
  const hosts = process.env.KAFKA_HOSTS
  if (!hosts) throw new Error('KAFKA_HOSTS must name the broker to benchmark against (scripts/kafka/kafka-up.sh DIR PORT)')
  const loadAtStart = os.loadavg().map((n) => n.toFixed(1))
  ensureCaptureBuild(ROOT, false)
  const tmp = mkdtempSync(join(os.tmpdir(), 'capture-bench-kafka-'))
  const ctx = { hosts, tmp, floor: transpileFloor(ROOT, tmp), options }
  const rows: Row[] = []
  const workloads = buildWorkloads({ poolSize: 8 }).filter((w) => options.workloads.includes(w.name))
  for (const workload of workloads) {
    for (const workers of options.workers) {
      for (const variant of options.variants) {
        process.stderr.write(`bench: ${workload.name} × ${workers} worker(s) × ${variant} … `)
        const row = await measure(workload, workers, variant, ctx)
        rows.push(row)
        process.stderr.write(`${Math.round(row.eventsPerSec).toLocaleString('en-US')} events/s, p99 ${row.p99Ms} ms, RSS/worker ${row.maxWorkerRssMiB} MiB\n`)
      }
    }
  }
  rmSync(tmp, { recursive: true, force: true })
  const text = table(rows)
  process.stdout.write(`\n${text}\n`)
  if (!options.save) return
  const dir = join(ROOT, 'bench', 'results')
  mkdirSync(dir, { recursive: true })
  const stem = join(dir, `${new Date().toISOString().slice(0, 10)}-kafka-sink`)
  const machine = `${os.availableParallelism()} CPUs (${os.cpus()[0]?.model.trim()}), Node ${process.version}; broker on the same machine; ` +
    `load average ${loadAtStart.join('/')} at the start, ${os.loadavg().map((n) => n.toFixed(1)).join('/')} at the end`
  writeFileSync(`${stem}.json`, JSON.stringify({ startedAt: new Date().toISOString(), machine, options, rows }, null, 2) + '\n')
  writeFileSync(`${stem}.md`, `# Kafka sink vs local log vs floor\n\n${machine}; ${options.duration} s measured after ${options.warmup} s warm-up, ${options.connections} connections.\n\n${text}\n`)
  process.stdout.write(`wrote ${stem}.json and .md\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
