import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { gzipSync } from 'node:zlib'
import LZString from 'lz-string'
import { decodeBody, parseCompression, type BodyHints } from './decode-body.js'
import { CaptureError } from '../../errors/capture-error.js'
import { lz64Bomb } from '../../../test/helpers/bombs.js'

const limits = { maxDecodedBytes: 1024 * 1024 }
const json = '[{"event":"e","properties":{"distinct_id":"d","token":"t","name":"Zoë"}}]'
const hints = (extra: Partial<BodyHints> = {}): BodyHints => ({ legacyPath: false, ...extra })
const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64')
const throwsCode = (fn: () => unknown, code: string): void =>
  assert.throws(fn, (err: unknown) => err instanceof CaptureError && err.code === code, `expected ${code}`)

describe('parseCompression', () => {
  it('maps upstream hint names and ignores unknown ones', () => {
    assert.equal(parseCompression('gzip-js'), 'gzip')
    assert.equal(parseCompression('GZIP'), 'gzip')
    assert.equal(parseCompression('lz-string'), 'lz64')
    assert.equal(parseCompression('b64'), 'base64')
    assert.equal(parseCompression('brotli'), undefined)
    assert.equal(parseCompression(undefined), undefined)
  })
})

describe('decodeBody', () => {
  it('passes plain JSON through', () => {
    assert.equal(decodeBody(Buffer.from(json), hints(), limits), json)
  })
  it('detects gzip by magic bytes even when the query says something else', () => {
    assert.equal(decodeBody(gzipSync(json), hints({ queryCompression: 'base64' }), limits), json)
    assert.equal(decodeBody(gzipSync(json), hints(), limits), json)
  })
  it('gunzips when Content-Encoding says gzip', () => {
    assert.equal(decodeBody(gzipSync(json), hints({ contentEncoding: 'gzip' }), limits), json)
  })
  it('reads lz64 when hinted by the query', () => {
    assert.equal(decodeBody(Buffer.from(LZString.compressToBase64(json)), hints({ queryCompression: 'lz64' }), limits), json)
  })
  it('reads lz64 from a form field hint', () => {
    const body = `data=${encodeURIComponent(LZString.compressToBase64(json))}&compression=lz64`
    assert.equal(decodeBody(Buffer.from(body), hints({ contentType: 'application/x-www-form-urlencoded' }), limits), json)
  })
  it('reads base64 form data whose + signs urldecoding turned into spaces', () => {
    const encoded = b64('{"event":"e>>?","properties":{}}')
    assert.ok(encoded.includes('+'))
    const body = `data=${encoded}&compression=base64`
    assert.equal(decodeBody(Buffer.from(body), hints({ contentType: 'application/x-www-form-urlencoded' }), limits), '{"event":"e>>?","properties":{}}')
  })
  it('decodes form base64 data with a wrong gzip-js hint (upstream dump case)', () => {
    const body = `data=${encodeURIComponent(b64(json))}`
    assert.equal(decodeBody(Buffer.from(body), hints({ queryCompression: 'gzip-js', contentType: 'application/x-www-form-urlencoded', legacyPath: true }), limits), json)
  })
  it('unwraps a whole-body base64 payload', () => {
    assert.equal(decodeBody(Buffer.from(b64(json)), hints(), limits), json)
  })
  it('unwraps base64 of gzip', () => {
    assert.equal(decodeBody(Buffer.from(b64(gzipSync(json))), hints(), limits), json)
  })
  it('takes GET data= from the query before the body', () => {
    assert.equal(decodeBody(Buffer.alloc(0), hints({ queryData: b64(json) }), limits), json)
  })
  it('gives the legacy paths a second base64 pass', () => {
    const twice = b64(b64(json))
    assert.equal(decodeBody(Buffer.from(twice), hints({ legacyPath: true }), limits), json)
    assert.equal(decodeBody(Buffer.from(twice), hints({ legacyPath: false }), limits), b64(json))
  })
  it('refuses an empty payload', () => {
    throwsCode(() => decodeBody(Buffer.alloc(0), hints(), limits), 'empty_payload')
  })
  it('refuses a declared form without data=', () => {
    throwsCode(() => decodeBody(Buffer.from('{"event":"x"}'), hints({ contentType: 'application/x-www-form-urlencoded; charset=utf-8' }), limits), 'invalid_form')
  })
  it('refuses broken gzip', () => {
    throwsCode(() => decodeBody(Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08]), Buffer.from('garbage here')]), hints(), limits), 'invalid_gzip')
    throwsCode(() => decodeBody(gzipSync(json).subarray(0, 20), hints(), limits), 'invalid_gzip')
  })
  it('refuses invalid UTF-8', () => {
    throwsCode(() => decodeBody(Buffer.from([0x5b, 0xff, 0xfe, 0x5d]), hints(), limits), 'invalid_utf8')
  })
  it('stops a gzip bomb at the decoded cap', () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024))
    throwsCode(() => decodeBody(bomb, hints(), limits), 'decoded_too_large')
  })
  it('stops an lz64 bomb at the decoded cap', () => {
    const bomb = lz64Bomb(2000) // ~4 KB that inflates to ~2 M characters
    throwsCode(() => decodeBody(Buffer.from(bomb), hints({ queryCompression: 'lz64' }), limits), 'decoded_too_large')
  })
  it('refuses plain text over the decoded cap', () => {
    throwsCode(() => decodeBody(Buffer.alloc(limits.maxDecodedBytes + 1, 0x20), hints(), limits), 'decoded_too_large')
  })
  it('refuses invalid lz64', () => {
    throwsCode(() => decodeBody(Buffer.from('!!!!'), hints({ queryCompression: 'lz64' }), limits), 'invalid_lz64')
  })
})
