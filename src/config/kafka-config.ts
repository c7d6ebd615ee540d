/**
 * Kafka mode configuration: the producer settings (names and defaults as
 * upstream PostHog capture, except where docs/kafka.md says why
 * not) and the spool budget. Kafka mode is on exactly when KAFKA_HOSTS is set;
 * otherwise readKafkaConfig returns undefined and capture uses the local log.
 *
 * Topics are not here: they live in config.ts `Topics` because the pipeline
 * picks them in both modes.
 */
import type { EnvReader } from './env-parsers.js'
import { bytes, MiB, ms, seconds, type Bytes, type Millis, type Seconds } from '../units.js'

export const COMPRESSION_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const
export type CompressionCodec = (typeof COMPRESSION_CODECS)[number]

/** `all` (= -1) is the promise behind a 200; `1` is allowed for deployments that accept less. */
export const ACKS = ['all', '-1', '1'] as const
export type KafkaAcks = 'all' | '1'

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const
export type SaslMechanism = (typeof SASL_MECHANISMS)[number]

export interface KafkaTls {
  readonly enabled: boolean
  /** On by default (upstream turns verification off with KAFKA_TLS); KAFKA_TLS_VERIFY=false turns it off. */
  readonly verifyCertificates: boolean
  readonly caLocation?: string
}

export interface KafkaSasl {
  readonly mechanism: SaslMechanism
  readonly username: string
  readonly password: string
}

export interface SpoolConfig {
  /** Budget for spooled, not yet forwarded bytes; past it publishes answer 503. */
  readonly maxBytes: Bytes
  /** Sent as Retry-After when the spool is full. */
  readonly retryAfter: Seconds
}

export interface KafkaConfig {
  /** bootstrap.servers */
  readonly hosts: string
  readonly clientId: string
  readonly lingerMs: Millis
  readonly queueBytes: Bytes
  readonly messageTimeoutMs: Millis
  readonly messageMaxBytes: Bytes
  readonly compression: CompressionCodec
  readonly acks: KafkaAcks
  readonly tls: KafkaTls
  readonly sasl?: KafkaSasl
  /** Bound on fetching metadata when connecting. */
  readonly connectTimeoutMs: Millis
  /** Bound on flushing the producer at shutdown; what is left goes to the spool. */
  readonly flushTimeoutMs: Millis
  readonly spool: SpoolConfig
  /** Which producer engine: capture's batch addon, the general-purpose binding, or the addon where it is built. */
  readonly engine: ProducerEnginePreference
}

export const PRODUCER_ENGINES = ['auto', 'batch', 'binding'] as const
export type ProducerEnginePreference = (typeof PRODUCER_ENGINES)[number]

export function readKafkaConfig(read: EnvReader): KafkaConfig | undefined {
  const hosts = read.optionalString('KAFKA_HOSTS')
  if (hosts === undefined) return undefined
  const acks = read.oneOf('KAFKA_PRODUCER_ACKS', 'all', ACKS)
  return {
    hosts,
    clientId: read.string('KAFKA_CLIENT_ID', 'capture'),
    lingerMs: ms(read.int('KAFKA_PRODUCER_LINGER_MS', 5, { min: 0, max: 900_000 })),
    queueBytes: bytes(read.int('KAFKA_PRODUCER_QUEUE_MIB', 400, { min: 1, max: 65_536 }) * MiB),
    messageTimeoutMs: ms(read.int('KAFKA_MESSAGE_TIMEOUT_MS', 20_000, { min: 100, max: 900_000 })),
    messageMaxBytes: bytes(read.int('KAFKA_PRODUCER_MESSAGE_MAX_BYTES', 10 * MiB, { min: 1000, max: 1_000_000_000 })),
    compression: read.oneOf('KAFKA_COMPRESSION_CODEC', 'lz4', COMPRESSION_CODECS),
    acks: acks === '1' ? '1' : 'all',
    tls: readTls(read),
    sasl: readSasl(read),
    connectTimeoutMs: ms(read.int('KAFKA_CONNECT_TIMEOUT_MS', 10_000, { min: 100 })),
    flushTimeoutMs: ms(read.int('KAFKA_FLUSH_TIMEOUT_MS', 10_000, { min: 0 })),
    spool: {
      maxBytes: bytes(read.int('SPOOL_MAX_BYTES', 2048 * MiB, { min: 1024 })),
      retryAfter: seconds(read.int('SPOOL_RETRY_AFTER_SECS', 30, { min: 1, max: 3600 })),
    },
    engine: read.oneOf('KAFKA_PRODUCER_ENGINE', 'auto', PRODUCER_ENGINES),
  }
}

function readTls(read: EnvReader): KafkaTls {
  const caLocation = read.optionalString('KAFKA_TLS_CA_LOCATION')
  return {
    enabled: read.bool('KAFKA_TLS', false),
    verifyCertificates: read.bool('KAFKA_TLS_VERIFY', true),
    ...(caLocation === undefined ? {} : { caLocation }),
  }
}

function readSasl(read: EnvReader): KafkaSasl | undefined {
  const username = read.optionalString('KAFKA_SASL_USERNAME')
  const password = read.optionalString('KAFKA_SASL_PASSWORD')
  const mechanism = read.oneOf('KAFKA_SASL_MECHANISM', 'PLAIN', SASL_MECHANISMS)
  if (username === undefined && password === undefined) return undefined
  if (username === undefined || password === undefined) {
    read.problem('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD must be set together')
    return undefined
  }
  return { mechanism, username, password }
}
