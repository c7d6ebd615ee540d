import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { keySlot } from '../store/key-slot.js'
import { rateKeys } from './rate-limiter.js'

describe('rateKeys', () => {
  it('puts the buckets of one token in one Redis Cluster slot, whatever braces the token or distinct id hold', () => {
    for (const token of ['phc_abc', '}starts-with-close', '{open', 'a}b{c', '{}', 'x'.repeat(64)]) {
      const slots = new Set([rateKeys.token(token), rateKeys.distinctId(token, 'u1'), rateKeys.distinctId(token, '{other}')].map(keySlot))
      assert.equal(slots.size, 1, `token ${JSON.stringify(token)}`)
    }
  })

  it('gives different tokens different keys and, usually, different slots', () => {
    const slots = new Set(Array.from({ length: 50 }, (_, i) => keySlot(rateKeys.token(`phc_${i}`))))
    assert.ok(slots.size > 40, `${slots.size} slots for 50 tokens`)
    assert.notEqual(rateKeys.token('a'), rateKeys.token('b'))
  })
})
