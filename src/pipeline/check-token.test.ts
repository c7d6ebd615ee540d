import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { checkTokenShape, eventToken, resolveToken } from './check-token.js'
import { CaptureError } from '../errors/capture-error.js'

const throwsCode = (fn: () => unknown, code: string): void =>
  assert.throws(fn, (err: unknown) => err instanceof CaptureError && err.code === code, `expected ${code}`)

describe('eventToken', () => {
  it('reads token, $token, api_key, then properties.token', () => {
    assert.equal(eventToken({ token: 'a', properties: { token: 'b' } }), 'a')
    assert.equal(eventToken({ $token: 'a' }), 'a')
    assert.equal(eventToken({ api_key: 'a' }), 'a')
    assert.equal(eventToken({ properties: { token: 'b' } }), 'b')
    assert.equal(eventToken({ properties: { token: 5 } }), undefined)
  })
})

describe('resolveToken', () => {
  it('prefers the request-level token over event tokens', () => {
    assert.equal(resolveToken([{ token: 'other' }], 'phc_request'), 'phc_request')
  })
  it('accepts events that agree and events without a token', () => {
    assert.equal(resolveToken([{ token: 'phc_a' }, {}, { properties: { token: 'phc_a' } }], undefined), 'phc_a')
  })
  it('refuses events that carry different tokens', () => {
    throwsCode(() => resolveToken([{ token: 'phc_a' }, { token: 'phc_b' }], undefined), 'inconsistent_tokens')
  })
  it('refuses a request with no token anywhere', () => {
    throwsCode(() => resolveToken([{ event: 'x' }], undefined), 'no_token')
  })
})

describe('checkTokenShape', () => {
  it('applies upstream shape rules', () => {
    throwsCode(() => checkTokenShape(''), 'token_empty')
    throwsCode(() => checkTokenShape('x'.repeat(65)), 'token_too_long')
    throwsCode(() => checkTokenShape('phc_é'), 'token_not_ascii')
    throwsCode(() => checkTokenShape('phx_personal'), 'token_personal_api_key')
    assert.equal(checkTokenShape('x'.repeat(64)), 'x'.repeat(64))
  })
})
