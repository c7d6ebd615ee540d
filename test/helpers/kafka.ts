/**
 * Kafka test helpers: the broker under test (KAFKA_HOSTS, required: a Kafka
 * suite fails, never skips, without it), topics per test run, reading a
 * topic back with a real consumer, and a private broker started from
 * scripts/kafka for tests that kill it.
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { loadRdKafka, type RdConsumer, type RdMessage, type RdMetadata } from '../../src/sinks/kafka/rdkafka-module.js'
import type { LogLine } from '../../src/sinks/local-log/log-line.js'

const run = promisify(execFile)
const REPO = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const SCRIPTS = process.env.KAFKA_SCRIPTS ?? path.join(REPO, 'scripts', 'kafka')

/** The broker under test; throws (failing the suite) when KAFKA_HOSTS is not set. */
export function kafkaHosts(): string {
  const hosts = process.env.KAFKA_HOSTS
  if (hosts === undefined || hosts === '') {
    throw new Error('KAFKA_HOSTS is not set: the Kafka suites need a broker (scripts/kafka/kafka-up.sh DIR PORT, as .ci/run does)')
  }
  return hosts
}

/** A prefix unique to this run, for topic names. */
export const runPrefix = (label: string): string => `t_${label}_${randomUUID().slice(0, 8)}`

export interface TopicOptions {
  readonly partitions?: number
  readonly maxMessageBytes?: number
  /** Replicas per partition (1: the single test broker). */
  readonly replicationFactor?: number
  /** min.insync.replicas of the topic (unset: the broker's default). */
  readonly minInsyncReplicas?: number
}

export async function createTopics(hosts: string, topics: readonly string[], options: TopicOptions = {}): Promise<void> {
  const { AdminClient } = await loadRdKafka()
  const admin = AdminClient.create({ 'bootstrap.servers': hosts, 'client.id': 'capture-test-admin' })
  try {
    for (const topic of topics) {
      await new Promise<void>((resolve, reject) => admin.createTopic({
        topic,
        num_partitions: options.partitions ?? 4,
        replication_factor: options.replicationFactor ?? 1,
        config: {
          'max.message.bytes': String(options.maxMessageBytes ?? 10 * 1024 * 1024),
          ...(options.minInsyncReplicas === undefined ? {} : { 'min.insync.replicas': String(options.minInsyncReplicas) }),
        },
      }, 15_000, (err) => (err && !/already exists/i.test(err.message) ? reject(err) : resolve())))
    }
  } finally {
    admin.disconnect()
  }
}

/** One consumed record, in the shape of a stored log line (ts = Kafka timestamp), plus where it sat. */
export interface ConsumedRecord extends LogLine {
  readonly partition: number
  readonly offset: number
  /** The value bytes as Kafka holds them. */
  readonly valueText: string
}

/** Every record now in `topics`, partition by partition in offset order. */
export async function readTopics(hosts: string, topics: readonly string[], timeoutMs = 30_000): Promise<ConsumedRecord[]> {
  const { KafkaConsumer } = await loadRdKafka()
  const consumer = new KafkaConsumer(
    { 'bootstrap.servers': hosts, 'group.id': `capture-test-${randomUUID()}`, 'enable.auto.commit': false, 'fetch.message.max.bytes': 16 * 1024 * 1024 },
    { 'auto.offset.reset': 'earliest' },
  )
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())))
  try {
    const targets = await highWatermarks(consumer, topics)
    const wanted = targets.filter((t) => t.high > t.low)
    if (wanted.length === 0) return []
    consumer.assign(wanted.map((t) => ({ topic: t.topic, partition: t.partition, offset: t.low })))
    const messages = await consumeUntil(consumer, wanted, timeoutMs)
    return messages.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition || a.offset - b.offset : a.topic < b.topic ? -1 : 1)).map(toRecord)
  } finally {
    await new Promise((resolve) => consumer.disconnect(resolve))
  }
}

