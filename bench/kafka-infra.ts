/**
 * The Kafka bench's infrastructure: one broker and one Redis (started here
 * with scripts/kafka/kafka-up.sh and scripts/redis-up.sh unless KAFKA_HOSTS /
 * REDIS_URL name running ones), the topics, the peer's binary, and the
 * topics' high-water marks (librdkafka's queryWatermarkOffsets through
 * @confluentinc/kafka-javascript, which capture already depends on).
 *
 * Everything started here registers its stop in a Cleanups list before it
 * starts, so an exception or Ctrl-C stops it (by pid file, through the
 * scripts' own down commands, which check the pid is theirs).
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import os from 'node:os'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { join } from 'node:path'

/** Stops run in reverse order of registration. */
export class Cleanups {
  private readonly steps: { name: string; run: () => Promise<void> }[] = []
  private running: Promise<void> | undefined
  /** Set once runAll started (Ctrl-C, exception): nothing new may start after it. */
  aborted = false

  add(name: string, run: () => Promise<void>): () => void {
    const step = { name, run }
    this.steps.push(step)
    return () => {
      const at = this.steps.indexOf(step)
      if (at !== -1) this.steps.splice(at, 1)
    }
  }

  /** Throws once the run is being torn down, so loops stop instead of starting servers again. */
  check(): void {
    if (this.aborted) throw new Error('interrupted')
  }

  runAll(): Promise<void> {
    this.aborted = true
    this.running ??= (async () => {
      while (this.steps.length > 0) {
        const step = this.steps.pop()!
        try {
          await step.run()
        } catch (err) {
          process.stderr.write(`bench: cleanup ${step.name} failed: ${err instanceof Error ? err.message : String(err)}\n`)
        }
      }
    })()
    return this.running
  }
}

