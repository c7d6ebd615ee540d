/**
 * SpoolingSink: Kafka, with the local log as a spool, so that Kafka failing is
 * not an outage. It is the sink the app uses in Kafka mode.
 *
 * Routing of one publish:
 * - SPOOLING marker down and Kafka reachable → Kafka. Messages Kafka does not
 *   acknowledge for a retryable reason (broker down, delivery timeout, local
 *   queue full) go to the spool, and only those: acknowledged ones are not
 *   duplicated.
 * - marker up (the spool holds messages not yet in Kafka) or Kafka
 *   unreachable → the spool, so per-key order holds: nothing overtakes what is
 *   already spooled. The drainer (spool-drainer.ts) forwards the spool and
 *   lowers the marker once caught up.
 * Either way the publish resolves only once every message is acknowledged by
 * Kafka or fsync'd to the spool: a 200 still means durable.
 *
 * Refusals: a message larger than Kafka accepts → 413 message_too_large (it
 * could never be forwarded, so it is not spooled); spool budget
 * (SPOOL_MAX_BYTES) exhausted → 503 spool_full with Retry-After.
 *
 * Health: the `sink` component (gates readiness) is healthy while writes can
 * land somewhere: Kafka is taking them, or the spool has headroom (under 90%
 * of its budget) and its disk writes succeed. Kafka's own reachability is a
 * separate, non-gating component (healthComponents), so /health shows an outage
 * while the instance stays in rotation and liveness never depends on Kafka.
 */
import { CaptureError } from '../../errors/capture-error.js'
import type { SpoolConfig } from '../../config/kafka-config.js'
import type { HealthComponent, HealthReport } from '../../observability/health.js'
import type { Logger } from '../../observability/logger.js'
import type { Metrics } from '../../observability/metrics.js'
import type { KafkaSink } from '../kafka/kafka-sink.js'
import type { LocalSink } from '../local-log/local-sink.js'
import type { PreparedMessage, Sink } from '../../pipeline/ports.js'
import { utf8LengthAgainst } from '../../pipeline/utf8-length.js'
import { SpoolDrainer } from './spool-drainer.js'
import { SpoolMarker, spoolPaths } from './spool-files.js'
import { SpoolMonitor } from './spool-monitor.js'

export interface SpoolingSinkDeps {
  readonly kafka: KafkaSink
  /** A LocalSink on the spool directory. */
  readonly spool: LocalSink
  readonly logger: Logger
  readonly metrics: Metrics
  readonly clock: () => number
}

export interface SpoolingSinkOptions extends SpoolConfig {
  /** KAFKA_PRODUCER_MESSAGE_MAX_BYTES: larger messages are refused, never spooled. */
  readonly messageMaxBytes: number
  readonly drainBatchMessages?: number
  readonly drainBatchBytes?: number
  /** Pause of the drainer and the spool scan when idle (default 200 ms / 1 s). */
  readonly drainIdleMs?: number
  readonly scanIntervalMs?: number
  readonly lockStaleMs?: number
}

export interface SpoolingSink extends Sink {
  readonly kind: 'kafka'
  /** Bytes not yet forwarded (as of the last scan, plus this process's writes since). */
  pendingBytes(): number
}

/** Per stored line beyond the envelope: topic, key, headers, ts. */
const LINE_OVERHEAD_BYTES = 320
const NEARLY_FULL = 0.9

export async function createSpoolingSink(deps: SpoolingSinkDeps, options: SpoolingSinkOptions): Promise<SpoolingSink> {
  const sink = new KafkaWithSpool(deps, options)
  await sink.start()
  return sink
}

class KafkaWithSpool implements SpoolingSink {
  readonly kind = 'kafka' as const
  private readonly marker: SpoolMarker
  private readonly monitor: SpoolMonitor
  private readonly drainer: SpoolDrainer
  private readonly inflight = new Set<Promise<void>>()
  private scanTimer: NodeJS.Timeout | undefined
  private closing: Promise<void> | undefined

  constructor(private readonly deps: SpoolingSinkDeps, private readonly options: SpoolingSinkOptions) {
    const paths = spoolPaths(deps.spool.dataDir)
    this.marker = new SpoolMarker(paths.marker)
    this.monitor = new SpoolMonitor({ paths, metrics: deps.metrics, clock: deps.clock })
    this.drainer = new SpoolDrainer(
      { target: deps.kafka, paths, marker: this.marker, logger: deps.logger, metrics: deps.metrics, clock: deps.clock, onProgress: () => void this.refresh() },
      {
        batchMessages: options.drainBatchMessages ?? 2000,
        batchBytes: options.drainBatchBytes ?? 4 * 1024 * 1024,
        idleMs: options.drainIdleMs ?? 200,
        lockStaleMs: options.lockStaleMs ?? 30_000,
      },
    )
  }

