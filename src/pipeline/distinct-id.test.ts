import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { extractDistinctId, stringifySorted, truncateChars } from './distinct-id.js'

describe('extractDistinctId', () => {
  it('prefers the top level, then $distinct_id, then properties', () => {
    assert.equal(extractDistinctId({ distinct_id: 'top', $distinct_id: 'alias' }, { distinct_id: 'prop' }), 'top')
    assert.equal(extractDistinctId({ $distinct_id: 'alias' }, { distinct_id: 'prop' }), 'alias')
    assert.equal(extractDistinctId({ distinct_id: null }, { distinct_id: 'prop' }), 'prop')
  })
  it('is missing when absent, null or empty', () => {
    assert.equal(extractDistinctId({}, {}), undefined)
    assert.equal(extractDistinctId({ distinct_id: null }, { distinct_id: null }), undefined)
    assert.equal(extractDistinctId({ distinct_id: '' }, {}), undefined)
  })
  it('stringifies non-strings as compact JSON with sorted keys', () => {
    assert.equal(extractDistinctId({ distinct_id: 23 }, {}), '23')
    assert.equal(extractDistinctId({ distinct_id: 23.4 }, {}), '23.4')
    assert.equal(extractDistinctId({ distinct_id: ['a', 'b'] }, {}), '["a","b"]')
    assert.equal(extractDistinctId({ distinct_id: { string: 'a', number: 3 } }, {}), '{"number":3,"string":"a"}')
    assert.equal(extractDistinctId({ distinct_id: true }, {}), 'true')
  })
  it('truncates to 200 characters and replaces NUL', () => {
    assert.equal(extractDistinctId({ distinct_id: 'x'.repeat(250) }, {}), 'x'.repeat(200))
    assert.equal(extractDistinctId({ distinct_id: 'a\u0000b' }, {}), 'a\uFFFDb')
  })
})

describe('stringifySorted', () => {
  it('sorts nested object keys', () => {
    assert.equal(stringifySorted({ b: { d: 1, c: [{ f: 1, e: 2 }] }, a: null }), '{"a":null,"b":{"c":[{"e":2,"f":1}],"d":1}}')
  })
})

describe('truncateChars', () => {
  it('counts a surrogate pair as one character', () => {
    assert.equal(truncateChars('😀😀😀', 2), '😀😀')
  })
})
