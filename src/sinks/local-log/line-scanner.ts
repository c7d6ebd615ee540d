/**
 * Line scanner: the complete ("\n"-terminated) lines of a byte range of one
 * file, with their byte offsets, read in large chunks.
 *
 * Invariants: bytes after the last "\n" (a write in progress, or a torn write
 * from a crash: never acknowledged) are not yielded as a line; each line says
 * whether it was the last complete line in the range, so callers can tolerate
 * damage there and nowhere else. Splitting on the byte 0x0A is safe in UTF-8.
 */
import { open, type FileHandle } from 'node:fs/promises'

const CHUNK_BYTES = 1024 * 1024
const NEWLINE = 0x0a

export interface ScannedLine {
  /** The line without its "\n". */
  readonly text: string
  /** Byte offset of the line's first byte. */
  readonly offset: number
  /** Byte offset just after its "\n": where the next line starts. */
  readonly end: number
  /** True for the last complete line of the range scanned. */
  readonly last: boolean
}

export interface ScanOptions {
  /** Byte offset to start at (a line start). Default 0. */
  readonly from?: number
  /** Byte offset to stop at (exclusive). Default: the end of the file when read. */
  readonly to?: number
  /** Called with the offset and length of trailing bytes that end in no "\n". */
  readonly onTail?: (offset: number, length: number) => void
}

export async function* scanLines(path: string, options: ScanOptions = {}): AsyncGenerator<ScannedLine> {
  const handle = await open(path, 'r')
  try {
    yield* scanHandle(handle, options)
  } finally {
    await handle.close()
  }
}

async function* scanHandle(handle: FileHandle, options: ScanOptions): AsyncGenerator<ScannedLine> {
  const to = options.to ?? Number.POSITIVE_INFINITY
  let position = options.from ?? 0
  let carry: Buffer = Buffer.alloc(0)
  let carryOffset = position
  let held: ScannedLine | undefined
  while (position < to) {
    // A line longer than a chunk doubles the read size, keeping long lines linear.
    const want = Math.min(Math.max(CHUNK_BYTES, carry.length), to - position)
    const chunk = Buffer.allocUnsafe(want)
    const { bytesRead } = await handle.read(chunk, 0, want, position)
    if (bytesRead === 0) break
    position += bytesRead
    const data = carry.length === 0 ? chunk.subarray(0, bytesRead) : Buffer.concat([carry, chunk.subarray(0, bytesRead)])
    let start = 0
    for (let nl = data.indexOf(NEWLINE); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
      if (held !== undefined) yield held
      held = { text: data.toString('utf8', start, nl), offset: carryOffset + start, end: carryOffset + nl + 1, last: false }
      start = nl + 1
    }
    carry = data.subarray(start)
    carryOffset += start
  }
  if (held !== undefined) yield { ...held, last: true }
  if (carry.length > 0) options.onTail?.(carryOffset, carry.length)
}

/**
 * The offset just after the last "\n" at or before `size` (0 when there is
 * none): where complete lines end, found by reading backwards from the end.
 */
export async function completeLinesEnd(path: string, size: number): Promise<number> {
  const handle = await open(path, 'r')
  try {
    const chunk = Buffer.allocUnsafe(64 * 1024)
    for (let end = size; end > 0;) {
      const start = Math.max(0, end - chunk.length)
      const { bytesRead } = await handle.read(chunk, 0, end - start, start)
      const nl = chunk.subarray(0, bytesRead).lastIndexOf(NEWLINE)
      if (nl !== -1) return start + nl + 1
      end = start
    }
    return 0
  } finally {
    await handle.close()
  }
}
