/**
 * Gunzip with a bounded cost, synchronous (decode is pure, CONVENTIONS §6), in
 * at most two bounded steps, so neither memory nor the event loop pays for
 * what a bomb claims:
 *
 * 1. inflate up to FIRST_STEP_BYTES (2 MiB: a few ms). Nearly every real body
 *    ends here, in one gunzipSync call as before.
 * 2. Past that, read the size the gzip trailer states (ISIZE). More than the
 *    cap → 413 at once, nothing more inflated (a 1 GiB bomb says it is 1 GiB).
 *    Otherwise inflate again, bounded by the stated size (a trailer that lies
 *    low makes the stream invalid: 400), the route's cap, and MAX_RATIO times
 *    the compressed size past 16 MiB (DEFLATE reaches ~1000:1 on zeros; JSON
 *    stays far below 200:1).
 *
 * Only single-member gzip is read past 2 MiB: every SDK sends one member, and
 * upstream's decoder reads only the first.
 */
import { gunzipSync } from 'node:zlib'
import { CaptureError } from '../../errors/capture-error.js'

export const FIRST_STEP_BYTES = 2 * 1024 * 1024
export const MAX_RATIO = 200
/** Below this a body may inflate any amount (one 3 MB recording item of one repeated character does). */
export const RATIO_FLOOR_BYTES = 16 * 1024 * 1024

export function gunzipCapped(data: Buffer, limits: { readonly maxDecodedBytes: number }): Buffer {
  const cap = limits.maxDecodedBytes
  const first = inflate(data, Math.min(cap, FIRST_STEP_BYTES))
  if (first !== undefined) return first
  if (cap <= FIRST_STEP_BYTES) throw tooLarge(cap, `The gzip body inflates past the ${cap}-byte limit on decoded payloads.`)
  const stated = data.length >= 18 ? data.readUInt32LE(data.length - 4) : 0
  if (stated > cap) throw tooLarge(cap, `The gzip body states it inflates to ${stated} bytes; the limit on decoded payloads is ${cap} bytes.`, stated)
  if (stated <= FIRST_STEP_BYTES) throw overStated(stated)
  const byRatio = Math.max(RATIO_FLOOR_BYTES, data.length * MAX_RATIO)
  const bound = Math.min(cap, byRatio, Math.max(stated, FIRST_STEP_BYTES) + 1)
  const whole = inflate(data, bound)
  if (whole !== undefined && whole.length === stated) return whole
  if (whole !== undefined || bound > stated) throw overStated(stated)
  if (bound === byRatio) throw tooLarge(bound, `The gzip body inflates more than ${MAX_RATIO}-fold (past ${bound} bytes from ${data.length}): a decompression bomb.`)
  throw tooLarge(cap, `The gzip body inflates past the ${cap}-byte limit on decoded payloads.`)
}

/** The inflated bytes, or undefined when they would pass `maxBytes`. */
function inflate(data: Buffer, maxBytes: number): Buffer | undefined {
  try {
    return gunzipSync(data, { maxOutputLength: maxBytes })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return undefined
    throw new CaptureError('invalid_gzip', { detail: `The body is not valid gzip: ${(err as Error).message}.`, cause: err })
  }
}

const overStated = (stated: number): CaptureError =>
  new CaptureError('invalid_gzip', { detail: `The gzip body inflates to more than the ${stated} bytes its trailer states (corrupt, forged, or several gzip members).` })

function tooLarge(limit: number, detail: string, size = limit + 1): CaptureError {
  return new CaptureError('decoded_too_large', { detail, limit, size })
}
