import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createMemoryReplayOverflow } from './replay-overflow.js'

describe('replay overflow', () => {
  it('answers from its in-memory set, which a refresh replaces whole', () => {
    const overflow = createMemoryReplayOverflow(['s-1', 's-2'])
    assert.equal(overflow.isOverflowing('s-1'), true)
    assert.equal(overflow.isOverflowing('s-3'), false)
    overflow.replace(['s-3'])
    assert.equal(overflow.isOverflowing('s-1'), false)
    assert.equal(overflow.isOverflowing('s-3'), true)
  })
})
