/**
 * decodeV1Body: undoes the Content-Encoding of a Capture V1 body (gzip,
 * deflate as zlib or raw — sniffed by the first byte —, br, zstd) and returns
 * its UTF-8 text. Every decoder is bounded by `maxDecompressedBytes`, so a
 * decompression bomb costs at most that much memory: zlib's through
 * maxOutputLength, zstd's (fzstd, pure JS; Node 20's zlib has none) through a
 * streaming decoder that we stop as soon as its output passes the cap, after
 * refusing any frame whose window (allocated up front) is larger than the cap.
 *
 * Unlike the classic cascade there is no sniffing of gzip magic, base64 or
 * forms: the header says what the body is.
 */
import { isUtf8 } from 'node:buffer'
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib'
import { Decompress } from 'fzstd'
import { CaptureError } from '../../errors/capture-error.js'
import type { V1Encoding } from './v1-headers.js'
import { zstdWindowBound } from './zstd-frames.js'

export interface V1DecodeLimits {
  readonly maxDecompressedBytes: number
}

/** zstd: feed the decoder this much at a time so its output is checked between pieces. */
const ZSTD_PIECE_BYTES = 64 * 1024

export function decodeV1Body(body: Buffer, encoding: V1Encoding, limits: V1DecodeLimits): string {
  if (body.length === 0) throw new CaptureError('empty_body')
  const plain = decompress(body, encoding, limits.maxDecompressedBytes)
  if (plain.length > limits.maxDecompressedBytes) throw tooLarge(limits.maxDecompressedBytes, plain.length)
  if (plain.length === 0) throw new CaptureError('empty_body', { detail: 'The body decompresses to nothing.' })
  if (!isUtf8(plain)) throw new CaptureError('request_decoding_error', { detail: 'The decoded body is not valid UTF-8.' })
  return plain.toString('utf8')
}

function decompress(body: Buffer, encoding: V1Encoding, max: number): Buffer {
  switch (encoding) {
    case 'identity':
      return body
    case 'gzip':
      return zlibCapped(() => gunzipSync(body, { maxOutputLength: max }), 'gzip', max)
    case 'deflate':
      // RFC 9110 says zlib; some clients send raw deflate. A zlib stream starts with 0x78.
      return body[0] === 0x78
        ? zlibCapped(() => inflateSync(body, { maxOutputLength: max }), 'deflate (zlib)', max)
        : zlibCapped(() => inflateRawSync(body, { maxOutputLength: max }), 'deflate (raw)', max)
    case 'br':
      return zlibCapped(() => brotliDecompressSync(body, { maxOutputLength: max }), 'br', max)
    case 'zstd':
      return zstdCapped(body, max)
  }
}

function zlibCapped(run: () => Buffer, name: string, max: number): Buffer {
  try {
    return run()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(max)
    throw new CaptureError('request_decoding_error', { detail: `The body is not valid ${name}: ${(err as Error).message}.`, cause: err })
  }
}

/**
 * Streaming encoders that do not know the input size pick 2–8 MiB windows, and
 * RFC 8878 asks decoders to support 8 MiB: never refuse those on a small cap alone.
 */
const MIN_ZSTD_WINDOW_BYTES = 8 * 1024 * 1024

class ZstdTooLarge extends Error {}

function zstdCapped(body: Buffer, max: number): Buffer {
  const window = zstdWindowBound(body)
  if (window !== undefined && window > Math.max(max, MIN_ZSTD_WINDOW_BYTES)) throw tooLarge(max)
  const parts: Uint8Array[] = []
  let size = 0
  let ended = false
  const decoder = new Decompress((chunk, final) => {
    size += chunk.length
    if (size > max) throw new ZstdTooLarge()
    parts.push(chunk)
    if (final === true) ended = true
  })
  try {
    for (let offset = 0; offset < body.length; offset += ZSTD_PIECE_BYTES) {
      const end = Math.min(offset + ZSTD_PIECE_BYTES, body.length)
      decoder.push(body.subarray(offset, end), end === body.length)
    }
  } catch (err) {
    if (err instanceof ZstdTooLarge) throw tooLarge(max)
    throw new CaptureError('request_decoding_error', { detail: `The body is not valid zstd: ${(err as Error).message}.`, cause: err })
  }
  if (!ended && size === 0) throw new CaptureError('request_decoding_error', { detail: 'The body is not a complete zstd frame.' })
  return Buffer.concat(parts, size)
}

function tooLarge(max: number, size?: number): CaptureError {
  const seen = size === undefined ? `inflates past ${max} bytes` : `is ${size} bytes decoded`
  return new CaptureError('payload_too_large', {
    detail: `The body ${seen}; the limit is ${max} bytes (CAPTURE_V1_MAX_DECOMPRESSED_BODY_BYTES).`,
    limit: max,
    size: size ?? max + 1,
  })
}