/** Runs a script; resolves with its stdout (stderr passes through), rejects on a non-zero exit. */
export function runScript(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, options: { detached?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env, detached: options.detached ?? false })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.once('error', reject)
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}`))))
  })
}

const lastLine = (text: string): string => text.trim().split('\n').pop()?.trim() ?? ''

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)))
  })
}

/** A port below the ephemeral range (as CI does) whose neighbour is free too (the controller takes PORT+1). */
export async function freeLowPort(from: number, to: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from))
    if ((await portFree(port)) && (await portFree(port + 1))) return port
  }
  throw new Error(`no free port pair in ${from}-${to}`)
}

export interface Infra {
  readonly kafkaHosts: string
  readonly redisUrl: string
  /** 'started by the bench' or 'KAFKA_HOSTS' / 'REDIS_URL'. */
  readonly kafkaOrigin: string
  readonly redisOrigin: string
}

export async function startInfra(root: string, dir: string, cleanups: Cleanups): Promise<Infra> {
  const scripts = join(root, 'scripts')
  let kafkaHosts = process.env.KAFKA_HOSTS ?? ''
  let kafkaOrigin = 'KAFKA_HOSTS'
  if (kafkaHosts === '') {
    const kafkaDir = join(dir, 'kafka')
    const port = await freeLowPort(21000, 29000)
    cleanups.add('kafka broker', async () => void (await runScript('bash', [join(scripts, 'kafka', 'kafka-down.sh'), kafkaDir])))
    process.stderr.write(`bench: starting a Kafka broker on 127.0.0.1:${port} (${kafkaDir}/kafka.log)\n`)
    // Own process group: a Ctrl-C in the terminal reaches the bench, which stops the broker last.
    kafkaHosts = lastLine(await runScript('bash', [join(scripts, 'kafka', 'kafka-up.sh'), kafkaDir, String(port)], process.env, { detached: true }))
    kafkaOrigin = 'started by the bench (scripts/kafka/kafka-up.sh)'
  } else {
    process.stderr.write(`bench: using the broker at KAFKA_HOSTS=${kafkaHosts}; creating the topics\n`)
    await runScript('bash', [join(scripts, 'kafka', 'kafka-create-topics.sh'), kafkaHosts])
  }
  let redisUrl = process.env.REDIS_URL ?? ''
  let redisOrigin = 'REDIS_URL'
  if (redisUrl === '') {
    const redisDir = join(dir, 'redis')
    const port = await freeLowPort(16000, 19000)
    cleanups.add('redis-server', async () => void (await runScript('bash', [join(scripts, 'redis-down.sh'), redisDir])))
    redisUrl = lastLine(await runScript('bash', [join(scripts, 'redis-up.sh'), redisDir, String(port)], process.env, { detached: true }))
    redisOrigin = 'started by the bench (scripts/redis-up.sh)'
  }
  return { kafkaHosts, redisUrl, kafkaOrigin, redisOrigin }
}

/** The topics both servers may write to (scripts/kafka/lib.sh creates the same list). */
export const TOPICS = [
  'events_plugin_ingestion', 'events_plugin_ingestion_overflow', 'events_plugin_ingestion_historical', 'events_plugin_ingestion_dlq',
  'heatmaps_ingestion', 'exceptions_ingestion', 'error_tracking_events', 'session_recording_snapshot_item_events', 'session_recording_snapshot_item_overflow',
] as const

interface RdError extends Error { readonly code: number }
interface Consumer {
  connect(options: { timeout: number }, cb: (err: RdError | null) => void): void
  getMetadata(options: { timeout: number; topic?: string }, cb: (err: RdError | null, metadata: { topics: { name: string; partitions: { id: number }[] }[] }) => void): void
  queryWatermarkOffsets(topic: string, partition: number, timeout: number, cb: (err: RdError | null, offsets: { highOffset: number; lowOffset: number }) => void): void
  disconnect(cb: () => void): void
}
type ConsumerClass = new (conf: Record<string, string | number | boolean>, topicConf: Record<string, string>) => Consumer

/** Reads the summed high-water marks of TOPICS (per topic too), over one connection kept for the run. */
export class Watermarks {
  private constructor(private readonly consumer: Consumer, private readonly partitions: ReadonlyMap<string, readonly number[]>) {}

  static async open(hosts: string): Promise<Watermarks> {
    const { KafkaConsumer } = createRequire(import.meta.url)('@confluentinc/kafka-javascript') as { KafkaConsumer: ConsumerClass }
    const consumer = new KafkaConsumer({ 'bootstrap.servers': hosts, 'group.id': `capture-bench-${process.pid}`, 'enable.auto.commit': false, 'log_level': 3 }, {})
    await new Promise<void>((ok, fail) => consumer.connect({ timeout: 15_000 }, (err) => (err ? fail(err) : ok())))
    const partitions = new Map<string, number[]>()
    for (const topic of TOPICS) {
      const metadata = await new Promise<{ topics: { name: string; partitions: { id: number }[] }[] }>((ok, fail) =>
        consumer.getMetadata({ topic, timeout: 10_000 }, (err, m) => (err ? fail(err) : ok(m))))
      const ids = metadata.topics.find((t) => t.name === topic)?.partitions.map((p) => p.id) ?? []
      if (ids.length === 0) throw new Error(`topic ${topic} has no partitions on ${hosts}; create the topics first (scripts/kafka/kafka-create-topics.sh)`)
      partitions.set(topic, ids)
    }
    return new Watermarks(consumer, partitions)
  }

  /** Sum of high-water marks per topic (what was ever written: the topics are never compacted during a run). */
  async read(): Promise<Record<string, number>> {
    const out: Record<string, number> = {}
    await Promise.all([...this.partitions].map(async ([topic, ids]) => {
      const highs = await Promise.all(ids.map((partition) => new Promise<number>((ok, fail) =>
        this.consumer.queryWatermarkOffsets(topic, partition, 10_000, (err, o) => (err ? fail(err) : ok(o.highOffset))))))
      out[topic] = highs.reduce((a, b) => a + b, 0)
    }))
    return out
  }

  close(): Promise<void> {
    return new Promise((ok) => this.consumer.disconnect(() => ok()))
  }
}

/** Growth per topic between two readings, only topics that grew, plus the total. */
export function growth(before: Record<string, number>, after: Record<string, number>): { total: number; byTopic: Record<string, number> } {
  const byTopic: Record<string, number> = {}
  let total = 0
  for (const [topic, high] of Object.entries(after)) {
    const grew = high - (before[topic] ?? 0)
    if (grew !== 0) byTopic[topic] = grew
    total += grew
  }
  return { total, byTopic }
}

/** Where a release build of the peer usually is (cargo build --release -p capture in a hog-rs checkout there). */
const PEER_CACHE_BIN = join(os.homedir(), '.cache', 'capture-peer', 'hog-rs', 'target', 'release', 'capture')

/**
 * The peer's binary: --peer / PEER_BIN; else PEER_BUILD_SCRIPT, a script of
 * the operator's that builds it and prints its path last (it may wait for a
 * build in progress); else the usual cache location. The peer is never part
 * of this repository: bench/README.md says how to build it.
 */
export async function peerBinary(explicit: string | undefined): Promise<string> {
  const given = explicit ?? process.env.PEER_BIN
  if (given) return given
  const script = process.env.PEER_BUILD_SCRIPT
  if (script) {
    process.stderr.write(`bench: resolving the peer's binary with ${script} (waits for a running build)\n`)
    return lastLine(await runScript('bash', [script], process.env))
  }
  if (existsSync(PEER_CACHE_BIN)) return PEER_CACHE_BIN
  throw new Error(`no peer binary: build PostHog's Rust capture (bench/README.md) and pass --peer BIN or PEER_BIN, or set PEER_BUILD_SCRIPT; not found at ${PEER_CACHE_BIN}`)
}
