/**
 * lz-string `compressToBase64` decoding (what old posthog-js sends with
 * compression=lz64), written here so its memory is bounded by its output
 * cap: an LZW stream can expand quadratically, so a 2 MiB body could
 * otherwise inflate to gigabytes. The dictionary is a prefix tree (each entry
 * is an earlier entry plus one character: two numbers, not a string) and the
 * output goes into one UTF-16 array of at most `maxChars`, so decoding holds
 * O(input + cap) memory whatever the stream says. Bit-compatible with the
 * lz-string package (checked against it in lz64.test.ts).
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

/**
 * The dictionary as a prefix tree: entry `code` is entry `prefix[code]` followed by
 * `last[code]` (prefix -1 for a one-character entry); `first` and `length` let an
 * entry be written without walking it twice.
 */
class Dictionary {
  size = 3
  private prefix: Int32Array
  private last: Uint16Array
  private first: Uint16Array
  private lengths: Int32Array

  constructor(capacity: number) {
    this.prefix = new Int32Array(capacity)
    this.last = new Uint16Array(capacity)
    this.first = new Uint16Array(capacity)
    this.lengths = new Int32Array(capacity)
  }

  addLiteral(char: number): number {
    return this.add(-1, char, char, 1)
  }

  /** A new entry: entry `code` plus one character. */
  extend(code: number, char: number): number {
    return this.add(code, char, this.first[code]!, this.lengths[code]! + 1)
  }

  has(code: number): boolean {
    return code >= 3 && code < this.size
  }

  lengthOf(code: number): number {
    return this.lengths[code]!
  }

  firstOf(code: number): number {
    return this.first[code]!
  }

  /** Writes entry `code` at out[at…at+length). */
  write(code: number, out: Uint16Array, at: number): void {
    let position = at + this.lengths[code]! - 1
    for (let c = code; c !== -1; c = this.prefix[c]!) out[position--] = this.last[c]!
  }

  private add(prefix: number, last: number, first: number, length: number): number {
    if (this.size === this.prefix.length) this.grow()
    const code = this.size++
    this.prefix[code] = prefix
    this.last[code] = last
    this.first[code] = first
    this.lengths[code] = length
    return code
  }

  private grow(): void {
    const capacity = this.prefix.length * 2
    const copy = <T extends Int32Array | Uint16Array>(from: T, to: T): T => (to.set(from), to)
    this.prefix = copy(this.prefix, new Int32Array(capacity))
    this.last = copy(this.last, new Uint16Array(capacity))
    this.first = copy(this.first, new Uint16Array(capacity))
    this.lengths = copy(this.lengths, new Int32Array(capacity))
  }
}

/** Decode, throwing Lz64Error('too_large') once the output would pass maxChars. */
export function decompressLz64(input: string, maxChars: number): string {
  if (input === '') return ''
  const reader = new BitReader(input)
  const dictionary = new Dictionary(1024)
  const out = new Output(maxChars)
  const firstChar = literal(reader, reader.read(2))
  if (firstChar === undefined) return ''
  let previous = dictionary.addLiteral(firstChar)
  out.append(dictionary, previous)
  let width = 3
  let capacity = 4
  while (true) {
    if (reader.exhausted()) throw new Lz64Error('invalid')
    let code = reader.read(width)
    if (code === 2) return out.text()
    if (code < 2) {
      code = dictionary.addLiteral(literal(reader, code)!)
      if (--capacity === 0) capacity = 1 << width++
    }
    let entry: number
    let added = false
    if (dictionary.has(code)) entry = code
    else if (code === dictionary.size) {
      // KwKwK: the entry being defined, previous + its own first character.
      entry = dictionary.extend(previous, dictionary.firstOf(previous))
      added = true
    } else throw new Lz64Error('invalid')
    out.append(dictionary, entry)
    if (!added) dictionary.extend(previous, dictionary.firstOf(entry))
    if (--capacity === 0) capacity = 1 << width++
    previous = entry
  }
}

/** UTF-16 output that grows by doubling up to the cap and refuses to pass it. */
class Output {
  private chars = new Uint16Array(4096)
  private length = 0

  constructor(private readonly maxChars: number) {}

  append(dictionary: Dictionary, code: number): void {
    const length = dictionary.lengthOf(code)
    const needed = this.length + length
    if (needed > this.maxChars) throw new Lz64Error('too_large')
    if (needed > this.chars.length) {
      const grown = new Uint16Array(Math.min(this.maxChars, Math.max(needed, this.chars.length * 2)))
      grown.set(this.chars.subarray(0, this.length))
      this.chars = grown
    }
    dictionary.write(code, this.chars, this.length)
    this.length = needed
  }

  text(): string {
    return Buffer.from(this.chars.buffer, this.chars.byteOffset, this.length * 2).toString('utf16le')
  }
}

function literal(reader: BitReader, code: number): number | undefined {
  if (code === 0) return reader.read(8)
  if (code === 1) return reader.read(16)
  if (code === 2) return undefined
  throw new Lz64Error('invalid')
}
