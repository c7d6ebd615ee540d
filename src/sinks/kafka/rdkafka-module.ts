/**
 * The slice of `@confluentinc/kafka-javascript` (librdkafka bindings) capture
 * uses, typed here, and its loader.
 *
 * The package is an optionalDependency with a native build: where that build
 * is unavailable, `npm ci && npm start` must still work in local-log mode. So
 * nothing imports the package statically (not even its types, which would
 * break `tsc` when it is absent): loadRdKafka() imports it dynamically, only
 * when KAFKA_HOSTS is set, and turns a missing or unloadable build into one
 * clear startup error.
 */

export interface RdKafkaError extends Error {
  readonly code: number
  readonly isFatal?: boolean
  readonly isRetriable?: boolean
}

export interface RdDeliveryReport {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly size?: number
  readonly opaque?: unknown
}

export type RdHeaders = Array<Record<string, string | Buffer>>

export type RdConfig = Record<string, string | number | boolean>

export interface RdMetadata {
  readonly brokers: ReadonlyArray<{ readonly id: number; readonly host: string; readonly port: number }>
  readonly topics: ReadonlyArray<{ readonly name: string; readonly partitions: ReadonlyArray<{ readonly id: number }> }>
}

export interface RdClient {
  connect(options: { timeout?: number; topic?: string; allTopics?: boolean }, cb: (err: RdKafkaError | null, metadata?: RdMetadata) => void): unknown
  isConnected(): boolean
  getMetadata(options: { timeout?: number; topic?: string; allTopics?: boolean }, cb: (err: RdKafkaError | null, metadata: RdMetadata) => void): unknown
  on(event: 'event.error', listener: (err: RdKafkaError) => void): unknown
  on(event: 'event.stats', listener: (stats: { message: string }) => void): unknown
  on(event: 'event.log', listener: (log: { severity: number; fac: string; message: string }) => void): unknown
  on(event: 'disconnected', listener: () => void): unknown
}

export interface RdProducer extends RdClient {
  /** Flushes for up to `timeoutMs`, then destroys the instance. */
  disconnect(timeoutMs: number, cb: (err: unknown) => void): unknown
  produce(topic: string, partition: number | null, value: Buffer | null, key: string | null, timestamp: number | null, opaque: unknown, headers?: RdHeaders): unknown
  flush(timeoutMs: number, cb: (err: RdKafkaError | null) => void): unknown
  setPollInBackground(enabled: boolean): unknown
  on(event: 'delivery-report', listener: (err: RdKafkaError | null, report: RdDeliveryReport) => void): unknown
  on(event: 'event.error', listener: (err: RdKafkaError) => void): unknown
  on(event: 'event.stats', listener: (stats: { message: string }) => void): unknown
  on(event: 'event.log', listener: (log: { severity: number; fac: string; message: string }) => void): unknown
  on(event: 'disconnected', listener: () => void): unknown
}

export interface RdMessage {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly key?: Buffer | string | null
  readonly value: Buffer | null
  readonly timestamp?: number
  readonly headers?: RdHeaders
}

export interface RdConsumer extends RdClient {
  disconnect(cb: (err: unknown) => void): unknown
  assign(assignments: Array<{ topic: string; partition: number; offset?: number }>): unknown
  consume(count: number, cb: (err: RdKafkaError | null, messages: RdMessage[]) => void): void
  queryWatermarkOffsets(topic: string, partition: number, timeoutMs: number, cb: (err: RdKafkaError | null, offsets: { lowOffset: number; highOffset: number }) => void): unknown
}

export interface RdAdminClient {
  createTopic(topic: { topic: string; num_partitions: number; replication_factor: number; config?: Record<string, string> }, timeoutMs: number, cb: (err: RdKafkaError | null) => void): void
  deleteTopic(topic: string, timeoutMs: number, cb: (err: RdKafkaError | null) => void): void
  disconnect(): void
}

export interface RdKafkaModule {
  readonly Producer: new (config: RdConfig, topicConfig?: RdConfig) => RdProducer
  readonly KafkaConsumer: new (config: RdConfig, topicConfig?: RdConfig) => RdConsumer
  readonly AdminClient: { create(config: RdConfig): RdAdminClient }
  readonly CODES: { readonly ERRORS: Readonly<Record<string, number>> }
  readonly librdkafkaVersion: string
  readonly features: readonly string[]
}

export const RDKAFKA_PACKAGE = '@confluentinc/kafka-javascript'

export class KafkaClientUnavailableError extends Error {
  constructor(cause: unknown) {
    super(
      `KAFKA_HOSTS is set but the Kafka client (${RDKAFKA_PACKAGE}, a native addon) could not be loaded ` +
      `(${firstLine(cause)}). Install capture with Kafka support: \`npm run install:kafka\` ` +
      '(builds the client from source; docs/kafka.md). Unset KAFKA_HOSTS to run on the local log.',
      { cause },
    )
    this.name = 'KafkaClientUnavailableError'
  }
}

function firstLine(cause: unknown): string {
  const text = cause instanceof Error ? cause.message : String(cause)
  return (text.split('\n', 1)[0] ?? text).trim()
}

let loaded: Promise<RdKafkaModule> | undefined

/** The bindings, imported once; rejects with KafkaClientUnavailableError when absent or broken. */
export function loadRdKafka(): Promise<RdKafkaModule> {
  loaded ??= importBindings(RDKAFKA_PACKAGE)
  return loaded
}

/** Imports `specifier` as the bindings (a parameter so tests can name a package that is not there). */
export async function importBindings(specifier: string): Promise<RdKafkaModule> {
  // A non-literal specifier keeps tsc from resolving the (optional) package.
  try {
    const imported = (await import(specifier)) as { default?: RdKafkaModule } & Partial<RdKafkaModule>
    const module = imported.default ?? (imported as RdKafkaModule)
    if (typeof module.Producer !== 'function') throw new Error('the module has no Producer export')
    return module
  } catch (err) {
    loaded = undefined
    throw new KafkaClientUnavailableError(err)
  }
}
