import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeBase64Strict, isGzip, isLikelyBase64, isLikelyForm } from './heuristics.js'

const buf = (text: string): Buffer => Buffer.from(text)

describe('isLikelyForm', () => {
  it('sees a form that starts with data=, _=, ip= or compression=', () => {
    for (const body of ['data=abc', '_=123&data=x', 'ip=1', 'compression=gzip-js&data=x']) assert.ok(isLikelyForm(buf(body)), body)
  })
  it('sees data= after an & within the first 128 bytes', () => {
    assert.ok(isLikelyForm(buf('ver=1.2&data=abc')))
    assert.ok(!isLikelyForm(buf(`${'x'.repeat(130)}&data=abc`)))
  })
  it('does not mistake JSON or a key that merely ends in data= for a form', () => {
    assert.ok(!isLikelyForm(buf('{"data=":1}')))
    assert.ok(!isLikelyForm(buf('metadata=1')))
  })
})

describe('isLikelyBase64', () => {
  it('needs a non-empty length that is a multiple of 4', () => {
    assert.ok(isLikelyBase64(buf('eyJh'), 'strict'))
    assert.ok(!isLikelyBase64(buf('eyJ'), 'strict'))
    assert.ok(!isLikelyBase64(buf(''), 'strict'))
  })
  it('allows spaces only in loose mode', () => {
    assert.ok(!isLikelyBase64('ey h', 'strict'))
    assert.ok(isLikelyBase64('ey h', 'loose'))
  })
  it('rejects JSON', () => {
    assert.ok(!isLikelyBase64(buf('[{}]'), 'strict'))
  })
})

describe('decodeBase64Strict', () => {
  it('decodes standard base64', () => {
    assert.equal(decodeBase64Strict(Buffer.from('{"a":1}').toString('base64'))?.toString(), '{"a":1}')
  })
  it('refuses padding in the middle and foreign characters', () => {
    assert.equal(decodeBase64Strict('ab=c'), undefined)
    assert.equal(decodeBase64Strict('ab_c'), undefined)
  })
})

describe('isGzip', () => {
  it('recognises the gzip magic bytes 1f 8b 08', () => {
    assert.ok(isGzip(Buffer.from([0x1f, 0x8b, 0x08, 0])))
    assert.ok(!isGzip(Buffer.from([0x1f, 0x8b])))
  })
})
