/**
 * Segment writer: appends whole lines to this process's current segment with
 * group commit, and rotates segments by size.
 *
 * Group commit (leader/follower, no timer): the first append while idle is
 * written at once; appends arriving while a write+fsync is in flight queue up,
 * and when it completes everything queued (up to `maxGroupBytes`) goes out in
 * one writev and one fdatasync. Throughput grows with concurrency, latency
 * stays one fsync when idle.
 *
 * Invariants:
 * - append() resolves only after its bytes are written and fdatasync'd.
 * - One commit at a time, each append's bytes contiguous: lines never interleave.
 * - A failed write/fsync rejects every append of its group (sink_unavailable),
 *   makes health unhealthy until a later commit succeeds, and abandons the
 *   segment, so bytes of a failed group can only ever be a segment's torn tail.
 * - Rotation happens between groups: when the current segment has reached
 *   `segmentMaxBytes`, the next group starts a new segment (seq + 1).
 */
import { unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { CaptureError } from '../../errors/capture-error.js'
import type { HealthReport } from '../../observability/health.js'
import type { Logger } from '../../observability/logger.js'
import type { Metrics } from '../../observability/metrics.js'
import { MiB, bytes, type Bytes } from '../../units.js'
import {
  abandonSegment, appendDurably, createSegment, ensureDataDir,
  type OpenSegment, type SegmentId,
} from './segment-file.js'
import { describeFault, probeWritable, WRITE_RETRY_AFTER, WriteFaults } from './write-faults.js'

export interface SegmentWriterDeps {
  readonly logger: Logger
  readonly metrics: Metrics
  /** Epoch milliseconds; names new segments. */
  readonly clock: () => number
}

export interface SegmentWriterOptions {
  readonly dataDir: string
  readonly segmentMaxBytes: Bytes
  /** Cap on one group commit; a single larger append still goes alone. Default 4 MiB. */
  readonly maxGroupBytes?: Bytes
  /** Defaults to process.pid; part of every segment name. */
  readonly pid?: number
}

export interface SegmentWriter {
  /** Appends `lines` (whole lines, each ending in "\n"); resolves once fsync'd. */
  append(lines: Buffer, messages: number): Promise<void>
  /** File name (not path) of the segment the next group goes to, if still open. */
  currentSegment(): string | undefined
  health(): HealthReport
  /** Waits for queued appends, then closes the segment. Idempotent. */
  close(): Promise<void>
}

interface Pending {
  readonly lines: Buffer
  readonly messages: number
  readonly resolve: () => void
  readonly reject: (err: unknown) => void
}

export async function openSegmentWriter(deps: SegmentWriterDeps, options: SegmentWriterOptions): Promise<SegmentWriter> {
  await ensureDataDir(options.dataDir)
  const first = await createSegment(options.dataDir, { startMs: deps.clock(), pid: options.pid ?? process.pid, seq: 0 })
  return new GroupCommitWriter(deps, options, first.segment, first.id)
}

class GroupCommitWriter implements SegmentWriter {
  private readonly queue: Pending[] = []
  private readonly maxGroupBytes: Bytes
  private draining: Promise<void> | undefined
  private closing: Promise<void> | undefined
  private lastError: string | undefined
  private readonly faults = new WriteFaults()

  constructor(
    private readonly deps: SegmentWriterDeps,
    private readonly options: SegmentWriterOptions,
    private segment: OpenSegment | undefined,
    private id: SegmentId,
  ) {
    this.maxGroupBytes = options.maxGroupBytes ?? bytes(4 * MiB)
  }

  append(lines: Buffer, messages: number): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(new CaptureError('shutting_down'))
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ lines, messages, resolve, reject })
      this.draining ??= this.drain()
    })
  }

  currentSegment(): string | undefined {
    return this.segment?.name
  }

  health(): HealthReport {
    if (this.closing !== undefined) return { healthy: false, detail: 'closed' }
    if (this.lastError !== undefined) return { healthy: false, detail: `local log write failed: ${this.lastError}` }
    return { healthy: true }
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown()
    return this.closing
  }

  private async shutDown(): Promise<void> {
    this.faults.stopProbing()
    while (this.draining !== undefined) await this.draining
    const segment = this.segment
    this.segment = undefined
    if (segment === undefined) return
    try {
      await segment.handle.datasync()
    } finally {
      await segment.handle.close()
    }
    // Nothing was ever appended: drop the file rather than leave an empty segment per start.
    if (segment.size === 0) await unlink(join(this.options.dataDir, segment.name)).catch(() => undefined)
  }

  /** The leader loop: runs while anything is queued; never throws, so close() cannot hang on it. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.takeGroup()
      try {
        await this.commit(group)
      } catch (err) {
        this.fail(group, err)
      }
    }
    this.draining = undefined
  }

  private takeGroup(): Pending[] {
    let size = 0
    let count = 0
    for (const pending of this.queue) {
      if (count > 0 && size + pending.lines.length > this.maxGroupBytes) break
      size += pending.lines.length
      count++
    }
    return this.queue.splice(0, count)
  }

  private async commit(group: Pending[]): Promise<void> {
    const buffers = group.map((pending) => pending.lines)
    let size = 0
    let messages = 0
    for (const pending of group) {
      size += pending.lines.length
      messages += pending.messages
    }
    const started = performance.now()
    try {
      const segment = await this.segmentForNextGroup()
      await this.appendOrAbandon(segment, buffers, size)
    } catch (err) {
      this.fail(group, err)
      return
    }
    const { metrics } = this.deps
    metrics.localLogFsyncDuration.observe((performance.now() - started) / 1000)
    metrics.localLogBatchMessages.observe(messages)
    metrics.localLogBytes.inc(size)
    if (this.lastError !== undefined) this.recovered()
    for (const pending of group) pending.resolve()
  }

  private async appendOrAbandon(segment: OpenSegment, buffers: Buffer[], size: number): Promise<void> {
    try {
      await appendDurably(segment, buffers, size)
    } catch (err) {
      this.segment = undefined
      await abandonSegment(segment)
      // A segment that never held an acknowledged line is not kept (one per failed group otherwise).
      if (segment.size === 0) await unlink(join(this.options.dataDir, segment.name)).catch(() => undefined)
      throw err
    }
  }

  private fail(group: Pending[], err: unknown): void {
    this.lastError = err instanceof Error ? err.message : String(err)
    const fault = describeFault(err, this.options.dataDir)
    const suppressed = this.faults.shouldLog(Date.now())
    if (suppressed !== undefined) this.deps.logger.error({ err, code: fault.code, messages: group.length, dataDir: this.options.dataDir, alsoFailedSinceLastLog: suppressed }, fault.log)
    const error = new CaptureError('sink_unavailable', { cause: err, detail: fault.reply, retryAfter: WRITE_RETRY_AFTER })
    for (const pending of group) pending.reject(error)
    // Unhealthy (readiness 503) until a write succeeds: probe the disk, so recovery needs no traffic.
    this.faults.startProbing(() => probeWritable(this.options.dataDir), () => this.recovered())
  }

  private recovered(): void {
    this.lastError = undefined
    this.faults.stopProbing()
    this.deps.logger.info({ dataDir: this.options.dataDir }, 'local log writable again; accepting events')
  }

  /** The open segment, or a new one when it is full or was abandoned after a failure. */
  private async segmentForNextGroup(): Promise<OpenSegment> {
    const current = this.segment
    if (current !== undefined && current.size < this.options.segmentMaxBytes) return current
    if (current !== undefined) {
      this.segment = undefined
      await current.handle.close().catch((err: unknown) => this.deps.logger.warn({ err }, 'closing a full segment failed'))
    }
    // A clock that steps backwards must not make a later segment sort earlier.
    const next = { ...this.id, startMs: Math.max(this.deps.clock(), this.id.startMs), seq: this.id.seq + 1 }
    const created = await createSegment(this.options.dataDir, next)
    this.segment = created.segment
    this.id = created.id
    return created.segment
  }
}
