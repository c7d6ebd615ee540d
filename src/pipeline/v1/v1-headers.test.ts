import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { CaptureError } from '../../errors/capture-error.js'
import { readV1Headers } from './v1-headers.js'

const valid = (overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
  authorization: 'Bearer phc_token',
  'posthog-sdk-info': 'posthog-node/5.70.0',
  'posthog-attempt': '2',
  'posthog-request-id': '01A215DA-846F-7167-A3DF-FB45DAC0D650',
  'posthog-request-timestamp': '2026-11-26T03:16:12.016Z',
  'content-type': 'application/json',
  'user-agent': 'posthog-node/5.70.0',
  ...overrides,
})

const codeOf = (headers: Record<string, string | undefined>): string => {
  try {
    readV1Headers(headers)
  } catch (err) {
    if (err instanceof CaptureError) return err.code
    throw err
  }
  return 'none'
}

describe('readV1Headers', () => {
  it('reads every header, canonicalising the request id', () => {
    assert.deepEqual(readV1Headers(valid()), {
      token: 'phc_token',
      lib: { name: 'posthog-node', version: '5.70.0' },
      encoding: 'identity',
      requestId: '01a215da-846f-7167-a3df-fb45dac0d650',
      attempt: 2,
      requestTimestampMs: Date.parse('2026-11-26T03:16:12.016Z'),
    })
  })

  it('splits PostHog-Sdk-Info at the last slash and ignores an unusable value', () => {
    assert.deepEqual(readV1Headers(valid({ 'posthog-sdk-info': '@scope/lib/1.2' })).lib, { name: '@scope/lib', version: '1.2' })
    assert.equal(readV1Headers(valid({ 'posthog-sdk-info': 'lib/' })).lib, undefined)
    assert.equal(readV1Headers(valid({ 'posthog-sdk-info': 'x'.repeat(201) + '/1' })).lib, undefined)
  })

  it('checks Authorization first, then the missing headers, then the values', () => {
    assert.equal(codeOf(valid({ authorization: undefined, 'content-type': 'text/plain' })), 'missing_authorization')
    assert.equal(codeOf(valid({ 'user-agent': undefined, 'content-type': 'text/plain' })), 'missing_required_headers')
    assert.equal(codeOf(valid({ authorization: 'Token x', 'content-type': 'text/plain' })), 'invalid_header_value')
    assert.equal(codeOf(valid({ 'content-type': 'text/plain', 'content-encoding': 'lz64' })), 'unsupported_content_type')
    assert.equal(codeOf(valid({ 'content-encoding': 'lz64', 'posthog-request-id': 'x' })), 'unsupported_encoding')
    assert.equal(codeOf(valid({ 'posthog-request-id': 'x', 'posthog-attempt': '0' })), 'invalid_header_value')
  })

  it('accepts the four encodings in any case and refuses identity', () => {
    for (const value of ['GZIP', 'deflate', 'Br', 'zstd']) assert.equal(readV1Headers(valid({ 'content-encoding': value })).encoding, value.toLowerCase())
    assert.equal(codeOf(valid({ 'content-encoding': 'identity' })), 'unsupported_encoding')
  })

  it('refuses token shapes upstream refuses as invalid_api_token', () => {
    for (const token of ['', 'phx_personal', 'é', 'x'.repeat(65)]) assert.equal(codeOf(valid({ authorization: `Bearer ${token}` })), token === 'é' ? 'invalid_header_value' : 'invalid_api_token')
  })
})
