/**
 * LocalSink: the embedded default sink (and the Kafka spool's storage). Each
 * publish becomes NDJSON lines appended to this process's own segment under
 * `dataDir`, and resolves only once they are fsync'd (see segment-writer.ts for
 * group commit and rotation, log-line.ts for the format).
 *
 * With `housekeeping` (the app passes log retention, sinks/retention/), the
 * sink starts it once its directory is open and stops it before closing.
 *
 * Invariants: the messages of one publish are contiguous and in order in one
 * segment and share one `ts`; envelopes are spliced in as serialised by the
 * pipeline, never re-encoded; after close() starts, publish rejects with
 * `shutting_down` while already queued publishes still complete.
 */
import { CaptureError } from '../../errors/capture-error.js'
import type { HealthComponent, HealthReport } from '../../observability/health.js'
import type { Logger } from '../../observability/logger.js'
import type { Metrics } from '../../observability/metrics.js'
import type { Bytes } from '../../units.js'
import type { PreparedMessage, Sink } from '../../pipeline/ports.js'
import { ensureLogFormat } from './format-version.js'
import { encodeLines } from './log-line.js'
import { ensureDataDir } from './segment-file.js'
import { openSegmentWriter, type SegmentWriter } from './segment-writer.js'

export interface LocalSinkDeps {
  readonly logger: Logger
  readonly metrics: Metrics
  /** Epoch milliseconds, stamped as `ts` on each line. Defaults to Date.now. */
  readonly clock?: () => number
  /** Background work on the directory (retention), started after it is open, stopped on close. */
  readonly housekeeping?: Housekeeping
}

export interface Housekeeping {
  start(): void
  stop(): Promise<void>
}

export interface LocalSinkOptions {
  readonly dataDir: string
  /** A segment that has reached this size is closed; the next write starts a new one. */
  readonly segmentMaxBytes: Bytes
  /** Cap on the bytes made durable by one fsync (default 4 MiB). */
  readonly maxGroupBytes?: Bytes
}

export interface LocalSink extends Sink {
  readonly kind: 'local'
  readonly dataDir: string
  /** File name of the segment this process is writing, for logs and tests. */
  currentSegment(): string | undefined
}

export async function createLocalSink(deps: LocalSinkDeps, options: LocalSinkOptions): Promise<LocalSink> {
  const clock = deps.clock ?? Date.now
  await ensureDataDir(options.dataDir)
  await ensureLogFormat(options.dataDir)
  const writer = await openSegmentWriter(
    { logger: deps.logger, metrics: deps.metrics, clock },
    { dataDir: options.dataDir, segmentMaxBytes: options.segmentMaxBytes, maxGroupBytes: options.maxGroupBytes },
  )
  deps.logger.info({ dataDir: options.dataDir, segment: writer.currentSegment() }, 'local log open')
  deps.housekeeping?.start()
  return new LocalLogSink({ metrics: deps.metrics, clock, writer, housekeeping: deps.housekeeping }, options.dataDir)
}

class LocalLogSink implements LocalSink {
  readonly kind = 'local' as const
  private closed = false

  constructor(
    private readonly deps: { metrics: Metrics; clock: () => number; writer: SegmentWriter; housekeeping: Housekeeping | undefined },
    readonly dataDir: string,
  ) {}

  publish(messages: readonly PreparedMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new CaptureError('shutting_down'))
    if (messages.length === 0) return Promise.resolve()
    // Encode now, then wait holding only the bytes: the messages can be collected during the fsync.
    return this.deps.writer.append(encodeLines(messages, this.deps.clock()), messages.length)
  }

  health(): HealthReport {
    return this.deps.writer.health()
  }

  healthComponents(): readonly HealthComponent[] {
    return [{ name: 'sink', report: () => this.health() }]
  }

  currentSegment(): string | undefined {
    return this.deps.writer.currentSegment()
  }

  async close(): Promise<void> {
    this.closed = true
    await this.deps.housekeeping?.stop()
    return this.deps.writer.close()
  }
}
