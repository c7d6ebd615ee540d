/**
 * chunkUuid: the uuid of chunk `index` of a split recording message. Chunk 0
 * keeps the recording's own uuid (the client's, or the v7 capture chose);
 * later chunks get a UUIDv8 derived from it by SHA-256, so every chunk has its
 * own uuid and a client retry of the same request yields the same uuids again
 * (downstream de-duplication keys on them). Pure.
 */
import { createHash } from 'node:crypto'

export function chunkUuid(baseUuid: string, index: number): string {
  if (index === 0) return baseUuid
  const hex = createHash('sha256').update(`${baseUuid}:${index}`).digest('hex')
  // RFC 9562: version 8 (custom) in the 13th digit, variant 10 in the 17th.
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}
