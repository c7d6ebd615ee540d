/**
 * Log reader: the messages of a local log directory, for the CLI, the Kafka
 * replay and the spool drainer.
 *
 * Order: segments in file-name order (chronological per writing process), each
 * file from start to end. A position is (segment file name, byte offset of a
 * line start); every record carries its own `offset` and `end` (where the next
 * line starts), so a consumer can persist `{ file, offset: end }` and resume.
 *
 * Damage: a final partial line without "\n" is a torn write that was never
 * acknowledged: skipped (reported through onSkip). A complete line that is not
 * a valid log line is skipped only when it is the last line of its segment;
 * anywhere else it throws CorruptLogError naming file:line.
 *
 * Following: with several workers writing to one directory, several segments
 * grow at once, so following polls every segment at or after the start with a
 * cursor per file. Bytes after a segment's last "\n" may be a write in progress
 * and are re-read on the next poll, not reported as torn.
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ms, type Millis } from '../../units.js'
import { parseLine, type LogLine } from './log-line.js'
import { completeLinesEnd, scanLines } from './line-scanner.js'
import { SEGMENT_SUFFIX } from './segment-file.js'

export type { LogLine } from './log-line.js'

export interface LogPosition {
  /** Segment file name (not a path). */
  readonly file: string
  /** Byte offset of a line start in that file. */
  readonly offset: number
}

export interface LogRecord extends LogLine, LogPosition {
  /** Byte offset just after this line's "\n". */
  readonly end: number
  /** The stored line, verbatim, without "\n". */
  readonly raw: string
}

export interface SkippedLine extends LogPosition {
  readonly length: number
  readonly reason: 'torn' | 'unparseable'
}

export class CorruptLogError extends Error {
  constructor(readonly file: string, readonly line: number | undefined, readonly offset: number) {
    super(`corrupt local log line at ${file}${line === undefined ? '' : `:${line}`} (byte ${offset}): not valid JSON of the log line format`)
    this.name = 'CorruptLogError'
  }
}

export interface ReadLogOptions {
  /** Start here; segments named before `from.file` are skipped. Default: the first segment. */
  readonly from?: LogPosition
  /** After the existing data, keep polling for new lines until `signal` aborts. */
  readonly follow?: boolean
  readonly signal?: AbortSignal
  readonly pollInterval?: Millis
  readonly onSkip?: (skipped: SkippedLine) => void
}

export interface FollowOptions {
  /** Cursor per segment file; segments not listed start at offset 0. */
  readonly start: ReadonlyMap<string, number>
  /** Ignore segments named before this. */
  readonly after?: string
  readonly signal?: AbortSignal
  readonly pollInterval?: Millis
  readonly onSkip?: (skipped: SkippedLine) => void
}

interface RangeOptions {
  readonly from?: number
  readonly to?: number
  readonly reportTail: boolean
  readonly onSkip?: (skipped: SkippedLine) => void
  /** Called with `end` for each complete line consumed, yielded or skipped. */
  readonly advance?: (end: number) => void
}

const DEFAULT_POLL = ms(200)

/** Segment file names in `dir`, in order; [] when the directory does not exist. */
export async function listSegments(dir: string): Promise<string[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  return names.filter((name) => name.endsWith(SEGMENT_SUFFIX)).sort()
}

/** Every record from `options.from` (default: the beginning), then new ones if following. */
export async function* readLog(dir: string, options: ReadLogOptions = {}): AsyncGenerator<LogRecord> {
  const { from, follow = false, onSkip } = options
  const ends = new Map<string, number>()
  for (const file of await listSegments(dir)) {
    if (from !== undefined && file < from.file) continue
    let end = from !== undefined && file === from.file ? from.offset : 0
    const advance = (next: number): void => void (end = next)
    yield* readRange(dir, file, { from: end, reportTail: !follow, onSkip, advance })
    ends.set(file, end)
  }
  if (follow) yield* followLog(dir, { ...options, start: ends, after: from?.file })
}

/** Polls every segment for lines past its cursor until `signal` aborts. */
export async function* followLog(dir: string, options: FollowOptions): AsyncGenerator<LogRecord> {
  const cursors = new Map(options.start)
  const seenSizes = new Map<string, number>()
  while (!isAborted(options.signal)) {
    for (const file of await listSegments(dir)) {
      if (isAborted(options.signal)) return
      if (options.after !== undefined && file < options.after) continue
      const size = await sizeOf(join(dir, file))
      if (size === undefined || size === seenSizes.get(file)) continue
      seenSizes.set(file, size)
      const from = cursors.get(file) ?? 0
      if (size <= from) continue
      const advance = (end: number): void => void cursors.set(file, end)
      try {
        yield* readRange(dir, file, { from, to: size, reportTail: false, onSkip: options.onSkip, advance })
      } catch (err) {
        // A segment removed between listing and reading (e.g. by a drainer) is simply gone.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
    }
    if (!(await pause(options.pollInterval ?? DEFAULT_POLL, options.signal))) return
  }
}

/** For each segment now, the offset where its complete lines end: a consistent start for following. */
export async function snapshotEnds(dir: string): Promise<Map<string, number>> {
  const ends = new Map<string, number>()
  for (const file of await listSegments(dir)) {
    const path = join(dir, file)
    const size = await sizeOf(path)
    if (size !== undefined) ends.set(file, await completeLinesEnd(path, size))
  }
  return ends
}

/**
 * The last `count` records (in log order) that pass `filter`, reading segments
 * newest first and each only up to its end in `ends`, so following from `ends`
 * afterwards neither misses nor repeats a line.
 */
export async function readLast(
  dir: string,
  count: number,
  options: { ends: ReadonlyMap<string, number>; filter?: (record: LogRecord) => boolean; onSkip?: (skipped: SkippedLine) => void },
): Promise<LogRecord[]> {
  const newestFirst: LogRecord[][] = []
  let have = 0
  for (const file of [...options.ends.keys()].sort().reverse()) {
    if (have >= count) break
    const matches: LogRecord[] = []
    for await (const record of readRange(dir, file, { to: options.ends.get(file), reportTail: false, onSkip: options.onSkip })) {
      if (options.filter !== undefined && !options.filter(record)) continue
      matches.push(record)
      if (matches.length > count - have) matches.shift()
    }
    newestFirst.push(matches)
    have += matches.length
  }
  return newestFirst.reverse().flat()
}

async function* readRange(dir: string, file: string, options: RangeOptions): AsyncGenerator<LogRecord> {
  const from = options.from ?? 0
  const { onSkip } = options
  const onTail = options.reportTail && onSkip !== undefined
    ? (offset: number, length: number) => onSkip({ file, offset, length, reason: 'torn' })
    : undefined
  let lineNumber = 0
  for await (const scanned of scanLines(join(dir, file), { from, to: options.to, onTail })) {
    lineNumber++
    const line = parseLine(scanned.text)
    options.advance?.(scanned.end)
    if (line === undefined) {
      if (!scanned.last) throw new CorruptLogError(file, from === 0 ? lineNumber : undefined, scanned.offset)
      onSkip?.({ file, offset: scanned.offset, length: scanned.end - scanned.offset, reason: 'unparseable' })
      continue
    }
    yield { ...line, file, offset: scanned.offset, end: scanned.end, raw: scanned.text }
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

const isAborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true

/** Waits `interval`; false when `signal` aborted instead. */
async function pause(interval: Millis, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await sleep(interval, undefined, { signal })
    return true
  } catch (err) {
    if (signal?.aborted === true) return false
    throw err
  }
}
