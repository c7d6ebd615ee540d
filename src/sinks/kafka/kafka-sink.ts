/**
 * KafkaSink: publishes prepared messages with librdkafka (idempotent,
 * acks=all, murmur2_random, compressed batches) and resolves only when Kafka
 * has acknowledged every one of them.
 *
 * Completion is counted per publish (PublishTracker), not promised per
 * message. `send` reports exactly which messages were not acknowledged, so
 * the spool (spool/spooling-sink.ts) can store those; `publish` is the plain
 * Sink contract and rejects with 503 sink_unavailable or 413
 * message_too_large.
 *
 * Invariants: messages of one publish are enqueued in order and enqueueing
 * stops at the first refusal, so per-key order is never broken by a partial
 * enqueue; after close() starts, publish rejects with shutting_down while
 * publishes already started complete (delivered, or reported undelivered once
 * the flush bound is reached).
 */
import { CaptureError } from '../../errors/capture-error.js'
import type { KafkaConfig } from '../../config/kafka-config.js'
import type { HealthComponent, HealthReport } from '../../observability/health.js'
import type { Logger } from '../../observability/logger.js'
import type { DeliveryErrorCause, Metrics } from '../../observability/metrics.js'
import type { PreparedMessage, Sink } from '../../pipeline/ports.js'
import { BrokerReachability, type ReachabilityReport } from './broker-reachability.js'
import { publishError } from './delivery-errors.js'
import type { OpenProducer } from './producer.js'
import { ProducerConnection } from './producer-connection.js'
import type { Millis } from '../../units.js'
import { PublishTracker, type SendResult } from './publish-tracker.js'

export type { SendResult } from './publish-tracker.js'

export interface KafkaSinkDeps {
  /** The producer engine (engines.ts picks it). */
  readonly open: OpenProducer
  readonly logger: Logger
  readonly metrics: Metrics
  /** Epoch ms; defaults to Date.now. */
  readonly clock?: () => number
}

export interface SendOptions {
  readonly copies?: boolean
}

export interface KafkaSink extends Sink {
  readonly kind: 'kafka'
  /**
   * Like publish, but reports the messages Kafka did not acknowledge instead of
   * throwing: the very objects passed in, unless `copies` is set, which lets
   * the sink drop them once encoded and report equal copies instead (less heap
   * held while Kafka answers; for callers that do not compare by identity).
   */
  send(messages: readonly PreparedMessage[], options?: SendOptions): Promise<SendResult>
  /** At least one broker connection is up (no I/O). */
  isReachable(): boolean
  reachability(): ReachabilityReport
}

export interface KafkaSinkOptions {
  /**
   * How long creation waits for the first connect (which goes on in the
   * background, bounded by KAFKA_CONNECT_TIMEOUT_MS). Unset: the whole first
   * attempt. The server waits briefly, so a restart during a Kafka outage
   * serves (into the spool) at once instead of after the connect timeout.
   */
  readonly connectWaitMs?: Millis
}

export async function createKafkaSink(deps: KafkaSinkDeps, config: KafkaConfig, options: KafkaSinkOptions = {}): Promise<KafkaSink> {
  const sink = new RdKafkaSink(deps, config)
  const connected = sink.connect()
  if (options.connectWaitMs === undefined) await connected
  else await Promise.race([connected, new Promise((resolve) => setTimeout(resolve, options.connectWaitMs).unref())])
  return sink
}

/**
 * While Kafka is unreachable, what librdkafka still holds is purged after
 * this long (queued messages first, then also those sent and unanswered), so
 * its publishes are spooled within about a second instead of waiting for
 * KAFKA_MESSAGE_TIMEOUT_MS; and shutdown purges at once instead of flushing.
 */
const PURGE_AFTER_MS = 1000

class RdKafkaSink implements KafkaSink {
  readonly kind = 'kafka' as const
  private readonly connection: ProducerConnection
  private readonly brokers: BrokerReachability
  private readonly inflight = new Set<PublishTracker>()
  private readonly toError = (cause: DeliveryErrorCause, err: unknown): CaptureError =>
    err instanceof CaptureError ? err : publishError(cause, err)
  private closing: Promise<void> | undefined
  private purgeTimer: NodeJS.Timeout | undefined

