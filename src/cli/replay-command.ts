/**
 * `posthog-capture log replay --to-kafka`: pushes a local log (the embedded default
 * sink's DATA_DIR) into Kafka, with the same producer settings as the server
 * (KAFKA_HOSTS and the other KAFKA_* variables), each message to the topic,
 * key and headers it was stored with, the envelope bytes as stored.
 *
 * Resumable: progress is checkpointed after every acknowledged batch (per
 * segment byte offsets, as the spool drainer does), so running the command
 * again continues where it stopped: after Ctrl-C, a crash or a Kafka outage,
 * re-sending at most the batch in flight. A lock next to the checkpoint keeps
 * two replays of one directory from running at once. Progress on stderr.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { KafkaConfig } from '../config/kafka-config.js'
import { createLogger } from '../observability/logger.js'
import { createMetrics } from '../observability/metrics.js'
import { createKafkaSink, type KafkaSink } from '../sinks/kafka/kafka-sink.js'
import { loadProducerEngine } from '../sinks/kafka/engines.js'
import { readCheckpoint } from '../sinks/spool/checkpoint.js'
import { tryLock } from '../sinks/spool/dir-lock.js'
import { LogForwarder, pendingRanges } from '../sinks/spool/log-forwarder.js'
import { PROGRAM, type CliCommand, type CliIo } from './cli-command.js'
import { kafkaConfigFromEnv } from './kafka-env.js'
import { ReplayProgress } from './replay-progress.js'
import { UsageError } from './usage-error.js'

const usage = [
  `Usage: ${PROGRAM} log replay --to-kafka [--dir DIR] [--topic T] [--checkpoint FILE] [--from-start] [--batch N]`,
  '',
  'Sends every stored message to Kafka (KAFKA_HOSTS and the other KAFKA_* variables, as for the server),',
  'in stored order per key, and records progress so that running it again resumes where it stopped.',
  '',
  '  --to-kafka       required: the target',
  '  --dir DIR        data directory (default: $DATA_DIR, else ./data)',
  '  --topic T        only messages for topic T (others are passed over)',
  '  --checkpoint F   progress file (default: DIR/replay-to-kafka[.T].checkpoint.json)',
  '  --from-start     forget saved progress and send everything again',
  '  --batch N        messages per acknowledged batch (default 1000)',
].join('\n')

const options = {
  'to-kafka': { type: 'boolean' },
  dir: { type: 'string' },
  topic: { type: 'string' },
  checkpoint: { type: 'string' },
  'from-start': { type: 'boolean' },
  batch: { type: 'string' },
} as const

const BATCH_BYTES = 8 * 1024 * 1024
const LOCK_STALE_MS = 60_000

async function run(args: string[], io: CliIo): Promise<number> {
  const values = parseOptions(args)
  if (values['to-kafka'] !== true) throw new UsageError('--to-kafka is required (Kafka is the only replay target)')
  const batch = values.batch === undefined ? 1000 : Number(values.batch)
  if (!Number.isInteger(batch) || batch < 1) throw new UsageError(`--batch must be a whole number above 0, got "${values.batch}"`)
  const kafka = kafkaConfigFromEnv(io.env, 'to replay to')
  const dir = values.dir ?? io.env.DATA_DIR ?? './data'
  const topic = values.topic
  const checkpointPath = values.checkpoint ?? join(dir, `replay-to-kafka${topic === undefined ? '' : `.${topic}`}.checkpoint.json`)
  const lock = await tryLock(`${checkpointPath}.lock`, { staleMs: LOCK_STALE_MS })
  if (lock === undefined) throw new Error(`another replay with ${checkpointPath} is running (lock ${checkpointPath}.lock)`)
  try {
    if (values['from-start'] === true) await rm(checkpointPath, { force: true })
    const { ranges } = await pendingRanges(dir, await readCheckpoint(checkpointPath))
    const total = ranges.reduce((sum, range) => sum + range.to - range.from, 0)
    if (total === 0) {
      await io.print(`nothing to replay in ${dir} (checkpoint ${checkpointPath})`)
      return 0
    }
    const sink = await connect(kafka)
    try {
      return await forward({ sink, io, dir, topic, checkpointPath, batch, total })
    } finally {
      await sink.close()
    }
  } finally {
    await lock.release()
  }
}

interface ForwardJob {
  readonly sink: KafkaSink
  readonly io: CliIo
  readonly dir: string
  readonly topic: string | undefined
  readonly checkpointPath: string
  readonly batch: number
  readonly total: number
}

async function forward(job: ForwardJob): Promise<number> {
  const { io, topic } = job
  const forwarder = new LogForwarder(
    { target: job.sink, logger: createLogger({ level: 'silent' }) },
    { dir: job.dir, checkpointPath: job.checkpointPath, batchMessages: job.batch, batchBytes: BATCH_BYTES, filter: topic === undefined ? undefined : (m) => m.topic === topic },
  )
  const progress = new ReplayProgress(job.total, (text, final) => io.progress(text, final))
  const result = await forwarder.pass({ signal: io.signal, onBatch: (batch) => progress.add(batch) })
  progress.finish()
  if (result.error !== undefined) {
    throw new Error(`Kafka did not acknowledge a batch (${result.error.message}). ${result.forwarded} messages were sent; ` +
      `progress is saved in ${job.checkpointPath}: run the same command again to resume.`)
  }
  const dropped = result.dropped > 0 ? `, ${result.dropped} refused by Kafka as too large (see above)` : ''
  const verb = io.signal.aborted ? 'stopped after sending' : 'replayed'
  await io.print(`${verb} ${result.forwarded} messages to Kafka${dropped}; progress in ${job.checkpointPath}`)
  return 0
}

function parseOptions(args: string[]) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err))
  }
}

async function connect(config: KafkaConfig): Promise<KafkaSink> {
  const sink = await createKafkaSink(
    { open: await loadProducerEngine(config.engine), logger: createLogger({ level: 'silent' }), metrics: createMetrics({ defaultMetrics: false, sink: 'kafka' }) },
    config,
  )
  if (!sink.isReachable()) {
    await sink.close()
    throw new Error(`could not connect to Kafka at ${config.hosts} within ${config.connectTimeoutMs} ms (KAFKA_CONNECT_TIMEOUT_MS)`)
  }
  return sink
}

export const replayCommand: CliCommand = { summary: 'send the stored messages to Kafka (resumable)', usage, run }
