/**
 * Hand-built zstd frames (RFC 8878 §3.1.1) for tests, so they need no zstd
 * encoder: raw blocks carry bytes as they are, RLE blocks repeat one byte (up
 * to 128 KiB per 4-byte block, which makes bombs cheap), and the window size
 * is whatever the test declares.
 */
const MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd])
const MAX_BLOCK = 128 * 1024

export type Block = { readonly raw: Buffer } | { readonly rle: number; readonly size: number }

/** A frame with a window descriptor (not single-segment), no checksum, no content size. */
export function zstdFrame(blocks: readonly Block[], options: { windowLog?: number } = {}): Buffer {
  const windowLog = options.windowLog ?? 20
  const descriptor = Buffer.from([0x00, (windowLog - 10) << 3])
  const parts: Buffer[] = [MAGIC, descriptor]
  blocks.forEach((block, index) => {
    const last = index === blocks.length - 1 ? 1 : 0
    if ('raw' in block) {
      parts.push(blockHeader(last, 0, block.raw.length), block.raw)
    } else {
      parts.push(blockHeader(last, 1, block.size), Buffer.from([block.rle]))
    }
  })
  return Buffer.concat(parts)
}

function blockHeader(last: number, type: number, size: number): Buffer {
  if (size > MAX_BLOCK) throw new Error(`zstd block of ${size} bytes: at most ${MAX_BLOCK}`)
  const value = last | (type << 1) | (size << 3)
  return Buffer.from([value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff])
}

/** `text` in raw blocks: a valid zstd body a decoder must return unchanged. */
export function zstdRaw(text: string | Buffer): Buffer {
  const bytes = Buffer.from(text)
  const blocks: Block[] = []
  for (let offset = 0; offset < bytes.length; offset += MAX_BLOCK) blocks.push({ raw: bytes.subarray(offset, offset + MAX_BLOCK) })
  return zstdFrame(blocks.length === 0 ? [{ raw: Buffer.alloc(0) }] : blocks)
}

/** `bytes` copies of one byte in RLE blocks: a few bytes that decode to `bytes` bytes. */
export function zstdBomb(bytes: number, byte = 0x20): Buffer {
  const blocks: Block[] = []
  for (let left = bytes; left > 0; left -= MAX_BLOCK) blocks.push({ rle: byte, size: Math.min(MAX_BLOCK, left) })
  return zstdFrame(blocks, { windowLog: 17 })
}
