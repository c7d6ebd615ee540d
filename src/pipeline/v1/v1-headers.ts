/**
 * Capture V1 request headers (docs/capture-v1.md §Headers), checked before
 * the body is read and in upstream's order: Authorization present →
 * every other required header present (reported together) → Bearer scheme
 * and token shape → Content-Type → Content-Encoding → request id → attempt →
 * request timestamp. Pure: takes the header map, returns the parsed values
 * or throws the CaptureError the client sees.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { CaptureError } from '../../errors/capture-error.js'
import { isCaptureError } from '../../errors/capture-error.js'
import { checkTokenShape } from '../check-token.js'
import { normaliseUuid } from '../uuid.js'
import { parseRfc3339 } from './rfc3339.js'

export type V1Encoding = 'identity' | 'gzip' | 'deflate' | 'br' | 'zstd'

export interface V1Headers {
  readonly token: string
  /** From `PostHog-Sdk-Info` `<lib>/<version>`; undefined when the value is unusable (no error). */
  readonly lib?: { readonly name: string; readonly version: string }
  readonly attempt: number
  /** Canonical lowercase form of `PostHog-Request-Id`. */
  readonly requestId: string
  /** `PostHog-Request-Timestamp`: the client's send time of this attempt, epoch ms. */
  readonly requestTimestampMs: number
  readonly encoding: V1Encoding
}

const REQUIRED = ['posthog-sdk-info', 'posthog-attempt', 'posthog-request-id', 'posthog-request-timestamp', 'content-type', 'user-agent'] as const
const DISPLAY: Readonly<Record<string, string>> = {
  'posthog-sdk-info': 'PostHog-Sdk-Info',
  'posthog-attempt': 'PostHog-Attempt',
  'posthog-request-id': 'PostHog-Request-Id',
  'posthog-request-timestamp': 'PostHog-Request-Timestamp',
  'content-type': 'Content-Type',
  'user-agent': 'User-Agent',
}
const VISIBLE_ASCII = /^[\t\x20-\x7e]*$/
const MAX_SDK_INFO_CHARS = 200
const MAX_ATTEMPT = 0xffff_ffff

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value)

const invalid = (name: string, why: string): CaptureError =>
  new CaptureError('invalid_header_value', { detail: `${name}: ${why}.`, attr: name })

export function readV1Headers(headers: IncomingHttpHeaders): V1Headers {
  const authorization = first(headers.authorization)
  if (authorization === undefined) throw new CaptureError('missing_authorization')
  const missing = REQUIRED.filter((name) => first(headers[name]) === undefined)
  if (missing.length > 0) {
    const names = missing.map((name) => DISPLAY[name]!)
    throw new CaptureError('missing_required_headers', { detail: `Missing required headers: ${names.join(', ')}.`, attr: names.join(',') })
  }
  for (const name of ['authorization', ...REQUIRED]) {
    if (!VISIBLE_ASCII.test(first(headers[name])!)) throw invalid(DISPLAY[name] ?? 'Authorization', 'not visible ASCII')
  }
  const token = bearerToken(authorization)
  checkContentType(first(headers['content-type'])!)
  const encoding = parseEncoding(first(headers['content-encoding']))
  return {
    token,
    lib: parseSdkInfo(first(headers['posthog-sdk-info'])!),
    encoding,
    requestId: parseRequestId(first(headers['posthog-request-id'])!),
    attempt: parseAttempt(first(headers['posthog-attempt'])!),
    requestTimestampMs: parseRequestTimestamp(first(headers['posthog-request-timestamp'])!),
  }
}

function bearerToken(authorization: string): string {
  const match = /^\s*(\S+)(?:\s+(.*))?$/.exec(authorization)
  if (match === null || match[1]!.toLowerCase() !== 'bearer') throw invalid('Authorization', 'expected "Bearer <project API key>"')
  try {
    return checkTokenShape((match[2] ?? '').trim())
  } catch (err) {
    if (!isCaptureError(err)) throw err
    throw new CaptureError('invalid_api_token', { detail: err.message, cause: err })
  }
}

function checkContentType(value: string): void {
  const semicolon = value.indexOf(';')
  const media = (semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase()
  if (media !== 'application/json') {
    throw new CaptureError('unsupported_content_type', { detail: `Content-Type ${JSON.stringify(value)} is not application/json.` })
  }
}

function parseEncoding(value: string | undefined): V1Encoding {
  if (value === undefined) return 'identity'
  const name = value.trim().toLowerCase()
  if (name === 'gzip' || name === 'deflate' || name === 'br' || name === 'zstd') return name
  throw new CaptureError('unsupported_encoding', { detail: `Content-Encoding ${JSON.stringify(value)} is not one of gzip, deflate, br, zstd.` })
}

/** `<lib>/<version>`, split at the last slash; anything else is ignored, never refused. */
function parseSdkInfo(value: string): V1Headers['lib'] {
  if (value.length > MAX_SDK_INFO_CHARS) return undefined
  const slash = value.lastIndexOf('/')
  if (slash === -1) return undefined
  const name = value.slice(0, slash).trim()
  const version = value.slice(slash + 1).trim()
  return name === '' || version === '' ? undefined : { name, version }
}

function parseRequestId(value: string): string {
  const uuid = normaliseUuid(value.trim())
  if (typeof uuid !== 'string') throw invalid('PostHog-Request-Id', 'not a UUID')
  return uuid
}

function parseAttempt(value: string): number {
  const text = value.trim()
  const attempt = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN
  if (!(attempt >= 1 && attempt <= MAX_ATTEMPT)) throw invalid('PostHog-Attempt', 'not an integer ≥ 1')
  return attempt
}

function parseRequestTimestamp(value: string): number {
  const parsed = parseRfc3339(value.trim())
  if (Number.isNaN(parsed)) throw invalid('PostHog-Request-Timestamp', 'not an RFC 3339 date-time with offset')
  return parsed
}
