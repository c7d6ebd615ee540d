/**
 * decodeBody: raw request bytes → the JSON text they carry, following upstream
 * capture's decoding cascade:
 *
 *   query data= or body → whole-payload base64 unwrap → urlencoded form →
 *   compression hint (query, form, Content-Encoding) → gzip (hint or magic
 *   bytes) | lz64 | base64 | UTF-8 text → legacy second base64 pass.
 *
 * Every decompression is capped while it runs (maxDecodedBytes), so a bomb is
 * stopped early with 413 decoded_too_large. Pure and synchronous.
 */
import { gunzipSync } from 'node:zlib'
import { isUtf8 } from 'node:buffer'
import { CaptureError } from '../../errors/capture-error.js'
import { decodeBase64Strict, isGzip, isLikelyBase64, isLikelyForm } from './heuristics.js'
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
    payload = decodeBase64Strict(payload.toString('latin1')) ?? payload
  }
  const form = readForm(payload, hints.contentType)
  const hint =
    parseCompression(hints.queryCompression) ?? parseCompression(form?.compression) ?? parseCompression(hints.contentEncoding)
  const data = form ? Buffer.from(form.data, 'utf8') : payload
  let text = decompress(data, hint, limits)
  if (hints.legacyPath && isLikelyBase64(text, 'strict')) text = secondBase64Pass(text, limits)
  return text
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

function isFormContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false
  const semicolon = contentType.indexOf(';')
  const media = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
  return media === 'application/x-www-form-urlencoded'
}

/**
 * A declared form must look like one (else 400). An undeclared body that looks
 * like a form (`data=...`, as some beacons send with text/plain) is read as one
 * too; upstream would fail it later as invalid JSON.
 */
function readForm(payload: Buffer, contentType: string | undefined): { data: string; compression?: string } | undefined {
  const declared = isFormContentType(contentType)
  const looksLikeForm = isLikelyForm(payload)
  if (!looksLikeForm) {
    if (declared) throw new CaptureError('invalid_form', { detail: 'The body is declared as application/x-www-form-urlencoded but carries no data= field.' })
    return undefined
  }
  const fields = new URLSearchParams(payload.toString('utf8'))
  const data = fields.get('data')
  if (data === null) {
    if (declared) throw new CaptureError('invalid_form', { detail: 'The urlencoded form has no data= field.' })
    return undefined
  }
  return { data: restorePlus(data), compression: fields.get('compression') ?? undefined }
}

/**
 * Gzip is recognised by its magic bytes alone: every gzip stream starts with
 * them, so a gzip hint on bytes without them is a wrong hint (posthog-js 1.78
 * sends base64 form bodies with compression=gzip-js; the upstream dump has
 * one), and the bytes are decoded as if the hint were absent.
 */
function decompress(data: Buffer, hint: Compression | undefined, limits: DecodeLimits): string {
  if (isGzip(data)) return gunzipCapped(data, limits)
  if (hint === 'lz64') return lz64Capped(data, limits)
  if (hint === 'base64' && isLikelyBase64(data, 'strict')) {
    const decoded = decodeBase64Strict(data.toString('latin1'))
    if (decoded) return isGzip(decoded) ? gunzipCapped(decoded, limits) : utf8Capped(decoded, limits)
  }
  return utf8Capped(data, limits)
}

function gunzipCapped(data: Buffer, limits: DecodeLimits): string {
  let inflated: Buffer
  try {
    inflated = gunzipSync(data, { maxOutputLength: limits.maxDecodedBytes })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new CaptureError('decoded_too_large', {
        detail: `The gzip body inflates past the ${limits.maxDecodedBytes}-byte limit on decoded payloads.`,
        limit: limits.maxDecodedBytes,
        size: limits.maxDecodedBytes + 1,
      })
    }
    throw new CaptureError('invalid_gzip', { detail: `The body is not valid gzip: ${(err as Error).message}.`, cause: err })
  }
  return utf8Capped(inflated, limits)
}

function lz64Capped(data: Buffer, limits: DecodeLimits): string {
  try {
    return decompressLz64(data.toString('latin1').trim(), limits.maxDecodedBytes)
  } catch (err) {
    if (err instanceof Lz64Error && err.reason === 'too_large') {
      throw new CaptureError('decoded_too_large', {
        detail: `The lz64 body inflates past the ${limits.maxDecodedBytes}-character limit on decoded payloads.`,
        limit: limits.maxDecodedBytes,
        size: limits.maxDecodedBytes + 1,
      })
    }
    throw new CaptureError('invalid_lz64', { cause: err })
  }
}

function utf8Capped(data: Buffer, limits: DecodeLimits): string {
  if (data.length > limits.maxDecodedBytes) {
    throw new CaptureError('decoded_too_large', {
      detail: `The decoded payload is ${data.length} bytes; the limit is ${limits.maxDecodedBytes} bytes.`,
      limit: limits.maxDecodedBytes,
      size: data.length,
    })
  }
  if (!isUtf8(data)) throw new CaptureError('invalid_utf8')
  return data.toString('utf8')
}

function secondBase64Pass(text: string, limits: DecodeLimits): string {
  const decoded = decodeBase64Strict(text)
  if (decoded === undefined) return text
  if (isGzip(decoded)) return gunzipCapped(decoded, limits)
  // Upstream keeps the text when the unwrapped bytes are not UTF-8.
  return isUtf8(decoded) ? utf8Capped(decoded, limits) : text
}
