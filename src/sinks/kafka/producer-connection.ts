/**
 * ProducerConnection: owns the librdkafka Producer instance and its
 * lifecycle. Kafka being down at startup is not fatal (the spool takes the
 * traffic): a failed connect is retried in the background with backoff until
 * one succeeds. Once connected, librdkafka reconnects to brokers by itself;
 * only a fatal error (the instance is unusable, e.g. an idempotence failure)
 * makes this replace the instance.
 *
 * The instance comes from an OpenProducer (producer.ts): capture's batch
 * addon, or the general-purpose binding where the addon is not built.
 */
import type { KafkaConfig } from '../../config/kafka-config.js'
import type { Logger } from '../../observability/logger.js'
import type { BrokerReachability } from './broker-reachability.js'
import type { OpenProducer, Producer, ProducerHooks } from './producer.js'
import { producerSettings } from './producer-config.js'
import type { RdKafkaError } from './rdkafka-module.js'

export interface ProducerConnectionDeps {
  readonly open: OpenProducer
  readonly logger: Logger
  readonly reachability: BrokerReachability
  /** Delivery verdicts in counts (metrics, reachability). */
  readonly delivered: ProducerHooks['delivered']
  readonly failed: ProducerHooks['failed']
  /** The current instance became unusable: its pending publishes will get no reports. */
  readonly onLost: () => void
}

const RETRY_MIN_MS = 1000
const RETRY_MAX_MS = 30_000
const ERROR_LOG_EVERY_MS = 30_000
const FATAL = /fatal/i

export class ProducerConnection {
  private producer: Producer | undefined
  private attempt: Promise<boolean> | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private retryDelay = RETRY_MIN_MS
  private closed = false
  private lastErrorLog = 0

  constructor(private readonly deps: ProducerConnectionDeps, private readonly config: KafkaConfig) {}

  /** The connected instance, if any. */
  current(): Producer | undefined {
    return this.producer
  }

  /** One connect attempt (bounded by KAFKA_CONNECT_TIMEOUT_MS); on failure, retries continue in the background. */
  start(): Promise<boolean> {
    this.attempt ??= this.connectOnce().finally(() => (this.attempt = undefined))
    return this.attempt
  }

  /** Waits until librdkafka has no message left to deliver, at most `timeoutMs`; true when it got there. */
  flush(timeoutMs: number): Promise<boolean> {
    return this.producer === undefined ? Promise.resolve(true) : this.producer.flush(timeoutMs as KafkaConfig['flushTimeoutMs'])
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.retryTimer)
    await this.attempt?.catch(() => undefined)
    const producer = this.producer
    this.producer = undefined
    if (producer !== undefined) await producer.close()
  }

  private async connectOnce(): Promise<boolean> {
    if (this.closed || this.producer !== undefined) return this.producer !== undefined
    const { open, logger, reachability } = this.deps
    let producer: Producer | undefined
    const hooks: ProducerHooks = {
      delivered: this.deps.delivered,
      failed: this.deps.failed,
      stats: (json) => reachability.onStats(json),
      error: (err) => this.onClientError(producer, err),
    }
    try {
      producer = await open({ settings: producerSettings(this.config), connectTimeoutMs: this.config.connectTimeoutMs, messageMaxBytes: this.config.messageMaxBytes }, hooks)
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      reachability.onConnectFailed(message)
      logger.warn({ err: message, hosts: this.config.hosts, retryInMs: this.retryDelay }, 'kafka connect failed; spooling until it succeeds')
      this.scheduleRetry()
      return false
    }
    if (this.closed) {
      await producer.close()
      return false
    }
    this.producer = producer
    this.retryDelay = RETRY_MIN_MS
    reachability.onConnected()
    logger.info({ hosts: this.config.hosts, compression: this.config.compression, acks: this.config.acks, engine: producer.engine }, 'kafka producer connected')
    return true
  }

  private scheduleRetry(): void {
    if (this.closed) return
    clearTimeout(this.retryTimer)
    this.retryTimer = setTimeout(() => void this.start(), this.retryDelay)
    this.retryTimer.unref()
    this.retryDelay = Math.min(RETRY_MAX_MS, this.retryDelay * 2)
  }

  private onClientError(producer: Producer | undefined, err: RdKafkaError): void {
    this.deps.reachability.onClientError(err.message)
    const now = Date.now()
    if (now - this.lastErrorLog >= ERROR_LOG_EVERY_MS) {
      this.lastErrorLog = now
      this.deps.logger.warn({ err: err.message }, 'kafka client error (further ones logged at most every 30 s)')
    }
    if ((err.isFatal === true || FATAL.test(err.message)) && producer !== undefined && producer === this.producer) this.replace(producer, err)
  }

  /** A fatal error: drop the instance and connect a new one. */
  private replace(producer: Producer, err: RdKafkaError): void {
    this.deps.logger.error({ err: err.message }, 'kafka producer hit a fatal error; replacing it')
    this.producer = undefined
    this.deps.onLost()
    void producer.close()
    this.scheduleRetry()
  }
}
