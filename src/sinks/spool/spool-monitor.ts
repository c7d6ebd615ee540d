/**
 * SpoolMonitor: how much the spool holds that Kafka does not have yet
 * (segment sizes minus the drainer's checkpoint) and how old the oldest such
 * message is. Every process sharing the spool scans it about once a second
 * (a readdir, a stat per segment, the checkpoint, and the first pending line
 * of each segment with pending bytes), so the budget check on the request
 * path reads a number instead of touching the disk. Between scans, bytes this
 * process spooled are added on top, so one process cannot overshoot the
 * budget by a scan interval's worth of writes.
 */
import { join } from 'node:path'
import type { Logger } from '../../observability/logger.js'
import type { Metrics } from '../../observability/metrics.js'
import { scanLines } from '../local-log/line-scanner.js'
import { readCheckpoint } from './checkpoint.js'
import { pendingRanges } from './log-forwarder.js'
import type { SpoolPaths } from './spool-files.js'

export interface SpoolSnapshot {
  readonly pendingBytes: number
  /** Stored time (epoch ms) of the oldest pending message, if any. */
  readonly oldestTs?: number
  readonly scannedAt: number
}

const TS_AT_END = /"ts":(-?\d+)\}$/

export async function scanSpool(paths: SpoolPaths, now: number): Promise<SpoolSnapshot> {
  const checkpoint = await readCheckpoint(paths.checkpoint)
  const { ranges } = await pendingRanges(paths.dir, checkpoint)
  let pendingBytes = 0
  let oldestTs: number | undefined
  for (const range of ranges) {
    pendingBytes += range.to - range.from
    const ts = await firstTs(join(paths.dir, range.file), range.from, range.to)
    if (ts !== undefined && (oldestTs === undefined || ts < oldestTs)) oldestTs = ts
  }
  return { pendingBytes, oldestTs, scannedAt: now }
}

async function firstTs(path: string, from: number, to: number): Promise<number | undefined> {
  try {
    for await (const line of scanLines(path, { from, to })) {
      const match = TS_AT_END.exec(line.text)
      if (match !== null) return Number(match[1])
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  return undefined
}

export interface SpoolMonitorDeps {
  readonly paths: SpoolPaths
  readonly logger: Logger
  readonly metrics: Metrics
  readonly clock: () => number
}

export class SpoolMonitor {
  private snapshot: SpoolSnapshot = { pendingBytes: 0, scannedAt: 0 }
  private writtenSinceScan = 0
  private timer: NodeJS.Timeout | undefined
  private scanning: Promise<SpoolSnapshot> | undefined

  constructor(private readonly deps: SpoolMonitorDeps, private readonly intervalMs: number) {}

  start(): void {
    this.timer ??= setInterval(() => void this.refresh().catch((err: unknown) => this.deps.logger.warn({ err }, 'spool scan failed')), this.intervalMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /** Scans now (one scan at a time); updates the gauges. */
  refresh(): Promise<SpoolSnapshot> {
    this.scanning ??= this.scan().finally(() => (this.scanning = undefined))
    return this.scanning
  }

  /** Pending bytes as of the last scan plus what this process spooled since. */
  pendingBytes(): number {
    return this.snapshot.pendingBytes + this.writtenSinceScan
  }

  oldestAgeMs(): number {
    return this.snapshot.oldestTs === undefined ? 0 : Math.max(0, this.deps.clock() - this.snapshot.oldestTs)
  }

  recordWrite(bytes: number): void {
    this.writtenSinceScan += bytes
  }

  private async scan(): Promise<SpoolSnapshot> {
    const written = this.writtenSinceScan
    const snapshot = await scanSpool(this.deps.paths, this.deps.clock())
    this.snapshot = snapshot
    this.writtenSinceScan = Math.max(0, this.writtenSinceScan - written)
    this.deps.metrics.spoolBytes.set(snapshot.pendingBytes)
    this.deps.metrics.spoolOldestAge.set(this.oldestAgeMs() / 1000)
    return snapshot
  }
}
