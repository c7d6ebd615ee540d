/**
 * decodeBody: raw request bytes → the JSON text they carry, following upstream
 * capture's decoding cascade:
 *
 *   query data= or body → whole-payload base64 unwrap → urlencoded form →
 *   compression hint (query, form, Content-Encoding) → gzip (hint or magic
 *   bytes) | lz64 | base64 | UTF-8 text → legacy second base64 pass.
 *
 * Every decompression is capped while it runs (maxDecodedBytes, per route),
 * and bounded by how far real payloads expand (gunzip-capped.ts, LZ64_MAX_RATIO),
 * so a bomb is stopped early with 413 decoded_too_large. The payload stays a
 * Buffer (views, not copies, where it can) until the final text. Pure and
 * synchronous: every step is bounded, so none stalls the event loop for long.
 */
import { isUtf8 } from 'node:buffer'
import { CaptureError } from '../../errors/capture-error.js'
import { decodeBase64Chunked, mayDecodeToText } from './base64-chunks.js'
import { readFormFields, type FormValue } from './form-fields.js'
import { gunzipCapped } from './gunzip-capped.js'
import { isGzip, isLikelyBase64, isLikelyForm } from './heuristics.js'
import { decompressLz64, Lz64Error } from './lz64.js'

export type Compression = 'gzip' | 'lz64' | 'base64'

export interface BodyHints {
  /** `data` from the query string (legacy GET/POST). */
  readonly queryData?: string
  readonly queryCompression?: string
  readonly contentType?: string
  readonly contentEncoding?: string
  /** Paths /e, /capture, /engage, /track get a second base64 pass (upstream legacy rule). */
  readonly legacyPath: boolean
}

export interface DecodeLimits {
  readonly maxDecodedBytes: number
}

export function parseCompression(value: string | undefined): Compression | undefined {
  switch (value?.trim().toLowerCase()) {
    case 'gzip':
    case 'gzip-js':
      return 'gzip'
    case 'lz64':
    case 'lz-string':
      return 'lz64'
    case 'base64':
    case 'b64':
      return 'base64'
    default:
      return undefined
  }
}

export function decodeBody(body: Buffer, hints: BodyHints, limits: DecodeLimits): string {
  let payload = pickPayload(body, hints)
  const outerHint = parseCompression(hints.queryCompression) ?? parseCompression(hints.contentEncoding)
  // lz-string output is itself base64 text: unwrapping it would destroy it.
  if (outerHint !== 'lz64' && !isLikelyForm(payload) && isLikelyBase64(payload, 'strict')) {
    if (!mayDecodeToText(payload)) throw notText('The body')
    payload = decodeBase64Chunked(payload) ?? payload
  }
  const form = readForm(payload, hints.contentType)
  const hint =
    parseCompression(hints.queryCompression) ?? parseCompression(form?.compression) ?? parseCompression(hints.contentEncoding)
  if (form) refuseEarly(restorePlusBytes(form.data.peek(PEEK_BYTES)), hint, hints.legacyPath)
  let bytes = decompress(form ? restorePlusBytes(form.data.decode()) : payload, hint, limits)
  if (hints.legacyPath && isLikelyBase64(bytes, 'strict')) bytes = secondBase64Pass(bytes, limits)
  return toText(bytes, limits)
}

function pickPayload(body: Buffer, hints: BodyHints): Buffer {
  if (hints.queryData !== undefined && hints.queryData !== '') {
    return Buffer.from(restorePlus(hints.queryData), 'utf8')
  }
  if (body.length === 0) throw new CaptureError('empty_payload')
  return body
}

/** urldecoding turned base64 `+` into spaces; put them back (upstream "loose" base64). */
function restorePlus(value: string): string {
  return value.includes(' ') && isLikelyBase64(value, 'loose') ? value.replaceAll(' ', '+') : value
}

function restorePlusBytes(value: Buffer): Buffer {
  if (value.indexOf(0x20) === -1 || !isLikelyBase64(value, 'loose')) return value
  const copy = Buffer.from(value)
  for (let at = copy.indexOf(0x20); at !== -1; at = copy.indexOf(0x20, at + 1)) copy[at] = 0x2b
  return copy
}

function isFormContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false
  const semicolon = contentType.indexOf(';')
  const media = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
  return media === 'application/x-www-form-urlencoded'
}

/**
 * A declared form must look like one (else 400). An undeclared body that looks
 * like a form (`data=...`, as some beacons send with text/plain) is read as one
 * too; upstream would fail it later as invalid JSON. Fields are read from the
 * Buffer (form-fields.ts): a large form is not copied into strings.
 */
function readForm(payload: Buffer, contentType: string | undefined): { data: FormValue; compression?: string } | undefined {
  const declared = isFormContentType(contentType)
  const looksLikeForm = isLikelyForm(payload)
  if (!looksLikeForm) {
    if (declared) throw new CaptureError('invalid_form', { detail: 'The body is declared as application/x-www-form-urlencoded but carries no data= field.' })
    return undefined
  }
  const fields = readFormFields(payload)
  if (fields.data === undefined) {
    if (declared) throw new CaptureError('invalid_form', { detail: 'The urlencoded form has no data= field.' })
    return undefined
  }
  return { data: fields.data, compression: fields.compression }
}

/**
 * A form's data that cannot decode to anything, refused from its first bytes before the
 * whole value is percent-decoded: base64 of bytes that are neither gzip nor UTF-8, or, where
 * neither a hint nor the legacy second pass applies, text that cannot start JSON.
 */
