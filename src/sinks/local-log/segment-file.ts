/**
 * Segment files: naming, exclusive creation and durable appends.
 *
 * Names are `log-<13-digit start ms>-<pid>-<6-digit seq>.ndjson`, so a plain
 * string sort is chronological per process, and names are unique per process:
 * several workers (node:cluster) share one data directory without locks because
 * each only ever appends to files it created itself (created with O_EXCL, so a
 * reused pid can never adopt another process's file).
 * Invariant: a file's directory entry is fsync'd before its first append is
 * acknowledged, so an acknowledged line's file survives a crash.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'

export const SEGMENT_PREFIX = 'log-'
export const SEGMENT_SUFFIX = '.ndjson'
const SEQ_DIGITS = 6

/** Start time (epoch ms), process id and per-process sequence number of a segment. */
export interface SegmentId {
  readonly startMs: number
  readonly pid: number
  readonly seq: number
}

export function segmentName(id: SegmentId): string {
  const start = String(Math.trunc(id.startMs)).padStart(13, '0')
  const seq = String(id.seq).padStart(SEQ_DIGITS, '0')
  return `${SEGMENT_PREFIX}${start}-${id.pid}-${seq}${SEGMENT_SUFFIX}`
}

/** An open segment this process appends to. `size` counts the bytes it holds. */
export interface OpenSegment {
  readonly name: string
  readonly handle: FileHandle
  size: number
}

/** Creates the data directory (and makes a newly created one durable). */
export async function ensureDataDir(dir: string): Promise<void> {
  const firstCreated = await mkdir(dir, { recursive: true })
  if (firstCreated !== undefined) await syncDir(dirname(firstCreated))
}

/**
 * Creates a new, empty segment with an unused name, starting from `id` and
 * bumping `seq` past any name that already exists, then fsyncs the directory.
 */
export async function createSegment(dir: string, id: SegmentId): Promise<{ segment: OpenSegment; id: SegmentId }> {
  for (let seq = id.seq; ; seq++) {
    const next = { ...id, seq }
    const name = segmentName(next)
    let handle: FileHandle
    try {
      handle = await open(join(dir, name), 'ax')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue
      throw err
    }
    try {
      await syncDir(dir)
    } catch (err) {
      await handle.close().catch(() => undefined)
      throw err
    }
    return { segment: { name, handle, size: 0 }, id: next }
  }
}

/** Writes every buffer (in order, as one writev) and fdatasyncs; throws on any failure. */
export async function appendDurably(segment: OpenSegment, buffers: Buffer[], byteCount: number): Promise<void> {
  let written = (await segment.handle.writev(buffers)).bytesWritten
  // A short write is not an error in itself (POSIX): write the rest, and let the file system
  // say why it cannot (ENOSPC, EDQUOT, EIO) instead of guessing.
  if (written < byteCount) {
    const rest = Buffer.concat(buffers, byteCount).subarray(written)
    while (written < byteCount) {
      const { bytesWritten } = await segment.handle.write(rest, written - (byteCount - rest.length))
      if (bytesWritten === 0) throw new Error(`short write to ${segment.name}: ${written} of ${byteCount} bytes`)
      written += bytesWritten
    }
  }
  await segment.handle.datasync()
  segment.size += byteCount
}

/**
 * Best effort after a failed append: cut the file back to its last acknowledged
 * size so a half-written group does not linger, then close it. The writer moves
 * to a new segment either way, so anything left is a torn tail the reader skips.
 */
export async function abandonSegment(segment: OpenSegment): Promise<void> {
  await segment.handle.truncate(segment.size).catch(() => undefined)
  await segment.handle.close().catch(() => undefined)
}

export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
