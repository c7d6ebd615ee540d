/**
 * Write faults of the local log (disk full, read-only, I/O errors): what to
 * log and tell the client, logs throttled to one line per 10 s during an
 * outage, and a background probe that notices the disk is writable again, so
 * an instance whose readiness turned 503 (and so gets no traffic) recovers by
 * itself once space is back, without a restart.
 */
import { open, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { seconds, type Seconds } from '../../units.js'

/** What a 503 for a write fault asks clients to wait. */
export const WRITE_RETRY_AFTER: Seconds = seconds(5)
const LOG_EVERY_MS = 10_000
const PROBE_EVERY_MS = 1_000
const PROBE_BYTES = Buffer.alloc(64 * 1024)

export interface Fault {
  readonly code: string | undefined
  /** The log line: what failed and what capture does about it. */
  readonly log: string
  /** The 503's detail: no path, nothing about the host. */
  readonly reply: string
}

export function describeFault(err: unknown, dataDir: string): Fault {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return { code, log: `local log disk full (${code}) in DATA_DIR=${dataDir}: answering 503 with Retry-After until space is freed; acknowledged events are safe`, reply: 'Events could not be stored: the server\'s disk is full. Try again later.' }
  }
  if (code === 'EROFS') return { code, log: `local log file system is read-only (EROFS) in DATA_DIR=${dataDir}: answering 503 with Retry-After`, reply: 'Events could not be stored: the server cannot write to its disk. Try again later.' }
  return { code, log: `local log write or fsync failed${code === undefined ? '' : ` (${code})`} in DATA_DIR=${dataDir}: answering 503 with Retry-After`, reply: 'Events could not be stored: the server cannot write to its disk. Try again later.' }
}

export class WriteFaults {
  private lastLog = -Infinity
  private suppressed = 0
  private probe: NodeJS.Timeout | undefined

  /** The number of failures not logged since the last line, when this one should be logged; else undefined. */
  shouldLog(nowMs: number): number | undefined {
    if (nowMs - this.lastLog < LOG_EVERY_MS) {
      this.suppressed++
      return undefined
    }
    this.lastLog = nowMs
    const count = this.suppressed
    this.suppressed = 0
    return count
  }

  startProbing(check: () => Promise<void>, onWritable: () => void): void {
    if (this.probe !== undefined) return
    let running = false
    this.probe = setInterval(() => {
      if (running) return
      running = true
      check().then(onWritable, () => undefined).finally(() => (running = false))
    }, PROBE_EVERY_MS)
    this.probe.unref()
  }

  stopProbing(): void {
    clearInterval(this.probe)
    this.probe = undefined
    this.lastLog = -Infinity
  }
}

/** Writes, fsyncs and removes 64 KiB beside the segments; rejects while the disk cannot take it. */
export async function probeWritable(dataDir: string): Promise<void> {
  const path = join(dataDir, '.write-probe')
  const handle = await open(path, 'w')
  try {
    const { bytesWritten } = await handle.write(PROBE_BYTES)
    if (bytesWritten !== PROBE_BYTES.length) throw new Error('short write')
    await handle.datasync()
  } finally {
    await handle.close()
    await unlink(path).catch(() => undefined)
  }
}
