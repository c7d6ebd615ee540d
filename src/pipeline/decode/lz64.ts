/**
 * lz-string `compressToBase64` decoding (what old posthog-js sends with
 * compression=lz64), written here so the output can be capped while it is
 * produced: an LZW stream can expand quadratically, so a 2 MiB body could
 * otherwise inflate to gigabytes. Bit-compatible with the lz-string package
 * (checked against it in lz64.test.ts).
 *
 * Format: 6 bits per base64 character, read LSB-first in groups whose width
 * grows with the dictionary. Code 0 = next 8 bits are a literal char, 1 = next
 * 16 bits are a literal char, 2 = end of stream, other codes index the
 * dictionary (3 entries are reserved for those control codes).
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/='
const VALUE = new Int16Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i

export class Lz64Error extends Error {
  constructor(readonly reason: 'invalid' | 'too_large') {
    super(reason === 'invalid' ? 'invalid lz-string data' : 'lz-string output exceeds the limit')
  }
}

class BitReader {
  private index = 0
  private value = 0
  private position = 32

  constructor(private readonly input: string) {
    this.value = this.next()
  }

  /** lz-string gives up once it has read past the end of its input. */
  exhausted(): boolean {
    return this.index > this.input.length
  }

  private next(): number {
    if (this.index >= this.input.length) {
      this.index++
      return 0 // lz-string reads past the end as zero bits
    }
    const code = this.input.charCodeAt(this.index++)
    const value = code < 128 ? VALUE[code]! : -1
    if (value < 0) throw new Lz64Error('invalid')
    return value
  }

  read(width: number): number {
    let bits = 0
    for (let power = 1; power !== 1 << width; power <<= 1) {
      if (this.value & this.position) bits |= power
      this.position >>= 1
      if (this.position === 0) {
        this.position = 32
        this.value = this.next()
      }
    }
    return bits
  }
}

/** Decode, throwing Lz64Error('too_large') once the output passes maxChars. */
export function decompressLz64(input: string, maxChars: number): string {
  if (input === '') return ''
  const reader = new BitReader(input)
  const first = literal(reader, reader.read(2))
  if (first === undefined) return ''
  // Codes 0..2 are control codes; the first literal takes code 3.
  const dictionary: string[] = ['', '', '', first]
  let width = 3
  let capacity = 4
  let previous = first
  const out: string[] = [first]
  let outLength = first.length
  while (true) {
    if (reader.exhausted()) throw new Lz64Error('invalid')
    let code = reader.read(width)
    if (code === 2) return out.join('')
    if (code < 2) {
      dictionary.push(literal(reader, code)!)
      code = dictionary.length - 1
      if (--capacity === 0) capacity = 1 << width++
    }
    let entry: string
    if (code < dictionary.length) entry = dictionary[code]!
    else if (code === dictionary.length) entry = previous + previous.charAt(0)
    else throw new Lz64Error('invalid')
    outLength += entry.length
    if (outLength > maxChars) throw new Lz64Error('too_large')
    out.push(entry)
    dictionary.push(previous + entry.charAt(0))
    if (--capacity === 0) capacity = 1 << width++
    previous = entry
  }
}

function literal(reader: BitReader, code: number): string | undefined {
  if (code === 0) return String.fromCharCode(reader.read(8))
  if (code === 1) return String.fromCharCode(reader.read(16))
  if (code === 2) return undefined
  throw new Lz64Error('invalid')
}
