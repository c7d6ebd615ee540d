import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { zstdBomb, zstdFrame, zstdRaw } from '../../../test/helpers/zstd-frames.js'
import { decodeV1Body } from './decode-v1.js'
import { zstdWindowBound } from './zstd-frames.js'

describe('zstdWindowBound', () => {
  it('reads the window of every frame, skipping skippable frames', () => {
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 9, 9])
    assert.equal(zstdWindowBound(Buffer.concat([zstdFrame([{ raw: Buffer.from('a') }], { windowLog: 12 }), skippable, zstdFrame([{ raw: Buffer.from('b') }], { windowLog: 25 })])), 2 ** 25)
  })

  it('is undefined for bytes that are not zstd framing', () => {
    assert.equal(zstdWindowBound(Buffer.from('{"not":"zstd"}')), undefined)
    assert.equal(zstdWindowBound(zstdRaw('abc').subarray(0, 8)), undefined)
  })
})

describe('decodeV1Body with zstd', () => {
  it('decodes several frames in one body', () => {
    assert.equal(decodeV1Body(Buffer.concat([zstdRaw('{"a":'), zstdRaw('1}')]), 'zstd', { maxDecompressedBytes: 1000 }), '{"a":1}')
  })

  it('stops a bomb at the cap and refuses a window larger than the cap before decoding', () => {
    assert.throws(() => decodeV1Body(zstdBomb(20 * 1024 * 1024), 'zstd', { maxDecompressedBytes: 1024 * 1024 }), { code: 'payload_too_large' })
    assert.throws(() => decodeV1Body(zstdFrame([{ raw: Buffer.from('{}') }], { windowLog: 31 }), 'zstd', { maxDecompressedBytes: 1024 * 1024 }), { code: 'payload_too_large' })
  })
})
