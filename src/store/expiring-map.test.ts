import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ExpiringMap } from './expiring-map.js'

const keys = (map: ExpiringMap<number>, candidates: readonly string[], nowMs: number): string[] =>
  candidates.filter((key) => map.get(key, nowMs) !== undefined)

describe('ExpiringMap', () => {
  it('evicts the oldest writes past its size and reports how many', () => {
    const evicted: number[] = []
    const map = new ExpiringMap<number>(2, (count) => evicted.push(count))
    for (const [i, key] of ['a', 'b', 'c'].entries()) map.set(key, i, 1000, 0)
    assert.deepEqual(keys(map, ['a', 'b', 'c'], 0), ['b', 'c'])
    assert.deepEqual(evicted, [1])
  })

  it('counts a rewrite as the newest write, so a key rewritten at the front is not evicted first', () => {
    const map = new ExpiringMap<number>(2, () => {})
    map.set('a', 1, 1000, 0)
    map.set('b', 2, 1000, 0)
    map.set('a', 3, 1000, 0)
    map.set('c', 4, 1000, 0)
    assert.deepEqual(keys(map, ['a', 'b', 'c'], 0), ['a', 'c'])
    assert.equal(map.get('a', 0), 3)
  })

  it('sweeps expired entries from the front on writes without counting them as evictions', () => {
    let evictions = 0
    const map = new ExpiringMap<number>(10, (count) => (evictions += count))
    for (let i = 0; i < 8; i++) map.set(`old${i}`, i, 100, 0)
    for (let i = 0; i < 2; i++) map.set(`new${i}`, i, 10_000, 200)
    assert.equal(map.size, 2)
    assert.equal(evictions, 0)
  })

  it('keeps evicting in write order after it was emptied and filled again', () => {
    const map = new ExpiringMap<number>(3, () => {})
    for (let i = 0; i < 3; i++) map.set(`a${i}`, i, 100, 0)
    map.sweep(200, 10)
    assert.equal(map.size, 0)
    for (let i = 0; i < 5; i++) map.set(`b${i}`, i, 10_000, 300)
    assert.deepEqual(keys(map, ['b0', 'b1', 'b2', 'b3', 'b4'], 300), ['b2', 'b3', 'b4'])
  })
})
