import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createLogger } from '../observability/logger.js'
import { createMemoryStore } from '../store/memory-store.js'
import type { Store } from '../store/store.js'
import { ms } from '../units.js'
import { manualClock } from '../../test/helpers/manual-clock.js'
import { createUuidDedup, uuidDedupKey } from './uuid-dedup.js'

const U1 = '01a215da-846f-7167-a3df-fb413024edb1'
const U2 = '01a215da-846f-7167-a3df-fb413024edb2'

function setup(store?: Store) {
  const clock = manualClock()
  const failures: string[] = []
  const backing = store ?? createMemoryStore({ clock, logger: createLogger({ level: 'silent' }) }, { maxKeys: 10_000 })
  return { clock, failures, dedup: createUuidDedup({ store: backing, failOpen: (limiter) => failures.push(limiter) }, { ttl: ms(60_000) }) }
}

describe('uuid dedup', () => {
  it('reports an event durable only after its commit, for the same token', async () => {
    const { dedup } = setup()
    const first = await dedup.claim('phc_a', [U1, U2])
    assert.deepEqual(first.states, ['new', 'new'])
    await dedup.commit(first, [true, false])
    dedup.release(first)
    assert.deepEqual((await dedup.claim('phc_a', [U1, U2])).states, ['durable', 'new'])
    assert.deepEqual((await dedup.claim('phc_b', [U1])).states, ['new'])
  })

  it('answers in_flight for a uuid another request of this process holds, until it is released', async () => {
    const { dedup } = setup()
    const holder = await dedup.claim('phc_a', [U1])
    assert.deepEqual((await dedup.claim('phc_a', [U1])).states, ['in_flight'])
    dedup.release(holder)
    assert.deepEqual((await dedup.claim('phc_a', [U1])).states, ['new'])
  })

  it('forgets marks after the ttl', async () => {
    const { dedup, clock } = setup()
    const claim = await dedup.claim('phc_a', [U1])
    await dedup.commit(claim, [true])
    dedup.release(claim)
    clock.advance(60_001)
    assert.deepEqual((await dedup.claim('phc_a', [U1])).states, ['new'])
  })

  it('fails open when the store fails: every event is new, counted', async () => {
    const broken = { hasKeys: () => Promise.reject(new Error('down')), setKeys: () => Promise.reject(new Error('down')) } as unknown as Store
    const { dedup, failures } = setup(broken)
    const claim = await dedup.claim('phc_a', [U1])
    assert.deepEqual(claim.states, ['new'])
    await dedup.commit(claim, [true])
    assert.deepEqual(failures, ['dedup', 'dedup_commit'])
  })

  it('keys by length-prefixed token and uuid, so no pair collides with another', () => {
    assert.notEqual(uuidDedupKey('ab', `c${U1}`), uuidDedupKey('abc', U1))
    assert.match(uuidDedupKey('phc_a', U1), /^dedup1:[A-Za-z0-9_-]{22}$/)
  })
})
