/**
 * zstdWindowBound: walks the frames of a zstd body without decoding them
 * (RFC 8878 §3.1: frame header, then blocks whose headers give their sizes)
 * and returns the largest window a decoder would allocate for any frame.
 * The pure-JS decoder allocates a frame's whole window up front (up to 2 GiB
 * for a hostile header), so decode-v1.ts refuses a body whose window exceeds
 * the decompressed-size cap before decoding a byte of it.
 *
 * Returns undefined when the framing is not valid zstd (the decoder then
 * reports the precise error).
 */
const ZSTD_MAGIC = 0xfd2fb528
const SKIPPABLE_MASK = 0xfffffff0
const SKIPPABLE_MAGIC = 0x184d2a50

export function zstdWindowBound(body: Uint8Array): number | undefined {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength)
  let offset = 0
  let largest = 0
  while (offset < body.length) {
    if (offset + 8 > body.length) return undefined
    const magic = view.getUint32(offset, true)
    if ((magic & SKIPPABLE_MASK) === SKIPPABLE_MAGIC) {
      offset += 8 + view.getUint32(offset + 4, true)
      continue
    }
    if (magic !== ZSTD_MAGIC) return undefined
    const frame = readFrameHeader(body, view, offset + 4)
    if (frame === undefined) return undefined
    largest = Math.max(largest, frame.window)
    const end = skipBlocks(body, frame.blocksAt)
    if (end === undefined) return undefined
    offset = end + (frame.checksum ? 4 : 0)
  }
  return largest
}

function readFrameHeader(body: Uint8Array, view: DataView, at: number): { window: number; blocksAt: number; checksum: boolean } | undefined {
  const descriptor = body[at]
  if (descriptor === undefined) return undefined
  const contentSizeFlag = descriptor >> 6
  const singleSegment = (descriptor >> 5) & 1
  const checksum = ((descriptor >> 2) & 1) === 1
  const dictionaryBytes = [0, 1, 2, 4][descriptor & 3]!
  let cursor = at + 1
  let window = 0
  if (singleSegment === 0) {
    const wd = body[cursor++]
    if (wd === undefined) return undefined
    const base = 2 ** (10 + (wd >> 3))
    window = base + (base / 8) * (wd & 7)
  }
  cursor += dictionaryBytes
  const sizeBytes = contentSizeFlag === 0 ? singleSegment : 2 ** contentSizeFlag
  if (cursor + sizeBytes > body.length) return undefined
  if (singleSegment === 1) window = readContentSize(view, cursor, sizeBytes)
  return { window, blocksAt: cursor + sizeBytes, checksum }
}

function readContentSize(view: DataView, at: number, size: number): number {
  switch (size) {
    case 1: return view.getUint8(at)
    case 2: return view.getUint16(at, true) + 256
    case 4: return view.getUint32(at, true)
    default: return view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32
  }
}

/** Offset just past the last block of the frame whose first block header is at `at`. */
function skipBlocks(body: Uint8Array, at: number): number | undefined {
  let cursor = at
  for (;;) {
    if (cursor + 3 > body.length) return undefined
    const header = body[cursor]! | (body[cursor + 1]! << 8) | (body[cursor + 2]! << 16)
    const last = (header & 1) === 1
    const type = (header >> 1) & 3
    const size = header >>> 3
    if (type === 3) return undefined
    cursor += 3 + (type === 1 ? 1 : size)
    if (last) return cursor
  }
}
