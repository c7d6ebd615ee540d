/**
 * KafkaSink and the spooling sink against the real broker (KAFKA_HOSTS):
 * the Sink contract, the compression codec on the stored batches, size
 * refusals (ours and the broker's), and a full producer queue.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { EnvReader } from '../../src/config/env-parsers.js'
import { readKafkaConfig, type KafkaConfig } from '../../src/config/kafka-config.js'
import { isCaptureError } from '../../src/errors/capture-error.js'
import { createLogger } from '../../src/observability/logger.js'
import { createMetrics } from '../../src/observability/metrics.js'
import { createKafkaSink, type KafkaSink } from '../../src/sinks/kafka/kafka-sink.js'
import { loadProducerEngine } from '../../src/sinks/kafka/engines.js'
import { createLocalSink } from '../../src/sinks/local-log/local-sink.js'
import { sinkContract } from '../../src/sinks/sink-contract.js'
import type { PreparedMessage } from '../../src/pipeline/ports.js'
import { createSpoolingSink } from '../../src/sinks/spool/spooling-sink.js'
import { bytes, MiB } from '../../src/units.js'
import { createTopics, kafkaHosts, readTopics, runPrefix } from '../helpers/kafka.js'
import { fetchBatches } from '../helpers/kafka-wire.js'

const hosts = kafkaHosts()
const dirs: string[] = []
const logger = createLogger({ level: 'silent' })
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

// Both producer engines (capture's batch addon and the general-purpose binding) keep the same promises.
for (const engine of ['batch', 'binding'] as const) {
  const prefix = runPrefix(`sink_${engine}`)
  const contractTopic = `${prefix}_contract`

  function kafkaConfig(env: Record<string, string> = {}): KafkaConfig {
    return readKafkaConfig(new EnvReader({ KAFKA_HOSTS: hosts, KAFKA_PRODUCER_LINGER_MS: '5', ...env }))!
  }

  async function kafkaSink(env: Record<string, string> = {}): Promise<KafkaSink> {
    return createKafkaSink({ open: await loadProducerEngine(engine), logger, metrics: createMetrics({ defaultMetrics: false }) }, kafkaConfig(env))
  }

  async function spoolingSink(env: Record<string, string> = {}) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'capture-kafka-spool-'))
    dirs.push(dir)
    const metrics = createMetrics({ defaultMetrics: false })
    const config = kafkaConfig(env)
    const kafka = await createKafkaSink({ open: await loadProducerEngine(engine), logger, metrics }, config)
    const spool = await createLocalSink({ logger, metrics }, { dataDir: dir, segmentMaxBytes: bytes(16 * MiB) })
    const sink = await createSpoolingSink({ kafka, spool, logger, metrics, clock: Date.now }, { ...config.spool, messageMaxBytes: config.messageMaxBytes })
    return { sink, dir, metrics }
  }

  const message = (topic: string, n: number, value = JSON.stringify({ n, uuid: `u${n}` })): PreparedMessage =>
    ({ topic, key: `phc_sink:user${n % 7}`, headers: { token: 'phc_sink', uuid: `u${n}` }, value })

  before(() => createTopics(hosts, [contractTopic], { partitions: 1 }))

  // One partition, so readBack's order is the produce order for every key.
  sinkContract(`KafkaSink (${engine} engine)`, async () => ({ sink: await kafkaSink(), readBack: () => readTopics(hosts, [contractTopic]) }), { topic: contractTopic })
  sinkContract(`SpoolingSink over Kafka (${engine} engine)`, async () => ({ sink: (await spoolingSink()).sink, readBack: () => readTopics(hosts, [contractTopic]) }), { topic: contractTopic })

  describe(`KafkaSink against a real broker (${engine} engine)`, () => {
    for (const codec of ['lz4', 'zstd', 'gzip', 'snappy', 'none'] as const) {
      it(`stores record batches compressed with KAFKA_COMPRESSION_CODEC=${codec}`, async () => {
        const topic = `${prefix}_codec_${codec}`
        await createTopics(hosts, [topic], { partitions: 2 })
        const sink = await kafkaSink({ KAFKA_COMPRESSION_CODEC: codec })
        try {
          await sink.publish(Array.from({ length: 50 }, (_, n) => message(topic, n)))
        } finally {
          await sink.close()
        }
        const batches = await fetchBatches(hosts, topic, 2)
        assert.ok(batches.length > 0, 'no record batch found')
        assert.deepEqual([...new Set(batches.map((b) => b.codec))], [codec])
        assert.equal(batches.reduce((sum, b) => sum + b.records, 0), 50)
      })
    }

    it('refuses a message over KAFKA_PRODUCER_MESSAGE_MAX_BYTES with 413 message_too_large naming both sizes', async () => {
      const sink = await kafkaSink({ KAFKA_PRODUCER_MESSAGE_MAX_BYTES: '10000' })
      try {
        await assert.rejects(sink.publish([message(contractTopic, 1, JSON.stringify({ pad: 'x'.repeat(20_000) }))]), (err) =>
          isCaptureError(err) && err.code === 'message_too_large' && err.status === 413 && err.options.limit === 10000 && (err.options.size ?? 0) > 20_000)
      } finally {
        await sink.close()
      }
    })

    it('answers 413 when the broker refuses a message as too large for the topic, and does not spool it', async () => {
      const topic = `${prefix}_small`
      await createTopics(hosts, [topic], { partitions: 1, maxMessageBytes: 50_000 })
      const { sink, metrics } = await spoolingSink()
      try {
        // Random base64 does not compress, so the stored batch really is over the topic's limit.
        const big = message(topic, 1, JSON.stringify({ pad: randomBytes(120_000).toString('base64') }))
        await assert.rejects(sink.publish([big]), (err) => isCaptureError(err) && err.code === 'message_too_large' && err.status === 413)
        assert.equal((await metrics.spoolWritten.get()).values[0]?.value ?? 0, 0)
        await sink.publish([message(topic, 2)])
      } finally {
        await sink.close()
      }
      assert.deepEqual((await readTopics(hosts, [topic])).map((r) => (r.value as { n: number }).n), [2])
    })

    it('with a full producer queue, spools what does not fit and never hangs', async () => {
      const topic = `${prefix}_queue`
      await createTopics(hosts, [topic], { partitions: 2 })
      const { sink, metrics } = await spoolingSink({ KAFKA_PRODUCER_QUEUE_MIB: '1', KAFKA_PRODUCER_LINGER_MS: '1000' })
      const pad = 'q'.repeat(100_000)
      const started = Date.now()
      try {
        // 40 × 100 KB into a 1 MiB queue that holds batches for a second: most cannot be enqueued.
        await Promise.all(Array.from({ length: 40 }, (_, n) => sink.publish([message(topic, n, JSON.stringify({ n, pad }))])))
        assert.ok(Date.now() - started < 15_000, 'publishes took too long')
        const written = (await metrics.spoolWritten.get()).values[0]?.value ?? 0
        const queueFull = (await metrics.kafkaDeliveryErrors.get()).values.find((v) => v.labels.cause === 'queue_full')?.value ?? 0
        assert.ok(queueFull > 0, 'the queue never filled up')
        assert.ok(written > 0, 'nothing was spooled')
        const seen = new Set<number>()
        await waitFor(async () => {
          for (const r of await readTopics(hosts, [topic])) seen.add((r.value as { n: number }).n)
          return seen.size === 40
        })
      } finally {
        await sink.close()
      }
    })
  })
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}
