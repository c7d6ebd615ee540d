/**
 * Redis Cluster hash slots: which of the 16384 slots a key lives in, as the
 * cluster specification defines it (CRC16-XMODEM of the key modulo 16384; if
 * the key holds a non-empty `{…}`, only the text between the first `{` and the
 * first `}` after it is hashed). The cluster store groups the calls of a turn
 * by slot with it, so no command spans slots, and checks that the buckets of
 * one take share a slot before sending them. test/cluster checks it against
 * CLUSTER KEYSLOT on a real cluster.
 */

export const SLOT_COUNT = 16384

/** CRC16-XMODEM (polynomial 0x1021, initial value 0), one byte at a time. */
const CRC_TABLE = buildTable()

function buildTable(): Uint16Array {
  const table = new Uint16Array(256)
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
    table[byte] = crc
  }
  return table
}

function crc16(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0
  for (let index = start; index < end; index++) crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ bytes[index]!) & 0xff]!
  return crc
}

/** The same over a string's char codes, for ASCII keys (every key capture writes bar odd tokens): no Buffer per key. */
function crc16Ascii(key: string, start: number, end: number): number {
  let crc = 0
  for (let index = start; index < end; index++) crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ key.charCodeAt(index)) & 0xff]!
  return crc
}

const OPEN = 0x7b // {
const CLOSE = 0x7d // }
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/

export function keySlot(key: string): number {
  if (!NON_ASCII.test(key)) {
    const open = key.indexOf('{')
    if (open !== -1) {
      const close = key.indexOf('}', open + 1)
      if (close > open + 1) return crc16Ascii(key, open + 1, close) % SLOT_COUNT
    }
    return crc16Ascii(key, 0, key.length) % SLOT_COUNT
  }
  const bytes = Buffer.from(key, 'utf8')
  const open = bytes.indexOf(OPEN)
  if (open !== -1) {
    const close = bytes.indexOf(CLOSE, open + 1)
    if (close > open + 1) return crc16(bytes, open + 1, close) % SLOT_COUNT
  }
  return crc16(bytes, 0, bytes.length) % SLOT_COUNT
}
