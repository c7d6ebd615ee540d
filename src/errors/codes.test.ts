import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { codes } from './codes.js'
import { CaptureError, errorBody } from './capture-error.js'

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
const documented = new Map(
  [...doc.matchAll(/^\| `([a-z0-9_]+)` \| (\d{3}) \| ([a-z_]+) \|/gm)].map((m) => [m[1]!, { status: Number(m[2]), type: m[3]! }]),
)

describe('error catalogue', () => {
  it('documents every code in docs/errors.md with its status and type', () => {
    for (const [code, spec] of Object.entries(codes)) {
      assert.deepEqual(documented.get(code), { status: spec.status, type: spec.type }, `docs/errors.md row for ${code}`)
    }
  })

  it('documents no code that the catalogue lacks', () => {
    for (const code of documented.keys()) assert.ok(code in codes, `docs/errors.md lists unknown code ${code}`)
  })

  it('uses snake_case codes and 4xx/5xx statuses', () => {
    for (const [code, spec] of Object.entries(codes)) {
      assert.match(code, /^[a-z][a-z0-9_]*$/)
      assert.ok(spec.status >= 400 && spec.status < 600, code)
    }
  })

  it('renders the PostHog-style body with sizes for 413s', () => {
    const body = JSON.parse(errorBody(new CaptureError('body_too_large', { detail: 'too big', limit: 10, size: 11 })))
    assert.deepEqual(body, { type: 'validation_error', code: 'body_too_large', detail: 'too big', attr: null, limit_bytes: 10, size_bytes: 11 })
  })

  it('renders attr when an event field is at fault', () => {
    const body = JSON.parse(errorBody(new CaptureError('missing_event_name', { attr: '[2].event' })))
    assert.equal(body.attr, '[2].event')
    assert.equal(body.detail, codes.missing_event_name.message)
  })
})