  constructor(private readonly deps: KafkaSinkDeps, private readonly config: KafkaConfig) {
    this.brokers = new BrokerReachability(deps.clock ?? Date.now, (reachable, reason) => {
      deps.metrics.kafkaReachable.set(reachable ? 1 : 0)
      deps.logger[reachable ? 'info' : 'warn']({ reason }, reachable ? 'kafka reachable' : 'kafka unreachable')
      if (reachable) this.stopPurging()
      else this.startPurging()
    })
    deps.metrics.kafkaReachable.set(0)
    this.connection = new ProducerConnection(
      {
        open: deps.open, logger: deps.logger, reachability: this.brokers, onLost: () => this.abandonInflight('fatal'),
        delivered: () => this.brokers.onDelivered(),
        failed: (cause, count) => deps.metrics.kafkaDeliveryErrors.inc({ cause }, count),
      },
      config,
    )
  }

  connect(): Promise<boolean> {
    return this.connection.start()
  }

  async publish(messages: readonly PreparedMessage[]): Promise<void> {
    if (this.closing !== undefined) throw new CaptureError('shutting_down')
    const result = await this.send(messages, { copies: true })
    if (!result.ok) throw result.error
  }

  send(messages: readonly PreparedMessage[], options: SendOptions = {}): Promise<SendResult> {
    if (this.closing !== undefined) return Promise.resolve(this.refuse(messages, 'shutdown', new CaptureError('shutting_down')))
    if (messages.length === 0) return Promise.resolve({ ok: true })
    const producer = this.connection.current()
    if (producer === undefined) return Promise.resolve(this.refuse(messages, 'not_connected', new Error('the producer is not connected')))
    return new Promise<SendResult>((resolve) => {
      const tracker = new PublishTracker(messages, this.toError, (result) => {
        this.inflight.delete(tracker)
        resolve(result)
      }, options.copies === true)
      this.inflight.add(tracker)
      producer.send(messages, tracker)
    })
  }

  isReachable(): boolean {
    return this.brokers.isReachable()
  }

  reachability(): ReachabilityReport {
    return this.brokers.report()
  }

  health(): HealthReport {
    if (this.closing !== undefined) return { healthy: false, detail: 'closed' }
    const report = this.brokers.report()
    const since = new Date(report.sinceMs).toISOString()
    return report.reachable
      ? { healthy: true, detail: `kafka reachable since ${since}` }
      : { healthy: false, detail: `kafka unreachable since ${since}: ${report.detail}` }
  }

  healthComponents(): readonly HealthComponent[] {
    return [{ name: 'sink', report: () => this.health() }]
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown()
    return this.closing
  }

  /** Purges every PURGE_AFTER_MS while Kafka stays unreachable: queued messages, then in-flight ones too. */
  private startPurging(): void {
    if (this.purgeTimer !== undefined) return
    let rounds = 0
    this.purgeTimer = setInterval(() => {
      if (this.inflight.size === 0) return
      rounds++
      this.deps.logger.warn({ publishes: this.inflight.size, inflightToo: rounds > 1 }, 'kafka unreachable: spooling what it has not acknowledged')
      this.connection.current()?.purge(rounds > 1)
    }, PURGE_AFTER_MS)
    this.purgeTimer.unref()
  }

  private stopPurging(): void {
    clearInterval(this.purgeTimer)
    this.purgeTimer = undefined
  }

  private async shutDown(): Promise<void> {
    this.stopPurging()
    // Kafka down: flushing would only wait for the timeout; what is pending goes to the spool now.
    if (!this.brokers.isReachable()) this.connection.current()?.purge(true)
    const flushed = await this.connection.flush(this.config.flushTimeoutMs)
    // Delivery reports reach JS just after the flush returns; give them a moment.
    await waitUntil(() => this.inflight.size === 0, flushed ? 1000 : 100)
    if (this.inflight.size > 0) {
      this.deps.logger.warn({ publishes: this.inflight.size, flushTimeoutMs: this.config.flushTimeoutMs }, 'kafka flush bound reached; publishes left undelivered')
      this.abandonInflight('shutdown')
    }
    await this.connection.close()
  }

  private refuse(messages: readonly PreparedMessage[], cause: DeliveryErrorCause, err: unknown): SendResult {
    if (messages.length > 0) this.deps.metrics.kafkaDeliveryErrors.inc({ cause }, messages.length)
    return { ok: false, error: this.toError(cause, err), retryable: true, undelivered: messages }
  }

  private abandonInflight(cause: DeliveryErrorCause): void {
    const error = new Error(cause === 'shutdown' ? 'not delivered before the shutdown flush bound' : 'the producer failed fatally')
    for (const tracker of [...this.inflight]) tracker.forceSettle(cause, error)
  }
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
}