function refuseEarly(peek: Buffer, hint: Compression | undefined, legacyPath: boolean): void {
  if (peek.length < PEEK_BYTES || isGzip(peek) || hint === 'lz64') return
  const base64 = isLikelyBase64(peek.subarray(0, peek.length - (peek.length % 4)), 'strict')
  if (hint === 'base64' && base64 && !mayDecodeToText(peek.subarray(0, peek.length - (peek.length % 4)), 0)) throw notText('The base64 data')
  if (hint === undefined && !legacyPath && cannotStartJson(peek)) throw notJson(peek)
}

/**
 * Gzip is recognised by its magic bytes alone: every gzip stream starts with
 * them, so a gzip hint on bytes without them is a wrong hint (posthog-js 1.78
 * sends base64 form bodies with compression=gzip-js; the upstream dump has
 * one), and the bytes are decoded as if the hint were absent.
 */
function decompress(data: Buffer, hint: Compression | undefined, limits: DecodeLimits): Buffer {
  if (isGzip(data)) return gunzipCapped(data, limits)
  if (hint === 'lz64') return lz64Capped(data, limits)
  if (hint === 'base64' && isLikelyBase64(data, 'strict')) {
    if (!mayDecodeToText(data)) throw notText('The base64 data')
    const decoded = decodeBase64Chunked(data)
    if (decoded) return isGzip(decoded) ? gunzipCapped(decoded, limits) : decoded
  }
  return data
}

function lz64Capped(data: Buffer, limits: DecodeLimits): Buffer {
  const text = data.toString('latin1').trim()
  // An LZW stream can expand quadratically; real lz-string payloads stay far below this ratio.
  const maxChars = Math.min(limits.maxDecodedBytes, Math.max(LZ64_FLOOR_CHARS, LZ64_MAX_RATIO * text.length))
  try {
    return Buffer.from(decompressLz64(text, maxChars), 'utf8')
  } catch (err) {
    if (err instanceof Lz64Error && err.reason === 'too_large') {
      const byRatio = maxChars < limits.maxDecodedBytes
      throw new CaptureError('decoded_too_large', {
        detail: byRatio
          ? `The lz64 body inflates more than ${LZ64_MAX_RATIO}-fold (past ${maxChars} characters from ${text.length}): a decompression bomb.`
          : `The lz64 body inflates past the ${limits.maxDecodedBytes}-character limit on decoded payloads.`,
        limit: maxChars,
        size: maxChars + 1,
      })
    }
    throw new CaptureError('invalid_lz64', { cause: err })
  }
}

/** The final bytes as text: within the cap, UTF-8, and (when large) starting like JSON. */
function toText(data: Buffer, limits: DecodeLimits): string {
  if (data.length > limits.maxDecodedBytes) {
    throw new CaptureError('decoded_too_large', {
      detail: `The decoded payload is ${data.length} bytes; the limit is ${limits.maxDecodedBytes} bytes.`,
      limit: limits.maxDecodedBytes,
      size: data.length,
    })
  }
  if (!isUtf8(data)) throw new CaptureError('invalid_utf8')
  // JSON.parse would refuse it at the first byte anyway; refusing a large one here spares a string its size.
  if (data.length > EARLY_JSON_CHECK_BYTES && cannotStartJson(data.subarray(0, PEEK_BYTES))) throw notJson(data)
  return data.toString('utf8')
}

/** True when `start` (the first bytes of a body) certainly does not begin a JSON text. */
function cannotStartJson(start: Buffer): boolean {
  const at = firstNonSpace(start)
  if (at === -1) return false
  const c = start[at]!
  if (c === 0x7b || c === 0x5b || c === 0x22) return false // { [ "
  if (c === 0x74) return !startsWithAt(start, at, 'true')
  if (c === 0x66) return !startsWithAt(start, at, 'false')
  if (c === 0x6e) return !startsWithAt(start, at, 'null')
  if (c !== 0x2d && (c < 0x30 || c > 0x39)) return true
  // A number: what follows it must be whitespace (a top-level number ends the text).
  let end = at + 1
  while (end < start.length && NUMBER_CHAR.has(start[end]!)) end++
  return end < start.length && !isSpace(start[end]!)
}

const NUMBER_CHAR = new Set([...'0123456789+-.eE'].map((c) => c.charCodeAt(0)))
const isSpace = (byte: number): boolean => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09
const startsWithAt = (data: Buffer, at: number, word: string): boolean => data.toString('latin1', at, at + word.length) === word

function firstNonSpace(data: Buffer): number {
  for (let i = 0; i < data.length; i++) if (!isSpace(data[i]!)) return i
  return -1
}

function notJson(data: Buffer): CaptureError {
  const at = firstNonSpace(data)
  return new CaptureError('invalid_json', { detail: `The decoded body is not valid JSON: it starts with ${JSON.stringify(data.toString('latin1', at, at + 8))}.` })
}

function secondBase64Pass(text: Buffer, limits: DecodeLimits): Buffer {
  // Bytes that are neither gzip nor UTF-8 are kept as text by upstream, as below.
  if (!mayDecodeToText(text)) return text
  const decoded = decodeBase64Chunked(text)
  if (decoded === undefined) return text
  if (isGzip(decoded)) return gunzipCapped(decoded, limits)
  // Upstream keeps the text when the unwrapped bytes are not UTF-8.
  return isUtf8(decoded) ? decoded : text
}

const notText = (what: string): CaptureError =>
  new CaptureError('invalid_utf8', { detail: `${what} is base64 of bytes that are neither gzip nor UTF-8.` })

/** Bytes of a form value decoded before the rest, for refuseEarly. */
const PEEK_BYTES = 4096
const EARLY_JSON_CHECK_BYTES = 64 * 1024
/** lz-string output per input character stays below ~10 on real payloads; small bodies may always reach the floor. */
const LZ64_MAX_RATIO = 16
const LZ64_FLOOR_CHARS = 256 * 1024
