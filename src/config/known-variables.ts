/**
 * Every environment variable capture reads, so a misspelt one (DEDUP_TTL_SECOND)
 * is reported instead of silently ignored. A variable counts as "looks like
 * ours" when it starts with the first word of one of these (KAFKA_, REDIS_,
 * DEDUP_, …) and is not a well-known variable of other software. The check
 * warns; it never stops the server, since other software on the host may set
 * variables with the same prefixes.
 *
 * known-variables.test.ts keeps this list, the names src/config reads and the
 * documentation (docs/configuration.md, kafka.md, limits.md) in step.
 */
import type { Env } from './env-parsers.js'

export const KNOWN_VARIABLES: ReadonlySet<string> = new Set([
  'ADDRESS', 'WORKERS', 'LOG_LEVEL', 'EXPORT_PROMETHEUS', 'DATA_DIR', 'LOCAL_LOG_SEGMENT_BYTES', 'LOG_RETENTION_BYTES', 'LOG_RETENTION_HOURS', 'LOG_DISK_FREE_WARN_BYTES', 'TRUST_PROXY_HEADERS',
  'EVENT_BODY_SIZE', 'BATCH_BODY_SIZE', 'RECORDING_BODY_SIZE', 'DECODED_BODY_MAX_BYTES', 'EVENT_MAX_BYTES', 'RECORDING_MESSAGE_MAX_BYTES',
  'HTTP1_HEADER_READ_TIMEOUT_MS', 'BODY_CHUNK_READ_TIMEOUT_MS', 'BODY_READ_TIMEOUT_MS', 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 'SHUTDOWN_TIMEOUT_MS',
  'KAFKA_TOPIC', 'KAFKA_OVERFLOW_TOPIC', 'KAFKA_HISTORICAL_TOPIC', 'KAFKA_EXCEPTIONS_TOPIC', 'KAFKA_HEATMAPS_TOPIC',
  'KAFKA_CLIENT_INGESTION_WARNING_TOPIC', 'KAFKA_DLQ_TOPIC', 'KAFKA_REPLAY_TOPIC', 'KAFKA_REPLAY_OVERFLOW_TOPIC',
  'KAFKA_HOSTS', 'KAFKA_CLIENT_ID', 'KAFKA_COMPRESSION_CODEC', 'KAFKA_CONNECT_TIMEOUT_MS', 'KAFKA_FLUSH_TIMEOUT_MS', 'KAFKA_MESSAGE_TIMEOUT_MS',
  'KAFKA_PRODUCER_ACKS', 'KAFKA_PRODUCER_ENGINE', 'KAFKA_PRODUCER_LINGER_MS', 'KAFKA_PRODUCER_MESSAGE_MAX_BYTES', 'KAFKA_PRODUCER_QUEUE_MIB',
  'KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_TLS', 'KAFKA_TLS_VERIFY', 'KAFKA_TLS_CA_LOCATION',
  'SPOOL_MAX_BYTES', 'SPOOL_RETRY_AFTER_SECS',
  'REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_KEY_PREFIX', 'REDIS_CONNECTION_TIMEOUT_MS', 'REDIS_RESPONSE_TIMEOUT_MS', 'MEMORY_STORE_MAX_KEYS', 'MEMORY_STORE_PRIMARY_TIMEOUT_MS',
  'DEDUP_ENABLED', 'DEDUP_TTL_SECONDS', 'QUOTA_REFRESH_INTERVAL_MS',
  'RATE_LIMIT_TOKEN_EVENTS_PER_SECOND', 'RATE_LIMIT_TOKEN_BURST', 'RATE_LIMIT_DISTINCT_ID_EVENTS_PER_SECOND', 'RATE_LIMIT_DISTINCT_ID_BURST',
  'OVERFLOW_ENABLED', 'OVERFLOW_PER_SECOND_LIMIT', 'OVERFLOW_BURST_LIMIT', 'INGESTION_FORCE_OVERFLOW_BY_TOKEN_DISTINCT_ID',
  'DROP_EVENTS_BY_TOKEN_DISTINCT_ID',
  'CAPTURE_V1_ENABLED', 'CAPTURE_V1_MAX_COMPRESSED_BODY_BYTES', 'CAPTURE_V1_MAX_DECOMPRESSED_BODY_BYTES', 'CAPTURE_V1_PUBLISH_TIMEOUT_MS',
  'FLAGS_ENDPOINTS_ENABLED',
  'DEBUG_UI_TOKEN', 'DEBUG_UI_EVENTS_PER_SECOND',
])

/** Variables of other software that share a prefix with ours. */
const FOREIGN = new Set(['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'LOG_FORMAT', 'DATA_HOME'])
/** Single-word names are matched exactly, not as prefixes (WORKERS_… is not ours). */
const PREFIXES = new Set([...KNOWN_VARIABLES].filter((name) => name.includes('_')).map((name) => name.slice(0, name.indexOf('_') + 1)))

export interface UnknownVariable {
  readonly name: string
  /** The known variable it most likely meant, when one is close. */
  readonly didYouMean?: string
}

/** Variables in `env` that look like capture's but are not read by it. */
export function unknownVariables(env: Env): UnknownVariable[] {
  const unknown: UnknownVariable[] = []
  for (const name of Object.keys(env).sort()) {
    if (KNOWN_VARIABLES.has(name) || FOREIGN.has(name)) continue
    const underscore = name.indexOf('_')
    if (underscore === -1 || !PREFIXES.has(name.slice(0, underscore + 1))) continue
    unknown.push({ name, didYouMean: closest(name) })
  }
  return unknown
}

function closest(name: string): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(name.length / 5)) + 1
  for (const known of KNOWN_VARIABLES) {
    const distance = editDistance(name, known)
    if (distance < bestDistance) {
      best = known
      bestDistance = distance
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}

/** One line per variable, for the startup warning. */
export function describeUnknown(unknown: readonly UnknownVariable[]): string {
  return unknown.map((v) => (v.didYouMean === undefined ? v.name : `${v.name} (did you mean ${v.didYouMean}?)`)).join(', ')
}
