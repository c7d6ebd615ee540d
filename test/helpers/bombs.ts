/**
 * Decompression bombs for limit tests, built without ever holding the
 * inflated payload in memory: gzip is streamed from one reused zero chunk,
 * and the lz64 stream is written code by code (lz-string's own compressor is
 * quadratic on repetitive input and would take minutes).
 */
import { createGzip } from 'node:zlib'

const MiB = 1024 * 1024

/** gzip of `bytes` zero bytes; ~1000:1, so 128 MiB → ~128 KiB. */
export function gzipZeros(bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const gzip = createGzip({ level: 9 })
    const out: Buffer[] = []
    gzip.on('data', (chunk: Buffer) => out.push(chunk))
    gzip.on('end', () => resolve(Buffer.concat(out)))
    gzip.on('error', reject)
    const chunk = Buffer.alloc(MiB)
    let left = bytes
    const pump = (): void => {
      while (left > 0) {
        const size = Math.min(left, MiB)
        left -= size
        if (!gzip.write(size === MiB ? chunk : chunk.subarray(0, size))) {
          gzip.once('drain', pump)
          return
        }
      }
      gzip.end()
    }
    pump()
  })
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/='

/** Writes values LSB-first into 6-bit base64 characters, most significant bit first (lz-string's layout). */
class BitWriter {
  private readonly chars: string[] = []
  private value = 0
  private filled = 0

  write(code: number, width: number): void {
    for (let bit = 0; bit < width; bit++) {
      this.value = (this.value << 1) | ((code >> bit) & 1)
      if (++this.filled === 6) this.emit()
    }
  }

  finish(): string {
    if (this.filled > 0) {
      this.value <<= 6 - this.filled
      this.emit()
    }
    const text = this.chars.join('')
    return text + '='.repeat((4 - (text.length % 4)) % 4)
  }

  private emit(): void {
    this.chars.push(ALPHABET[this.value]!)
    this.value = 0
    this.filled = 0
  }
}

/**
 * lz-string `compressToBase64` output that inflates to `char` repeated
 * 2 + 3 + … + (codes + 1) times: each code names the entry just being
 * defined (LZW's KwKwK case), so the output grows quadratically with the
 * input. 12 000 codes ≈ 21 KB in, ≈ 72 M characters out.
 */
export function lz64Bomb(codes: number, char = '0'): string {
  const writer = new BitWriter()
  writer.write(0, 2) // literal, 8 bits
  writer.write(char.charCodeAt(0), 8)
  let dictionarySize = 4
  let width = 3
  let capacity = 4
  for (let i = 0; i < codes; i++) {
    writer.write(dictionarySize++, width)
    if (--capacity === 0) capacity = 1 << width++
  }
  writer.write(2, width) // end of stream
  return writer.finish()
}

/** Length of what lz64Bomb(codes) inflates to. */
export const lz64BombLength = (codes: number): number => 1 + ((codes + 1) * (codes + 2)) / 2 - 1