interface PartitionRange { readonly topic: string; readonly partition: number; readonly low: number; readonly high: number }

async function highWatermarks(consumer: RdConsumer, topics: readonly string[]): Promise<PartitionRange[]> {
  const ranges: PartitionRange[] = []
  for (const topic of topics) {
    const metadata = await new Promise<RdMetadata>((resolve, reject) =>
      consumer.getMetadata({ topic, timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))))
    const partitions = metadata.topics.find((t) => t.name === topic)?.partitions ?? []
    for (const { id } of partitions) {
      const offsets = await new Promise<{ lowOffset: number; highOffset: number }>((resolve, reject) =>
        consumer.queryWatermarkOffsets(topic, id, 10_000, (err, o) => (err ? reject(err) : resolve(o))))
      ranges.push({ topic, partition: id, low: offsets.lowOffset, high: offsets.highOffset })
    }
  }
  return ranges
}

async function consumeUntil(consumer: RdConsumer, wanted: readonly PartitionRange[], timeoutMs: number): Promise<RdMessage[]> {
  const remaining = new Map(wanted.map((t) => [`${t.topic}/${t.partition}`, t.high]))
  const messages: RdMessage[] = []
  const deadline = Date.now() + timeoutMs
  while (remaining.size > 0) {
    if (Date.now() > deadline) throw new Error(`timed out consuming; still waiting for ${[...remaining.keys()].join(', ')}`)
    const batch = await new Promise<RdMessage[]>((resolve, reject) => consumer.consume(1000, (err, m) => (err ? reject(err) : resolve(m))))
    for (const message of batch) {
      messages.push(message)
      const key = `${message.topic}/${message.partition}`
      const high = remaining.get(key)
      if (high !== undefined && message.offset + 1 >= high) remaining.delete(key)
    }
  }
  return messages
}

function toRecord(message: RdMessage): ConsumedRecord {
  const headers: Record<string, string> = {}
  for (const header of message.headers ?? []) for (const [name, value] of Object.entries(header)) headers[name] = value.toString()
  const valueText = message.value?.toString('utf8') ?? ''
  return {
    topic: message.topic,
    key: message.key === null || message.key === undefined ? null : message.key.toString(),
    headers,
    value: valueText === '' ? null : JSON.parse(valueText),
    ts: message.timestamp ?? 0,
    partition: message.partition,
    offset: message.offset,
    valueText,
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes (then throws with `what`). */
export async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

/** A broker of its own (scripts/kafka), for tests that kill and restart it. */
export interface PrivateBroker {
  readonly hosts: string
  kill(): Promise<void>
  restart(): Promise<void>
  stop(): Promise<void>
}

export async function startPrivateBroker(): Promise<PrivateBroker> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'capture-test-kafka-'))
  const port = await freePortPair()
  const up = async (keep: boolean): Promise<string> => {
    const { stdout } = await run(path.join(SCRIPTS, 'kafka-up.sh'), [dir, String(port)], {
      env: { ...process.env, KAFKA_KEEP_DATA: keep ? '1' : '0', KAFKA_CREATE_TOPICS: '0' },
      timeout: 180_000,
    })
    return stdout.trim().split('\n').at(-1)!
  }
  const down = (kill: boolean): Promise<unknown> => run(path.join(SCRIPTS, 'kafka-down.sh'), kill ? [dir, '--kill'] : [dir], { timeout: 60_000 })
  const hosts = await up(false)
  return {
    hosts,
    kill: async () => void (await down(true)),
    restart: async () => void (await up(true)),
    stop: async () => {
      await down(false).catch(() => undefined)
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** A port P with P and P+1 (the controller) free on 127.0.0.1, in 20000–31999. */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below the kernel's ephemeral range (32768+), so no outgoing connection can take it on a restart.
    const port = 20_000 + Math.floor(Math.random() * 6_000) * 2
    if ((await isFree(port)) && (await isFree(port + 1))) return port
  }
  throw new Error('no free port pair for a private broker')
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}
