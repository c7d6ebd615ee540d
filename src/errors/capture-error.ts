/**
 * CaptureError: the one exception type the request path throws on purpose.
 * Everything else that escapes a handler is a bug and answers 500.
 */
import { codes, type CaptureCode, type CodeSpec } from './codes.js'
import type { Seconds } from '../units.js'

export interface CaptureErrorOptions {
  /** Replaces the catalogue message; say what was wrong with this request. */
  readonly detail?: string
  /** The field at fault, e.g. `batch[3].event`. */
  readonly attr?: string
  /** For 413s: the limit that was crossed and the size seen (bytes). */
  readonly limit?: number
  readonly size?: number
  /** For 429/503: sent as Retry-After. */
  readonly retryAfter?: Seconds
  readonly cause?: unknown
}

export class CaptureError extends Error {
  readonly code: CaptureCode
  readonly spec: CodeSpec
  readonly options: CaptureErrorOptions

  constructor(code: CaptureCode, options: CaptureErrorOptions = {}) {
    super(options.detail ?? codes[code].message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'CaptureError'
    this.code = code
    this.spec = codes[code]
    this.options = options
  }

  get status(): number {
    return this.spec.status
  }
}

export const isCaptureError = (err: unknown): err is CaptureError => err instanceof CaptureError

/** The JSON body every error reply carries: PostHog API style, plus sizes for 413s. */
export function errorBody(err: CaptureError): string {
  const body: Record<string, unknown> = {
    type: err.spec.type,
    code: err.code,
    detail: err.message,
    attr: err.options.attr ?? null,
  }
  if (err.options.limit !== undefined) body.limit_bytes = err.options.limit
  if (err.options.size !== undefined) body.size_bytes = err.options.size
  return JSON.stringify(body)
}
