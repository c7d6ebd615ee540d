/**
 * `posthog-capture kafka tail`: what is on a Kafka topic, for debugging. Prints
 * the last messages of every partition (or all of them), decoded as capture's
 * envelope (kafka-record.ts), then follows new ones until Ctrl-C.
 *
 * Reads with a throw-away consumer: partitions are assigned directly and no
 * offset is ever committed, so no consumer group (PostHog's ingestion or
 * another tail) is affected. Connects with the server's KAFKA_* settings.
 */
import { parseArgs } from 'node:util'
import type { KafkaConfig } from '../config/kafka-config.js'
import { producerSettings } from '../sinks/kafka/producer-config.js'
import { loadRdKafka, type RdConfig, type RdConsumer, type RdMessage, type RdMetadata } from '../sinks/kafka/rdkafka-module.js'
import { PROGRAM, type CliCommand, type CliIo } from './cli-command.js'
import { kafkaConfigFromEnv } from './kafka-env.js'
import { tailLine } from './kafka-record.js'
import { parseCount } from './log-commands.js'
import { UsageError } from './usage-error.js'

const DEFAULT_TOPIC = 'events_plugin_ingestion'

const usage = [
  `Usage: ${PROGRAM} kafka tail [--topic T] [-n N | --from-start] [--no-follow] [--decode-data]`,
  '',
  'Prints the last N messages of each partition of a Kafka topic, one JSON line each:',
  '{"topic","partition","offset","key","headers","value","ts"} with value the envelope',
  '(the local log line plus partition and offset), then new messages until Ctrl-C.',
  'Connects with the server\'s variables (KAFKA_HOSTS, KAFKA_TLS, KAFKA_SASL_*); commits nothing.',
  '',
  '  --topic T        topic (default: $KAFKA_TOPIC, else events_plugin_ingestion)',
  '  -n, --lines N    existing messages to print first, per partition (default 10)',
  '  --from-start     every message the topic still holds',
  '  --no-follow      stop after the existing messages',
  '  --decode-data    also parse the envelope\'s data (the event, a JSON string)',
].join('\n')

const options = {
  topic: { type: 'string' },
  lines: { type: 'string', short: 'n' },
  'from-start': { type: 'boolean' },
  'no-follow': { type: 'boolean' },
  'decode-data': { type: 'boolean' },
} as const

interface Start { readonly topic: string; readonly partition: number; readonly offset: number; readonly high: number }

async function run(args: string[], io: CliIo): Promise<number> {
  const values = parseOptions(args)
  if (values['from-start'] === true && values.lines !== undefined) throw new UsageError('--from-start and --lines cannot be combined')
  const lines = parseCount('lines', values.lines, 10)
  const config = kafkaConfigFromEnv(io.env, 'to read from')
  const topic = values.topic ?? io.env.KAFKA_TOPIC ?? DEFAULT_TOPIC
  const consumer = await connect(config)
  try {
    const starts = await startOffsets(consumer, topic, values['from-start'] === true ? undefined : lines, config)
    const follow = values['no-follow'] !== true
    const assigned = follow ? starts : starts.filter((s) => s.offset < s.high)
    if (assigned.length === 0) return 0
    consumer.assign(assigned.map(({ topic: t, partition, offset }) => ({ topic: t, partition, offset })))
    await consumeLoop(consumer, io, { decodeData: values['decode-data'] === true, until: follow ? undefined : assigned })
    return 0
  } finally {
    await new Promise((resolve) => consumer.disconnect(resolve))
  }
}

function parseOptions(args: string[]) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err))
  }
}

/** The producer's connection and security settings, minus everything about producing. */
function consumerSettings(config: KafkaConfig): RdConfig {
  const settings: RdConfig = {}
  for (const [name, value] of Object.entries(producerSettings(config))) {
    if (/^(bootstrap\.servers|client\.id|security\.protocol|ssl\.|enable\.ssl\.|sasl\.)/.test(name)) settings[name] = value
  }
  return { ...settings, 'group.id': `${PROGRAM}-tail-${process.pid}`, 'enable.auto.commit': false, 'fetch.message.max.bytes': 16 * 1024 * 1024 }
}

async function connect(config: KafkaConfig): Promise<RdConsumer> {
  const { KafkaConsumer } = await loadRdKafka()
  const consumer = new KafkaConsumer(consumerSettings(config), { 'auto.offset.reset': 'earliest' })
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: config.connectTimeoutMs }, (err) => {
    if (err) reject(new Error(`could not connect to Kafka at ${config.hosts} within ${config.connectTimeoutMs} ms (KAFKA_CONNECT_TIMEOUT_MS): ${err.message}`))
    else resolve()
  }))
  return consumer
}

/** Per partition: where to start (`last` before the end, or the beginning) and the end seen now. */
async function startOffsets(consumer: RdConsumer, topic: string, last: number | undefined, config: KafkaConfig): Promise<Start[]> {
  const timeout = config.connectTimeoutMs
  const metadata = await new Promise<RdMetadata>((resolve, reject) =>
    consumer.getMetadata({ topic, timeout }, (err, m) => (err ? reject(err) : resolve(m))))
  const partitions = metadata.topics.find((t) => t.name === topic)?.partitions ?? []
  if (partitions.length === 0) throw new Error(`topic ${topic} does not exist on ${config.hosts} (or has no partitions)`)
  const starts: Start[] = []
  for (const { id } of partitions) {
    const { lowOffset, highOffset } = await new Promise<{ lowOffset: number; highOffset: number }>((resolve, reject) =>
      consumer.queryWatermarkOffsets(topic, id, timeout, (err, o) => (err ? reject(err) : resolve(o))))
    const offset = last === undefined ? lowOffset : Math.max(lowOffset, highOffset - last)
    starts.push({ topic, partition: id, offset, high: highOffset })
  }
  return starts
}

/** Prints messages until aborted, or (with `until`) until every listed partition reached its end. */
async function consumeLoop(consumer: RdConsumer, io: CliIo, options: { decodeData: boolean; until: readonly Start[] | undefined }): Promise<void> {
  const remaining = new Map(options.until?.map((s) => [s.partition, s.high]))
  while (!io.signal.aborted && (options.until === undefined || remaining.size > 0)) {
    const batch = await new Promise<RdMessage[]>((resolve, reject) => consumer.consume(500, (err, m) => (err ? reject(err) : resolve(m))))
    for (const message of batch) {
      if (io.signal.aborted) return
      await io.print(JSON.stringify(tailLine(message, { decodeData: options.decodeData })))
      const high = remaining.get(message.partition)
      if (high !== undefined && message.offset + 1 >= high) remaining.delete(message.partition)
    }
  }
}

export const kafkaTailCommand: CliCommand = { summary: 'print what is on a Kafka topic, decoded, then follow', usage, run }
