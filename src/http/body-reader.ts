/**
 * readBody: collects a request body into one Buffer, refusing more than
 * `limit` bytes (413, as soon as Content-Length or the running total says so),
 * a body that stalls longer than `stallMs` between chunks (408), and a body
 * that takes longer than `totalMs` as a whole (408: a client dripping one byte
 * every few seconds never stalls). Slow or oversized clients cannot hold memory
 * or a handler for long.
 */
import type { IncomingMessage } from 'node:http'
import { CaptureError } from '../errors/capture-error.js'
import type { Millis } from '../units.js'

export interface BodyLimits {
  readonly limit: number
  readonly stallMs: Millis
  /** Budget for the whole body; defaults to 3 × stallMs. */
  readonly totalMs?: Millis
  /** For the 413 detail, e.g. "/batch". */
  readonly routeName: string
}

export function readBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limits.limit) return Promise.reject(tooLarge(limits, declared, true))
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    // A large declared body is copied into one buffer as it arrives: no second copy to concatenate.
    const into = Number.isInteger(declared) && declared >= PREALLOCATE_FROM ? Buffer.allocUnsafe(declared) : undefined
    let size = 0
    const timer = setTimeout(onStall, limits.stallMs)
    const totalMs = limits.totalMs ?? limits.stallMs * 3
    const whole = setTimeout(onTooSlow, totalMs)
    function finish(err?: Error): void {
      clearTimeout(timer)
      clearTimeout(whole)
      req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted)
      if (err) reject(err)
      else if (into !== undefined) resolve(into.subarray(0, size))
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size))
    }
    function onData(chunk: Buffer): void {
      size += chunk.length
      if (size > limits.limit) return finish(tooLarge(limits, size, false))
      if (into !== undefined && size <= into.length) chunk.copy(into, size - chunk.length)
      else chunks.push(chunk)
      timer.refresh()
    }
    function onEnd(): void { finish() }
    function onError(err: Error): void { finish(new CaptureError('request_timeout', { detail: `The request body could not be read: ${err.message}`, cause: err })) }
    function onAborted(): void { finish(new CaptureError('request_timeout', { detail: 'The client aborted the request.' })) }
    function onStall(): void {
      finish(new CaptureError('request_timeout', { detail: `No body data arrived for ${limits.stallMs} ms.` }))
    }
    function onTooSlow(): void {
      finish(new CaptureError('request_timeout', { detail: `The body did not arrive within ${totalMs} ms (${size} bytes read).` }))
    }
    req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted)
  })
}

const PREALLOCATE_FROM = 1024 * 1024

function tooLarge(limits: BodyLimits, size: number, exact: boolean): CaptureError {
  const seen = exact ? `${size} bytes` : `more than ${limits.limit} bytes`
  return new CaptureError('body_too_large', {
    detail: `The request body is ${seen}; the limit on ${limits.routeName} is ${limits.limit} bytes.`,
    limit: limits.limit,
    size,
  })
}
