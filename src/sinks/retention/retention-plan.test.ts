import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { bytes, ms } from '../../units.js'
import { planRetention, type SegmentInfo } from './retention-plan.js'

const NOW = 1_000_000_000
const aSegment = (name: string, overrides: Partial<SegmentInfo> = {}): SegmentInfo =>
  ({ name, size: 100, mtimeMs: NOW, sealed: true, forwarded: true, ...overrides })

describe('planRetention', () => {
  it('deletes nothing with both limits off (0)', () => {
    const plan = planRetention([aSegment('a', { mtimeMs: 0 }), aSegment('b')], { maxBytes: bytes(0), maxAgeMs: ms(0) }, NOW)
    assert.deepEqual(plan, { remove: [], keptBytes: 200, protectedBytes: 0 })
  })

  it('applies the age limit first, then removes the oldest by name until within the size limit', () => {
    const segments = [aSegment('c'), aSegment('a'), aSegment('b', { mtimeMs: NOW - 5000 }), aSegment('d')]
    const plan = planRetention(segments, { maxBytes: bytes(150), maxAgeMs: ms(1000) }, NOW)
    assert.deepEqual(plan.remove.map((s) => [s.name, s.reason]), [['b', 'age'], ['a', 'size'], ['c', 'size']])
    assert.equal(plan.keptBytes, 100)
  })

  it('passes over unsealed and unforwarded segments and reports them as protected', () => {
    const segments = [aSegment('a', { forwarded: false }), aSegment('b', { sealed: false }), aSegment('c')]
    const plan = planRetention(segments, { maxBytes: bytes(1), maxAgeMs: ms(0) }, NOW)
    assert.deepEqual(plan.remove.map((s) => s.name), ['c'])
    assert.deepEqual([plan.keptBytes, plan.protectedBytes], [200, 200])
  })
})
