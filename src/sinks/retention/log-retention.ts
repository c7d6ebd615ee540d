/**
 * LogRetention: keeps a log directory (the local log, or the Kafka spool)
 * within LOG_RETENTION_BYTES and LOG_RETENTION_HOURS, and watches the file
 * system it lives on. Every process writing the directory runs one; a pass
 * every 30 s lists the segments, deletes what retention-plan.ts allows, and
 * sets the disk gauges. Deletes are idempotent (a segment another process
 * deleted first is simply gone), so processes need no lock: they list the
 * same files and reach the same plan.
 *
 * Invariants: a segment still being appended to, or holding spooled lines the
 * drainer has not forwarded (its checkpoint, drain-checkpoint.json), is never
 * deleted. When the file system's free space falls below
 * LOG_DISK_FREE_WARN_BYTES a warning is logged (again every 10 minutes while
 * it lasts), before writes start to fail.
 */
import { stat, statfs, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../../observability/logger.js'
import type { Metrics } from '../../observability/metrics.js'
import type { RetentionConfig } from '../../config/retention-config.js'
import type { Millis } from '../../units.js'
import { completeLinesEnd } from '../local-log/line-scanner.js'
import { listSegments } from '../local-log/log-reader.js'
import { readCheckpoint } from '../spool/checkpoint.js'
import { isSealed } from '../spool/spool-files.js'
import { planRetention, type RetentionLimits, type RetentionPlan, type SegmentInfo } from './retention-plan.js'

export interface LogRetentionOptions extends RetentionConfig, RetentionLimits {
  readonly dir: string
  /** The drainer's checkpoint when `dir` is a Kafka spool: what it has not forwarded is kept. */
  readonly checkpointPath?: string
  /** Time between passes (default 30 s). */
  readonly intervalMs?: Millis
}

export interface LogRetentionDeps {
  readonly logger: Logger
  readonly metrics: Metrics
  readonly clock: () => number
}

export interface RetentionPassResult extends RetentionPlan {
  readonly freeBytes: number | undefined
}

const DEFAULT_INTERVAL_MS = 30_000
const WARN_EVERY_MS = 10 * 60_000

export class LogRetention {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<unknown> | undefined
  private lowDiskWarnedAt: number | undefined
  private overBudgetWarnedAt: number | undefined

  constructor(private readonly deps: LogRetentionDeps, private readonly options: LogRetentionOptions) {}

  /** A first pass now, then one per interval; the timer never keeps the process alive. */
  start(): void {
    if (this.timer !== undefined) return
    const tick = (): void => void this.passOnce()
    this.timer = setInterval(tick, this.options.intervalMs ?? DEFAULT_INTERVAL_MS)
    this.timer.unref()
    tick()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.running
  }

  /** One pass (one at a time); errors are logged, never thrown into the timer. */
  passOnce(): Promise<RetentionPassResult | undefined> {
    const pass = (this.running ?? Promise.resolve()).then(() => this.pass()).catch((err: unknown) => {
      this.deps.logger.error({ err, dir: this.options.dir }, 'log retention pass failed')
      return undefined
    })
    this.running = pass
    return pass
  }

  private async pass(): Promise<RetentionPassResult> {
    const now = this.deps.clock()
    const plan = planRetention(await this.segments(), this.options, now)
    for (const segment of plan.remove) {
      await unlink(join(this.options.dir, segment.name)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err
      })
      this.deps.metrics.logSegmentsDeleted.inc({ reason: segment.reason })
    }
    if (plan.remove.length > 0) {
      const freed = plan.remove.reduce((sum, s) => sum + s.size, 0)
      this.deps.logger.info({ dir: this.options.dir, segments: plan.remove.map((s) => `${s.name} (${s.reason})`), freedBytes: freed }, 'log retention deleted old segments')
    }
    this.deps.metrics.dataDirBytes.set(plan.keptBytes)
    this.warnIfOverBudget(plan, now)
    const freeBytes = await this.checkFreeSpace(now)
    return { ...plan, freeBytes }
  }

  private async segments(): Promise<SegmentInfo[]> {
    const { dir, checkpointPath } = this.options
    const names = await listSegments(dir)
    const checkpoint = checkpointPath === undefined ? undefined : await readCheckpoint(checkpointPath)
    const segments: SegmentInfo[] = []
    for (const name of names) {
      const info = await stat(join(dir, name)).catch(() => undefined)
      if (info === undefined) continue
      const sealed = isSealed(name, names)
      const forwarded = await isForwarded(join(dir, name), info.size, sealed, checkpoint?.get(name), checkpoint !== undefined)
      segments.push({ name, size: info.size, mtimeMs: info.mtimeMs, sealed, forwarded })
    }
    return segments
  }

  private warnIfOverBudget(plan: RetentionPlan, now: number): void {
    const { maxBytes } = this.options
    if (maxBytes === 0 || plan.keptBytes <= maxBytes) {
      this.overBudgetWarnedAt = undefined
      return
    }
    if (this.overBudgetWarnedAt !== undefined && now - this.overBudgetWarnedAt < WARN_EVERY_MS) return
    this.overBudgetWarnedAt = now
    this.deps.logger.warn(
      { dir: this.options.dir, bytes: plan.keptBytes, limit: maxBytes, protectedBytes: plan.protectedBytes },
      'log directory is over LOG_RETENTION_BYTES, but what is left is being written or not yet forwarded to Kafka, so it is kept',
    )
  }

  private async checkFreeSpace(now: number): Promise<number | undefined> {
    const fs = await statfs(this.options.dir).catch(() => undefined)
    if (fs === undefined) return undefined
    const free = fs.bavail * fs.bsize
    this.deps.metrics.diskFreeBytes.set(free)
    const threshold = this.options.diskFreeWarnBytes
    if (threshold === 0 || free >= threshold) {
      if (this.lowDiskWarnedAt !== undefined) this.deps.logger.info({ dir: this.options.dir, freeBytes: free }, 'free disk space is back above LOG_DISK_FREE_WARN_BYTES')
      this.lowDiskWarnedAt = undefined
      return free
    }
    if (this.lowDiskWarnedAt === undefined || now - this.lowDiskWarnedAt >= WARN_EVERY_MS) {
      this.lowDiskWarnedAt = now
      this.deps.logger.warn(
        { dir: this.options.dir, freeBytes: free, thresholdBytes: threshold },
        'the file system holding DATA_DIR is nearly full; writes fail once it is: lower LOG_RETENTION_BYTES or add space',
      )
    }
    return free
  }
}

/** Whether every complete line of a segment is in Kafka (always, outside the spool). */
async function isForwarded(path: string, size: number, sealed: boolean, done: number | undefined, isSpool: boolean): Promise<boolean> {
  if (!isSpool) return true
  const offset = done ?? 0
  if (offset >= size) return true
  // A sealed segment's torn tail was never acknowledged, so it needs no forwarding (as the drainer counts).
  return sealed && (await completeLinesEnd(path, size)) <= offset
}

