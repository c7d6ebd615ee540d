/**
 * ProducerConnection: owns the librdkafka Producer instance and its
 * lifecycle. Kafka being down at startup is not fatal (the spool takes the
 * traffic): a failed connect is retried in the background with backoff until
 * one succeeds. Once connected, librdkafka reconnects to brokers by itself;
 * only a fatal error (the instance is unusable, e.g. an idempotence failure)
 * makes this replace the instance.
 *
 * Delivery reports are served by librdkafka's background thread
 * (setPollInBackground), so they reach JS without a polling timer.
 */
import type { KafkaConfig } from '../../config/kafka-config.js'
import type { Logger } from '../../observability/logger.js'
import type { BrokerReachability } from './broker-reachability.js'
import { producerSettings } from './producer-config.js'
import type { RdDeliveryReport, RdKafkaError, RdKafkaModule, RdProducer } from './rdkafka-module.js'

export interface ProducerConnectionDeps {
  readonly rdkafka: RdKafkaModule
  readonly logger: Logger
  readonly reachability: BrokerReachability
  readonly onReport: (err: RdKafkaError | null, report: RdDeliveryReport) => void
  /** The current instance became unusable: its pending publishes will get no reports. */
  readonly onLost: () => void
}

const RETRY_MIN_MS = 1000
const RETRY_MAX_MS = 30_000
const ERROR_LOG_EVERY_MS = 30_000
const FATAL = /fatal/i

export class ProducerConnection {
  private producer: RdProducer | undefined
  private attempt: Promise<boolean> | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private retryDelay = RETRY_MIN_MS
  private closed = false
  private lastErrorLog = 0

  constructor(private readonly deps: ProducerConnectionDeps, private readonly config: KafkaConfig) {}

  /** The connected instance, if any. */
  current(): RdProducer | undefined {
    return this.producer
  }

  /** One connect attempt (bounded by KAFKA_CONNECT_TIMEOUT_MS); on failure, retries continue in the background. */
  start(): Promise<boolean> {
    this.attempt ??= this.connectOnce().finally(() => (this.attempt = undefined))
    return this.attempt
  }

  /** Waits until librdkafka has no message left to deliver, at most `timeoutMs`; true when it got there. */
  flush(timeoutMs: number): Promise<boolean> {
    const producer = this.producer
    if (producer === undefined) return Promise.resolve(true)
    return new Promise((resolve) => {
      try {
        producer.flush(timeoutMs, (err) => resolve(err === null || err === undefined))
      } catch {
        resolve(false)
      }
    })
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.retryTimer)
    await this.attempt?.catch(() => undefined)
    const producer = this.producer
    this.producer = undefined
    if (producer !== undefined) await disconnect(producer)
  }

  private async connectOnce(): Promise<boolean> {
    if (this.closed || this.producer !== undefined) return this.producer !== undefined
    const { rdkafka, logger, reachability } = this.deps
    const producer = new rdkafka.Producer(producerSettings(this.config))
    producer.on('delivery-report', this.deps.onReport)
    producer.on('event.stats', (stats) => reachability.onStats(stats.message))
    producer.on('event.error', (err) => this.onClientError(producer, err))
    try {
      await connect(producer, this.config.connectTimeoutMs)
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      reachability.onConnectFailed(message)
      logger.warn({ err: message, hosts: this.config.hosts, retryInMs: this.retryDelay }, 'kafka connect failed; spooling until it succeeds')
      await disconnect(producer)
      this.scheduleRetry()
      return false
    }
    if (this.closed) {
      await disconnect(producer)
      return false
    }
    producer.setPollInBackground(true)
    this.producer = producer
    this.retryDelay = RETRY_MIN_MS
    reachability.onConnected()
    logger.info({ hosts: this.config.hosts, compression: this.config.compression, acks: this.config.acks }, 'kafka producer connected')
    return true
  }

  private scheduleRetry(): void {
    if (this.closed) return
    clearTimeout(this.retryTimer)
    this.retryTimer = setTimeout(() => void this.start(), this.retryDelay)
    this.retryTimer.unref()
    this.retryDelay = Math.min(RETRY_MAX_MS, this.retryDelay * 2)
  }

  private onClientError(producer: RdProducer, err: RdKafkaError): void {
    this.deps.reachability.onClientError(err.message)
    const now = Date.now()
    if (now - this.lastErrorLog >= ERROR_LOG_EVERY_MS) {
      this.lastErrorLog = now
      this.deps.logger.warn({ err: err.message }, 'kafka client error (further ones logged at most every 30 s)')
    }
    if ((err.isFatal === true || FATAL.test(err.message)) && producer === this.producer) this.replace(producer, err)
  }

  /** A fatal error: drop the instance and connect a new one. */
  private replace(producer: RdProducer, err: RdKafkaError): void {
    this.deps.logger.error({ err: err.message }, 'kafka producer hit a fatal error; replacing it')
    this.producer = undefined
    this.deps.onLost()
    void disconnect(producer)
    this.scheduleRetry()
  }
}

function connect(producer: RdProducer, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    producer.connect({ timeout: timeoutMs }, (err) => (err ? reject(err) : resolve()))
  })
}

/** Disconnects without waiting for deliveries (callers flush first); never throws. */
function disconnect(producer: RdProducer): Promise<void> {
  return new Promise((resolve) => {
    try {
      if (!producer.isConnected()) {
        resolve()
        return
      }
      producer.disconnect(0, () => resolve())
    } catch {
      resolve()
    }
  })
}
