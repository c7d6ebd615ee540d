/**
 * SpoolMonitor: how much the spool holds that Kafka does not have yet
 * (segment sizes minus the drainer's checkpoint) and how old the oldest such
 * message is. Every process sharing the spool scans it about once a second
 * (its SpoolingSink calls refresh: a readdir, a stat per segment, the
 * checkpoint, and one small read per writer for its oldest pending line), so
 * the budget check on the request path reads a number instead of touching
 * the disk. Between scans, bytes this
 * process spooled are added on top, so one process cannot overshoot the
 * budget by a scan interval's worth of writes.
 */
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import type { Metrics } from '../../observability/metrics.js'
import { scanLines } from '../local-log/line-scanner.js'
import { readCheckpoint } from './checkpoint.js'
import { pendingRanges } from './log-forwarder.js'
import { segmentPid, type SpoolPaths } from './spool-files.js'

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
  const writersSeen = new Set<number | undefined>()
  for (const range of ranges) {
    pendingBytes += range.to - range.from
    // A writer's segments are in time order: only its first pending one can hold the oldest message.
    const writer = segmentPid(range.file)
    if (writersSeen.has(writer)) continue
    writersSeen.add(writer)
    const ts = await firstTs(join(paths.dir, range.file), range.from, range.to)
    if (ts !== undefined && (oldestTs === undefined || ts < oldestTs)) oldestTs = ts
  }
  return { pendingBytes, oldestTs, scannedAt: now }
}

const HEAD_BYTES = 64 * 1024

/** `ts` of the first complete line at `from`: one small read, unless that line is longer. */
async function firstTs(path: string, from: number, to: number): Promise<number | undefined> {
  try {
    const handle = await open(path, 'r')
    try {
      const head = Buffer.allocUnsafe(Math.min(HEAD_BYTES, to - from))
      const { bytesRead } = await handle.read(head, 0, head.length, from)
      const newline = head.subarray(0, bytesRead).indexOf(0x0a)
      if (newline !== -1) return tsOf(head.toString('utf8', 0, newline))
    } finally {
      await handle.close()
    }
    for await (const line of scanLines(path, { from, to })) return tsOf(line.text)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  return undefined
}

function tsOf(line: string): number | undefined {
  const match = TS_AT_END.exec(line)
  return match === null ? undefined : Number(match[1])
}

export interface SpoolMonitorDeps {
  readonly paths: SpoolPaths
  readonly metrics: Metrics
  readonly clock: () => number
}

export class SpoolMonitor {
  private snapshot: SpoolSnapshot = { pendingBytes: 0, scannedAt: 0 }
  private writtenSinceScan = 0
  private scanning: Promise<SpoolSnapshot> | undefined

  constructor(private readonly deps: SpoolMonitorDeps) {}

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
