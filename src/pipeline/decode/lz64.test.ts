import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import LZString from 'lz-string'
import { lz64Bomb } from '../../../test/helpers/bombs.js'
import { decompressLz64, Lz64Error } from './lz64.js'

function randomText(length: number, alphabet: string, seed: number): string {
  let state = seed
  let text = ''
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff
    text += alphabet[state % alphabet.length]
  }
  return text
}

describe('decompressLz64', () => {
  it('matches lz-string on texts of every size and alphabet', () => {
    const alphabets = ['ab', '{"event":"$pageview","properties":{"a":[1,2,3]}} ', 'héllo wörld 😀 ✓ \u0000']
    for (let n = 0; n < 300; n++) {
      const text = randomText((n * 37) % 5000, alphabets[n % 3]!, n + 1)
      assert.equal(decompressLz64(LZString.compressToBase64(text), 1e9), text, `case ${n}`)
    }
  })

  it('decodes an empty input to an empty string', () => {
    assert.equal(decompressLz64('', 10), '')
  })

  it('stops with too_large as soon as the output passes the cap', () => {
    const bomb = lz64Bomb(2000) // inflates to ~2 M characters
    assert.ok(bomb.length < 10_000)
    assert.throws(() => decompressLz64(bomb, 100_000), (err: unknown) => err instanceof Lz64Error && err.reason === 'too_large')
  })

  it('rejects characters outside the base64 alphabet', () => {
    assert.throws(() => decompressLz64('N4Ig*#', 1000), (err: unknown) => err instanceof Lz64Error && err.reason === 'invalid')
  })

  it('rejects a truncated stream', () => {
    const full = LZString.compressToBase64(randomText(2000, 'abcdefgh', 7))
    assert.throws(() => decompressLz64(full.slice(0, full.length / 2), 1e9), Lz64Error)
  })
})
