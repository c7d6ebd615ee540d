/**
 * Configuration: every environment variable capture reads, validated once at
 * startup. Names follow upstream PostHog capture where the concept exists.
 * A bad value never starts the server: loadConfig throws one ConfigError that
 * lists every problem. docs/configuration.md documents each variable.
 */
import os from 'node:os'
import { EnvReader, type Env } from './env-parsers.js'
import { readLimiterConfig, type LimiterConfig } from './limiter-config.js'
import { readKafkaConfig, type KafkaConfig } from './kafka-config.js'
import { readProxyTrust, type ProxyTrust } from './proxy-trust.js'
import { readRetention, type RetentionConfig } from './retention-config.js'
import { readFlagsConfig, readV1Config, type FlagsConfig, type V1Config } from './v1-config.js'
import { readDebugUiConfig, type DebugUiConfig } from './debug-ui-config.js'
import { bytes, ms, MiB, type Bytes, type Millis } from '../units.js'

export interface Topics {
  readonly main: string
  readonly overflow: string
  readonly historical: string
  readonly exceptions: string
  readonly heatmaps: string
  readonly clientIngestionWarnings: string
  readonly dlq: string
  readonly replay: string
  readonly replayOverflow: string
}

export interface HttpLimits {
  /** Raw body caps per route family. */
  readonly eventBodyBytes: Bytes
  readonly batchBodyBytes: Bytes
  readonly recordingBodyBytes: Bytes
  /** Cap on the decoded (decompressed) payload, enforced while inflating. */
  readonly decodedBytes: Bytes
  /** Cap on one serialised event envelope. */
  readonly eventBytes: Bytes
  /** Cap on one recording message (value + key + headers); larger recordings are split. */
  readonly recordingMessageBytes: Bytes
}

export interface Config {
  readonly address: { readonly host: string; readonly port: number }
  readonly workers: number
  readonly logLevel: string
  readonly exportPrometheus: boolean
  readonly limits: HttpLimits
  readonly timeouts: {
    readonly headersMs: Millis
    readonly bodyMs: Millis
    /** Budget for a whole request body (BODY_READ_TIMEOUT_MS). */
    readonly bodyTotalMs: Millis
    readonly keepAliveMs: Millis
    readonly shutdownMs: Millis
  }
  readonly topics: Topics
  readonly localLog: {
    readonly dataDir: string
    readonly segmentBytes: Bytes
    /** LOG_RETENTION_BYTES / LOG_RETENTION_HOURS (0 = off) and the low-disk warning (docs/operations.md). */
    readonly retention: RetentionConfig
  }
  /** Whose X-Forwarded-For / X-Real-IP to believe for the client ip (TRUST_PROXY_HEADERS; nobody's by default). */
  readonly trustProxyHeaders: ProxyTrust
  /** De-duplication, quotas, rate limits, overflow and their store (docs/limits.md). */
  readonly limiters: LimiterConfig
  /** Kafka mode (KAFKA_HOSTS set) and its spool; undefined → the local log is the sink (docs/kafka.md). */
  readonly kafka: KafkaConfig | undefined
  /** Capture V1 (/i/v1/analytics/events), docs/capture-v1.md. */
  readonly v1: V1Config
  /** The quiet /flags and /decide answers. */
  readonly flags: FlagsConfig
  /** The live event debugger and operations page under /_debug/ (docs/debug-ui.md); off without DEBUG_UI_TOKEN. */
  readonly debugUi: DebugUiConfig
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const

export function loadConfig(env: Env = process.env): Config {
  const read = new EnvReader(env)
  const config: Config = {
    address: read.address('ADDRESS', '127.0.0.1:3000'),
    workers: read.int('WORKERS', 1, { min: 1, max: Math.max(64, os.availableParallelism()) }),
    logLevel: read.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    exportPrometheus: read.bool('EXPORT_PROMETHEUS', true),
    limits: readLimits(read),
    timeouts: {
      headersMs: ms(read.int('HTTP1_HEADER_READ_TIMEOUT_MS', 10_000, { min: 100 })),
      bodyMs: ms(read.int('BODY_CHUNK_READ_TIMEOUT_MS', 10_000, { min: 100 })),
      bodyTotalMs: ms(read.int('BODY_READ_TIMEOUT_MS', 30_000, { min: 100 })),
      keepAliveMs: ms(read.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 65_000, { min: 0 })),
      shutdownMs: ms(read.int('SHUTDOWN_TIMEOUT_MS', 30_000, { min: 0 })),
    },
    topics: readTopics(read),
    localLog: {
      dataDir: read.string('DATA_DIR', './data'),
      segmentBytes: bytes(read.int('LOCAL_LOG_SEGMENT_BYTES', 128 * MiB, { min: 64 * 1024 })),
      retention: readRetention(read),
    },
    trustProxyHeaders: readProxyTrust(read),
    limiters: readLimiterConfig(read),
    kafka: readKafkaConfig(read),
    v1: readV1Config(read),
    flags: readFlagsConfig(read),
    debugUi: readDebugUiConfig(read),
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems)
  return config
}

function readLimits(read: EnvReader): HttpLimits {
  const eventBytes = read.int('EVENT_MAX_BYTES', 2 * MiB, { min: 1024 })
  const decodedBytes = read.int('DECODED_BODY_MAX_BYTES', 64 * MiB, { min: 1024, max: 256 * MiB })
  if (decodedBytes < eventBytes) read.problem(`DECODED_BODY_MAX_BYTES (${decodedBytes}) must be at least EVENT_MAX_BYTES (${eventBytes})`)
  return {
    eventBodyBytes: bytes(read.int('EVENT_BODY_SIZE', 2 * MiB, { min: 1024 })),
    batchBodyBytes: bytes(read.int('BATCH_BODY_SIZE', 20 * MiB, { min: 1024 })),
    recordingBodyBytes: bytes(read.int('RECORDING_BODY_SIZE', 25 * MiB, { min: 1024 })),
    decodedBytes: bytes(decodedBytes),
    eventBytes: bytes(eventBytes),
    recordingMessageBytes: bytes(read.int('RECORDING_MESSAGE_MAX_BYTES', 1_000_000, { min: 16 * 1024, max: 64 * MiB })),
  }
}

function readTopics(read: EnvReader): Topics {
  return {
    main: read.string('KAFKA_TOPIC', 'events_plugin_ingestion'),
    overflow: read.string('KAFKA_OVERFLOW_TOPIC', 'events_plugin_ingestion_overflow'),
    historical: read.string('KAFKA_HISTORICAL_TOPIC', 'events_plugin_ingestion_historical'),
    exceptions: read.string('KAFKA_EXCEPTIONS_TOPIC', 'events_plugin_ingestion'),
    heatmaps: read.string('KAFKA_HEATMAPS_TOPIC', 'heatmaps_ingestion'),
    clientIngestionWarnings: read.string('KAFKA_CLIENT_INGESTION_WARNING_TOPIC', 'events_plugin_ingestion'),
    dlq: read.string('KAFKA_DLQ_TOPIC', 'events_plugin_ingestion_dlq'),
    replay: read.string('KAFKA_REPLAY_TOPIC', 'session_recording_snapshot_item_events'),
    replayOverflow: read.string('KAFKA_REPLAY_OVERFLOW_TOPIC', 'session_recording_snapshot_item_overflow'),
  }
}