  /** Raises the marker if a previous run left messages behind, then starts scanning and draining. */
  async start(): Promise<void> {
    const snapshot = await this.refresh()
    if (snapshot.pendingBytes > 0) {
      this.marker.raise()
      this.deps.logger.warn({ pendingBytes: snapshot.pendingBytes, dir: this.deps.spool.dataDir }, 'the spool holds messages from an earlier run; forwarding them first')
    }
    this.scanTimer = setInterval(() => void this.refresh(), this.options.scanIntervalMs ?? 1000)
    this.scanTimer.unref()
    this.drainer.start()
  }

  publish(messages: readonly PreparedMessage[]): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(new CaptureError('shutting_down'))
    if (messages.length === 0) return Promise.resolve()
    const work = this.route(messages)
    this.inflight.add(work)
    const forget = (): void => void this.inflight.delete(work)
    work.then(forget, forget)
    return work
  }

  private async route(messages: readonly PreparedMessage[]): Promise<void> {
    if (!this.marker.isRaised() && this.deps.kafka.isReachable()) {
      // Undelivered messages go to the spool as they are: equal copies will do.
      const result = await this.deps.kafka.send(messages, { copies: true })
      if (result.ok) return
      if (!result.retryable) throw result.error
      this.deps.logger.warn({ messages: result.undelivered.length, err: result.error.message }, 'kafka did not take messages; spooling them')
      return this.toSpool(result.undelivered)
    }
    return this.toSpool(messages)
  }

  private async toSpool(messages: readonly PreparedMessage[]): Promise<void> {
    const size = this.checkSizes(messages)
    const max = this.options.maxBytes
    if (this.monitor.pendingBytes() + size > max) {
      throw new CaptureError('spool_full', {
        detail: `Kafka cannot take events now and the spool holds ${this.monitor.pendingBytes()} of ${max} bytes (SPOOL_MAX_BYTES); retry later.`,
        retryAfter: this.options.retryAfter,
      })
    }
    this.marker.raise()
    await this.deps.spool.publish(messages)
    this.monitor.recordWrite(size)
    this.deps.metrics.spoolWritten.inc(messages.length)
  }

  /** Bytes the messages take in the spool; refuses one Kafka would never accept. */
  private checkSizes(messages: readonly PreparedMessage[]): number {
    const limit = this.options.messageMaxBytes
    let total = 0
    for (let index = 0; index < messages.length; index++) {
      const value = messages[index]!.value
      const size = utf8LengthAgainst(value, limit)
      if (size > limit) {
        throw new CaptureError('message_too_large', {
          detail: `A message is ${size} bytes; Kafka accepts at most ${limit} bytes (KAFKA_PRODUCER_MESSAGE_MAX_BYTES).`,
          limit, size,
        })
      }
      total += size + LINE_OVERHEAD_BYTES
    }
    return total
  }

  /** Rescans the spool and looks at the marker again (other processes raise and lower it). */
  private async refresh(): Promise<{ pendingBytes: number }> {
    this.marker.isRaised()
    return this.monitor.refresh().catch((err: unknown) => {
      this.deps.logger.warn({ err }, 'spool scan failed')
      return { pendingBytes: this.monitor.pendingBytes() }
    })
  }

  health(): HealthReport {
    if (this.closing !== undefined) return { healthy: false, detail: 'closed' }
    const pending = this.monitor.pendingBytes()
    const spooling = this.marker.lastSeen()
    const kafkaUp = this.deps.kafka.isReachable()
    if (kafkaUp && !spooling) return { healthy: true, detail: 'writing to kafka' }
    const spoolWrites = this.deps.spool.health()
    const headroom = pending < this.options.maxBytes * NEARLY_FULL
    const state = `${kafkaUp ? 'forwarding the spool to kafka' : 'kafka unreachable, writing to the spool'}; ` +
      `spool holds ${pending} of ${this.options.maxBytes} bytes (SPOOL_MAX_BYTES), oldest ${Math.round(this.monitor.oldestAgeMs() / 1000)} s`
    if (!spoolWrites.healthy) return { healthy: false, detail: `${state}; spool writes fail: ${spoolWrites.detail ?? 'unknown'}` }
    return headroom ? { healthy: true, detail: state } : { healthy: false, detail: `${state}; spool nearly full` }
  }

  /** `sink` gates readiness; `kafka` (Kafka's own reachability) shows in /health only. */
  healthComponents(): readonly HealthComponent[] {
    return [
      { name: 'sink', report: () => this.health() },
      { name: 'kafka', report: () => this.deps.kafka.health(), readiness: false },
    ]
  }

  pendingBytes(): number {
    return this.monitor.pendingBytes()
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown()
    return this.closing
  }

  /** Drainer first, then Kafka (flush within its bound: what is left lands in the spool), then the spool. */
  private async shutDown(): Promise<void> {
    await this.drainer.stop()
    clearInterval(this.scanTimer)
    await this.deps.kafka.close()
    await Promise.allSettled([...this.inflight])
    await this.deps.spool.close()
  }
}
