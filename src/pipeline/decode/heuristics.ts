/**
 * The byte-sniffing checks upstream capture uses to decide how a payload is
 * encoded. They look at the first 128 bytes only, so they cost O(1).
 */
const SNIFF = 128
const FORM_KEYS = ['data=', '_=', 'ip=', 'compression='].map((key) => Buffer.from(key))

function startsWithAt(payload: Buffer, at: number, prefix: Buffer): boolean {
  if (at + prefix.length > payload.length) return false
  for (let i = 0; i < prefix.length; i++) if (payload[at + i] !== prefix[i]) return false
  return true
}

/** Starts with, or has `&` followed by, one of data= _= ip= compression= within the first 128 bytes. */
export function isLikelyForm(payload: Buffer): boolean {
  const end = Math.min(payload.length, SNIFF)
  for (let at = 0; at < end; at++) {
    if (at !== 0 && payload[at - 1] !== 0x26 /* & */) continue
    if (FORM_KEYS.some((key) => startsWithAt(payload, at, key))) return true
  }
  return false
}

const BASE64_CHAR = new Uint8Array(256)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=') BASE64_CHAR[c.charCodeAt(0)] = 1

/** Non-empty, length a multiple of 4, first 128 bytes in [A-Za-z0-9+/=] (and space when loose). */
export function isLikelyBase64(payload: Buffer | string, mode: 'strict' | 'loose'): boolean {
  const length = payload.length
  if (length === 0 || length % 4 !== 0) return false
  const end = Math.min(length, SNIFF)
  for (let i = 0; i < end; i++) {
    const c = typeof payload === 'string' ? payload.charCodeAt(i) : payload[i]!
    if (c < 256 && BASE64_CHAR[c] === 1) continue
    if (mode === 'loose' && c === 0x20) continue
    return false
  }
  return true
}

const STRICT_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * Standard base64 decode that fails (returns undefined) where a strict decoder
 * would: bad length, characters outside the alphabet, padding in the middle.
 * Node's own decoder silently skips bad characters, so check first.
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !STRICT_BASE64.test(text)) return undefined
  return Buffer.from(text, 'base64')
}

export function isGzip(payload: Buffer): boolean {
  return payload.length >= 3 && payload[0] === 0x1f && payload[1] === 0x8b && payload[2] === 0x08
}
