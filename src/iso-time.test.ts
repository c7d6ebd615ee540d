import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isoTime } from './iso-time.js'

describe('isoTime', () => {
  it('writes what Date#toISOString writes, across the fast range and its edges', () => {
    const edges = [0, 1, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999, 4_107_542_400_000, 253_402_300_799_999]
    let seed = 12345
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    const samples = [...edges, ...Array.from({ length: 20_000 }, () => Math.floor(random() * 253_402_300_800_000))]
    for (const ms of samples) assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms))
  })

  it('goes through Date outside it: before 1970, past 9999, fractions', () => {
    for (const ms of [-1, -62_198_755_200_000, 253_402_300_800_000, 8.64e15, 1.5, 1_764_582_000_000.7]) {
      assert.equal(isoTime(ms), new Date(ms).toISOString())
    }
  })

  it('throws as Date does for an invalid time', () => {
    assert.throws(() => isoTime(Number.NaN), RangeError)
    assert.throws(() => isoTime(8.64e15 + 1), RangeError)
  })
})
