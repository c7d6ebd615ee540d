/**
 * Capture V1 error replies: `{error, error_description, error_uri}` with the
 * V1 tag as `error`. Shared stages raise classic catalogue codes (the body
 * reader's 413 and 408, the token shape rules, shutdown); they are mapped to
 * the V1 tag a V1 client expects. Retry-After: 1 on 408 and 5xx, the
 * limiter's own delay on 429.
 */
import type { ServerResponse } from 'node:http'
import type { CaptureError } from '../errors/capture-error.js'
import type { CaptureCode } from '../errors/codes.js'
import { codes } from '../errors/codes.js'

const DOCS_URI = 'https://posthog.com/docs/api'
const BILLING_URI = 'https://posthog.com/docs/billing/limits'

const CLASSIC_TO_V1: Partial<Record<CaptureCode, CaptureCode>> = {
  body_too_large: 'payload_too_large',
  decoded_too_large: 'payload_too_large',
  request_timeout: 'body_read_timeout',
  token_empty: 'invalid_api_token',
  token_too_long: 'invalid_api_token',
  token_not_ascii: 'invalid_api_token',
  token_personal_api_key: 'invalid_api_token',
  sink_unavailable: 'service_unavailable',
  spool_full: 'service_unavailable',
  shutting_down: 'service_unavailable',
}

export interface V1ErrorReply {
  readonly status: number
  readonly tag: CaptureCode
  readonly body: string
  readonly retryAfterSeconds?: number
}

export function v1ErrorReply(err: CaptureError): V1ErrorReply {
  const tag = CLASSIC_TO_V1[err.code] ?? err.code
  const status = codes[tag].status
  const body = JSON.stringify({
    error: tag,
    error_description: err.message,
    error_uri: tag === 'billing_limit_exceeded' ? BILLING_URI : DOCS_URI,
  })
  const retryAfterSeconds = status === 429
    ? Math.max(1, Math.ceil(err.options.retryAfter ?? 1))
    : status === 408 || status >= 500 ? 1 : undefined
  return retryAfterSeconds === undefined ? { status, tag, body } : { status, tag, body, retryAfterSeconds }
}

export function replyV1Error(res: ServerResponse, err: CaptureError, options: { close: boolean }): void {
  const reply = v1ErrorReply(err)
  const headers: Record<string, string | number> = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(reply.body) }
  if (reply.retryAfterSeconds !== undefined) headers['Retry-After'] = reply.retryAfterSeconds
  if (err.code === 'method_not_allowed') headers.Allow = 'POST, OPTIONS'
  if (options.close) headers.Connection = 'close'
  res.writeHead(reply.status, headers).end(reply.body)
}
