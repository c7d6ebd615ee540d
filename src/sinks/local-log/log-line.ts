/**
 * The local log's line format, both directions: one NDJSON line per message,
 * `{"topic":…,"key":…|null,"headers":{…},"value":<envelope>,"ts":<epoch ms>}\n`.
 *
 * Invariants: the envelope text from the pipeline is spliced in verbatim (it was
 * serialised once and is never re-encoded here); a formatted line never contains
 * a newline before its terminating "\n", so one line is always one message.
 * Field order is fixed, which lets `valueText` recover the stored envelope text
 * from a line without re-serialising it (the Kafka replay sends those bytes).
 */
import type { PreparedMessage } from '../../pipeline/ports.js'

/** One message as stored in the local log. `value` is the parsed envelope. */
export interface LogLine {
  readonly topic: string
  readonly key: string | null
  readonly headers: Record<string, string>
  readonly value: unknown
  readonly ts: number
}

const NEWLINE = /\n/g

/** The stored line for one message, "\n" included. `ts` is epoch milliseconds. */
export function formatLine(message: PreparedMessage, ts: number): string {
  return linePrefix(message) + envelopeText(message.value) + lineSuffix(ts)
}

/**
 * The lines of a whole publish, encoded straight into one buffer (every message
 * gets the same `ts`). Same bytes as concatenating formatLine, but encoding
 * pieces into a preallocated buffer avoids flattening one large rope string:
 * ~2.5x faster for 100 lines of 1.4 KB.
 */
export function encodeLines(messages: readonly PreparedMessage[], ts: number): Buffer {
  const suffix = lineSuffix(ts)
  let estimate = 0
  for (const message of messages) estimate += message.value.length + 512
  let buffer: Buffer = Buffer.allocUnsafe(estimate)
  let at = 0
  for (const message of messages) {
    const prefix = linePrefix(message)
    const value = envelopeText(message.value)
    // UTF-8 needs at most 3 bytes per UTF-16 unit; count exactly only when that bound does not fit.
    if (buffer.length - at < (prefix.length + value.length + suffix.length) * 3) {
      const exact = Buffer.byteLength(prefix) + Buffer.byteLength(value) + Buffer.byteLength(suffix)
      if (buffer.length - at < exact) buffer = grow(buffer, at, exact)
    }
    at += buffer.write(prefix, at)
    at += buffer.write(value, at)
    at += buffer.write(suffix, at)
  }
  return buffer.subarray(0, at)
}

function grow(buffer: Buffer, used: number, needed: number): Buffer {
  const bigger = Buffer.allocUnsafe(Math.max(buffer.length * 2, used + needed))
  buffer.copy(bigger, 0, 0, used)
  return bigger
}

function linePrefix(message: PreparedMessage): string {
  const key = message.key === null ? 'null' : JSON.stringify(message.key)
  return '{"topic":' + JSON.stringify(message.topic) + ',"key":' + key +
    ',"headers":' + JSON.stringify(message.headers) + ',"value":'
}

function lineSuffix(ts: number): string {
  return ',"ts":' + ts + '}\n'
}

/**
 * In valid JSON a raw newline can only be insignificant whitespace (inside
 * strings it must be escaped), so replacing it keeps the value identical while
 * keeping the one-line-per-message invariant. The pipeline's JSON.stringify
 * output never contains one; this guards pretty-printed input from elsewhere.
 */
function envelopeText(value: string): string {
  return value.includes('\n') ? value.replace(NEWLINE, ' ') : value
}

/** Parses a stored line (without its "\n"); undefined when it is not a valid log line. */
export function parseLine(text: string): LogLine | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return undefined
  }
  return isLogLine(parsed) ? parsed : undefined
}

function isLogLine(value: unknown): value is LogLine {
  if (typeof value !== 'object' || value === null) return false
  const line = value as Record<string, unknown>
  return typeof line.topic === 'string' &&
    (line.key === null || typeof line.key === 'string') &&
    typeof line.headers === 'object' && line.headers !== null && !Array.isArray(line.headers) &&
    'value' in line &&
    typeof line.ts === 'number'
}

/**
 * The envelope exactly as stored in `text` (a line written by formatLine), for
 * forwarding without re-serialising. Falls back to JSON.stringify(line.value)
 * for a line not in canonical field order (e.g. edited by hand).
 */
export function valueText(text: string, line: LogLine): string {
  const prefix = linePrefix({ topic: line.topic, key: line.key, headers: line.headers, value: '' })
  const suffix = lineSuffix(line.ts).slice(0, -1)
  if (text.startsWith(prefix) && text.endsWith(suffix)) {
    return text.slice(prefix.length, text.length - suffix.length)
  }
  return JSON.stringify(line.value)
}
