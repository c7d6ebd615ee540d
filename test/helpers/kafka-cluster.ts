/**
 * A 3-node Kafka cluster of the test's own (scripts/kafka/kafka-cluster-up.sh)
 * on six free 127.0.0.1 ports, for tests that kill, stop and restart single
 * brokers under load. Every node is stopped through its pid file
 * (kafka-cluster-down.sh) by stop(), which the test must call in an `after`
 * hook so a failing test leaves no JVM behind.
 *
 * Partition state (leader, replicas, ISR) and offsets are read with
 * librdkafka's metadata and offset requests, the view a client gets.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { randomUUID } from 'node:crypto'
import { loadRdKafka, type RdConsumer } from '../../src/sinks/kafka/rdkafka-module.js'
import { eventually } from './kafka.js'
import { isAlive } from './processes.js'

const run = promisify(execFile)
const REPO = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const SCRIPTS = process.env.KAFKA_SCRIPTS ?? path.join(REPO, 'scripts', 'kafka')

export const NODE_IDS = [1, 2, 3] as const
export type NodeId = (typeof NODE_IDS)[number]

export interface PartitionState {
  readonly partition: number
  /** Node id of the leader, -1 while there is none. */
  readonly leader: number
  readonly replicas: readonly number[]
  readonly isr: readonly number[]
}

export interface KafkaCluster {
  /** Bootstrap list of all three brokers. */
  readonly hosts: string
  /** SIGKILL (a crash). */
  kill(id: NodeId): Promise<void>
  /** SIGTERM: controlled shutdown (leadership moves first). */
  shutdown(id: NodeId): Promise<void>
  /** Starts the node again on its data; resolves once it answers requests. */
  start(id: NodeId): Promise<void>
  /** The node's JVM pid (from its pid file), or undefined when it is not running. */
  pid(id: NodeId): Promise<number | undefined>
  partitions(topic: string): Promise<PartitionState[]>
  /** The next offset of each partition of `topic` (its message count, on a fresh topic). */
  highWatermarks(topic: string): Promise<Map<number, number>>
  /** Resolves once every partition of `topic` has a leader and all three replicas in its ISR. */
  waitInSync(topic: string, timeoutMs?: number): Promise<void>
  /** Stops every node still running and removes the cluster's directory. */
  stop(): Promise<void>
}

interface RawPartition { readonly id: number; readonly leader?: number; readonly replicas?: number[]; readonly isrs?: number[] }

export async function startKafkaCluster(): Promise<KafkaCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'capture-test-kafka-cluster-'))
  const script = (name: string): string => path.join(SCRIPTS, name)
  let hosts: string
  try {
    const base = await freePortRun(6)
    const { stdout } = await run(script('kafka-cluster-up.sh'), [dir, String(base)], { env: { ...process.env, KAFKA_CREATE_TOPICS: '0' }, timeout: 300_000 })
    hosts = stdout.trim().split('\n').at(-1)!
  } catch (err) {
    await run(script('kafka-cluster-down.sh'), [dir, '--kill']).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  let metadataClient: Promise<RdConsumer> | undefined
  const client = (): Promise<RdConsumer> => (metadataClient ??= connectMetadataClient(hosts))
  const broker = (id: NodeId, action: string): Promise<unknown> => run(script('kafka-broker.sh'), [dir, String(id), action], { timeout: 180_000 })

  const partitions = async (topic: string): Promise<PartitionState[]> => {
    const consumer = await client()
    const metadata = await new Promise<{ topics: ReadonlyArray<{ name: string; partitions: readonly RawPartition[] }> }>((resolve, reject) =>
      consumer.getMetadata({ topic, timeout: 5000 }, (err, m) => (err ? reject(err) : resolve(m as never))))
    const found = metadata.topics.find((t) => t.name === topic)?.partitions ?? []
    return found
      .map((p) => ({ partition: p.id, leader: p.leader ?? -1, replicas: p.replicas ?? [], isr: p.isrs ?? [] }))
      .sort((a, b) => a.partition - b.partition)
  }

  return {
    hosts,
    kill: async (id) => void (await broker(id, 'kill')),
    shutdown: async (id) => void (await broker(id, 'stop')),
    start: async (id) => void (await broker(id, 'start')),
    pid: async (id) => {
      const text = await readFile(path.join(dir, `node-${id}`, 'kafka.pid'), 'utf8').catch(() => '')
      const pid = Number(text.trim())
      return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined
    },
    partitions,
    highWatermarks: async (topic) => {
      const consumer = await client()
      const marks = new Map<number, number>()
      for (const { partition } of await partitions(topic)) {
        const offsets = await new Promise<{ highOffset: number }>((resolve, reject) =>
          consumer.queryWatermarkOffsets(topic, partition, 5000, (err, o) => (err ? reject(err) : resolve(o))))
        marks.set(partition, offsets.highOffset)
      }
      return marks
    },
    waitInSync: (topic, timeoutMs = 60_000) => eventually(`every partition of ${topic} with all 3 replicas in sync`, async () => {
      const states = await partitions(topic).catch(() => [])
      return states.length > 0 && states.every((p) => p.leader >= 0 && p.isr.length === NODE_IDS.length)
    }, timeoutMs, 500),
    stop: async () => {
      if (metadataClient !== undefined) {
        const consumer = await metadataClient.catch(() => undefined)
        if (consumer !== undefined) await new Promise((resolve) => consumer.disconnect(resolve))
      }
      await run(script('kafka-cluster-down.sh'), [dir], { timeout: 120_000 }).catch(() => run(script('kafka-cluster-down.sh'), [dir, '--kill']))
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** A consumer that never joins its group: used for metadata and watermark requests only. */
async function connectMetadataClient(hosts: string): Promise<RdConsumer> {
  const { KafkaConsumer } = await loadRdKafka()
  const consumer = new KafkaConsumer({ 'bootstrap.servers': hosts, 'group.id': `capture-test-metadata-${randomUUID()}`, 'client.id': 'capture-test-cluster-metadata', 'log_level': 0 })
  consumer.on('event.error', () => undefined)
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())))
  return consumer
}

/** A port P with P..P+count-1 free on 127.0.0.1, in 20000–31999 (below the ephemeral range, so restarts can rebind). */
async function freePortRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 1_000) * 12
    let free = true
    for (let p = base; p < base + count && free; p++) free = await isFree(p)
    if (free) return base
  }
  throw new Error(`no ${count} consecutive free ports for a Kafka cluster`)
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}
