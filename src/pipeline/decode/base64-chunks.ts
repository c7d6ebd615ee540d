/**
 * Strict standard base64 → bytes, straight from a Buffer and in slices, so a
 * large payload is never copied into one string; and a peek that decodes only
 * the first bytes, so a payload that cannot succeed (not gzip, not UTF-8:
 * random bytes) is refused before the rest is decoded. Node's own decoder
 * skips characters outside the alphabet and accepts the URL-safe one, so
 * strictness is checked here: length a multiple of 4, `=` only at the end,
 * and every slice decodes to exactly 3 bytes per 4 characters.
 */
import { isUtf8 } from 'node:buffer'
import { isGzip } from './heuristics.js'

const SLICE_CHARS = 1024 * 1024
const PEEK_CHARS = 4096
const EQ = 0x3d

/** The decoded bytes, or undefined when `text` is not strict standard base64. */
export function decodeBase64Chunked(text: Buffer): Buffer | undefined {
  const length = text.length
  if (length % 4 !== 0) return undefined
  if (length === 0) return Buffer.alloc(0)
  const padding = text[length - 1] === EQ ? (text[length - 2] === EQ ? 2 : 1) : 0
  const firstEq = text.indexOf(EQ)
  if (firstEq !== -1 && firstEq < length - padding) return undefined
  if (text.indexOf(0x2d) !== -1 || text.indexOf(0x5f) !== -1) return undefined // '-' '_': URL-safe alphabet
  const out = Buffer.allocUnsafe((length / 4) * 3 - padding)
  let written = 0
  for (let at = 0; at < length; at += SLICE_CHARS) {
    const slice = text.subarray(at, Math.min(length, at + SLICE_CHARS))
    const bytes = Buffer.from(slice.toString('latin1'), 'base64')
    const expected = (slice.length / 4) * 3 - (at + slice.length === length ? padding : 0)
    if (bytes.length !== expected) return undefined
    bytes.copy(out, written)
    written += bytes.length
  }
  return out
}

/**
 * False when the base64 `text` certainly decodes to bytes that are neither gzip nor
 * UTF-8: its first 4 KiB of characters are decoded and checked (a multi-byte character
 * cut at the end of the peek is allowed).
 */
export function mayDecodeToText(text: Buffer, minChars = PEEK_CHARS): boolean {
  if (text.length <= minChars) return true
  const peek = Buffer.from(text.subarray(0, Math.min(text.length, PEEK_CHARS)).toString('latin1'), 'base64')
  if (isGzip(peek)) return true
  for (let cut = 0; cut < 4; cut++) if (isUtf8(peek.subarray(0, peek.length - cut))) return true
  return false
}
