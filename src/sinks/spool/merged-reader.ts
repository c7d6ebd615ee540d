/**
 * Reads several segments of a log directory as one stream ordered by the
 * time each message was stored (`ts`), from a cursor per segment up to a size
 * snapshot per segment.
 *
 * Why merge: every worker writes its own segment, so two requests from one
 * client, the second sent after the first's 200, can sit in two segments.
 * The second's `ts` is never earlier than the first's, so forwarding in `ts`
 * order keeps per-key order across segments (ties are concurrent requests,
 * which have no order to keep).
 *
 * `before` (a time taken before the size snapshot) stops each segment at its
 * first message stored at or after it: such a message may have an earlier
 * request's message still in flight in another segment; the next pass, with a
 * later `before`, takes it. Lines that are not valid log lines are yielded as
 * skips (no message) so cursors move past them; a torn tail (no "\n") is
 * left alone for a later pass.
 */
import { join } from 'node:path'
import { scanLines } from '../local-log/line-scanner.js'
import { parseLine, valueText } from '../local-log/log-line.js'
import type { PreparedMessage } from '../../pipeline/ports.js'

export interface MergedItem {
  readonly file: string
  /** Where this line starts and where the next one starts. */
  readonly offset: number
  readonly end: number
  readonly ts: number
  /** Undefined for a line that is not a valid log line (skipped, but the cursor moves past it). */
  readonly message?: PreparedMessage
}

export interface SegmentRange {
  readonly file: string
  readonly from: number
  readonly to: number
}

interface Head {
  readonly lines: AsyncGenerator<MergedItem>
  item: MergedItem
}

export async function* readMerged(dir: string, ranges: readonly SegmentRange[], options: { before?: number } = {}): AsyncGenerator<MergedItem> {
  const before = options.before ?? Number.POSITIVE_INFINITY
  const heads: Head[] = []
  try {
    for (const range of ranges) {
      const lines = readItems(dir, range)
      const first = await lines.next()
      if (first.done === true || first.value.ts >= before) await lines.return(undefined)
      else heads.push({ lines, item: first.value })
    }
    while (heads.length > 0) {
      let min = 0
      for (let i = 1; i < heads.length; i++) if (heads[i]!.item.ts < heads[min]!.item.ts) min = i
      const head = heads[min]!
      yield head.item
      const next = await head.lines.next()
      if (next.done === true || next.value.ts >= before) {
        await head.lines.return(undefined)
        heads.splice(min, 1)
      } else {
        head.item = next.value
      }
    }
  } finally {
    for (const head of heads) await head.lines.return(undefined)
  }
}

async function* readItems(dir: string, range: SegmentRange): AsyncGenerator<MergedItem> {
  if (range.to <= range.from) return
  for await (const line of scanLines(join(dir, range.file), { from: range.from, to: range.to })) {
    const parsed = parseLine(line.text)
    if (parsed === undefined) {
      // A skipped line sorts first so it never holds back others.
      yield { file: range.file, offset: line.offset, end: line.end, ts: Number.NEGATIVE_INFINITY }
      continue
    }
    const message: PreparedMessage = {
      topic: parsed.topic,
      key: parsed.key,
      headers: parsed.headers,
      value: valueText(line.text, parsed),
    }
    yield { file: range.file, offset: line.offset, end: line.end, ts: parsed.ts, message }
  }
}
