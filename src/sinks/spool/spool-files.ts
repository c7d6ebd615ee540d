/**
 * The spool directory's files besides the segments (which the LocalSink
 * writes, one per worker process), and who owns which segment.
 *
 *   SPOOLING              marker: the spool holds messages not yet in Kafka, so
 *                         every worker writes to the spool too (per-key order)
 *   drain-checkpoint.json how far the drainer got in each segment (checkpoint.ts)
 *   drain.lock            the one process draining now (dir-lock.ts)
 *
 * A segment is sealed (no process will append to it again) when the process
 * that wrote it is gone, or when that process has since started a later
 * segment. Only sealed, fully forwarded segments are deleted.
 */
import { existsSync, writeFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

export interface SpoolPaths {
  readonly dir: string
  readonly marker: string
  readonly checkpoint: string
  readonly lock: string
}

export function spoolPaths(dir: string): SpoolPaths {
  return { dir, marker: join(dir, 'SPOOLING'), checkpoint: join(dir, 'drain-checkpoint.json'), lock: join(dir, 'drain.lock') }
}

/**
 * The SPOOLING marker. Checked on every publish, so it is a synchronous stat
 * of one file (a dentry cache hit), not a directory scan. No fsync: after a
 * crash the spool's first scan raises it again if messages are pending.
 */
export class SpoolMarker {
  private seen = false

  constructor(private readonly path: string) {}

  /** Looks at the file (one stat). */
  isRaised(): boolean {
    this.seen = existsSync(this.path)
    return this.seen
  }

  /** What the last look, raise or lower saw; no I/O (for health reports). */
  lastSeen(): boolean {
    return this.seen
  }

  raise(): void {
    writeFileSync(this.path, '', { flag: 'a' })
    this.seen = true
  }

  lower(): void {
    rmSync(this.path, { force: true })
    this.seen = false
  }
}

const SEGMENT_NAME = /^log-(\d{13})-(\d+)-(\d{6})\.ndjson$/

/** The writing process of a segment file name, if it is one. */
export function segmentPid(name: string): number | undefined {
  const match = SEGMENT_NAME.exec(name)
  return match === null ? undefined : Number(match[2])
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Whether `name` can no longer grow: its writer is dead, or wrote a later
 * segment (writers only ever append to their newest one). `names` is sorted.
 */
export function isSealed(name: string, names: readonly string[], alive: (pid: number) => boolean = isProcessAlive): boolean {
  const pid = segmentPid(name)
  if (pid === undefined) return false
  if (!alive(pid)) return true
  return names.some((other) => other > name && segmentPid(other) === pid)
}
