import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { gzipSync } from 'node:zlib'
import { CaptureError } from '../../errors/capture-error.js'
import { FIRST_STEP_BYTES, gunzipCapped } from './gunzip-capped.js'

const MiB = 1024 * 1024
const code = (fn: () => unknown): string | undefined => {
  try {
    fn()
    return undefined
  } catch (err) {
    return err instanceof CaptureError ? err.code : 'not a CaptureError'
  }
}

describe('gunzipCapped', () => {
  it('inflates a body below the first step in one go', () => {
    assert.equal(gunzipCapped(gzipSync('{"a":1}'), { maxDecodedBytes: MiB }).toString(), '{"a":1}')
  })

  it('inflates a body past the first step when its trailer states its size', () => {
    const text = Buffer.from('x'.repeat(FIRST_STEP_BYTES + 1000))
    assert.equal(gunzipCapped(gzipSync(text), { maxDecodedBytes: 8 * MiB }).length, text.length)
  })

  it('refuses a body whose trailer states more than the cap, with 413', () => {
    assert.equal(code(() => gunzipCapped(gzipSync(Buffer.alloc(6 * MiB)), { maxDecodedBytes: 5 * MiB })), 'decoded_too_large')
  })

  it('refuses a body that inflates past what its trailer states, with 400', () => {
    const forged = gzipSync(Buffer.alloc(4 * MiB))
    forged.writeUInt32LE(1024, forged.length - 4)
    assert.equal(code(() => gunzipCapped(forged, { maxDecodedBytes: 64 * MiB })), 'invalid_gzip')
  })

  it('refuses truncated gzip with 400', () => {
    assert.equal(code(() => gunzipCapped(gzipSync('{"a":1}').subarray(0, 12), { maxDecodedBytes: MiB })), 'invalid_gzip')
  })
})
