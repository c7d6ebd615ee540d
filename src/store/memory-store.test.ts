import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createLogger } from '../observability/logger.js'
import { createMetrics } from '../observability/metrics.js'
import { ms } from '../units.js'
import { createMemoryStore, type MemoryStore } from './memory-store.js'
import { storeContract } from './store-contract.js'
import { manualClock, type ManualClock } from '../../test/helpers/manual-clock.js'

const logger = createLogger({ level: 'silent' })

function memoryStore(maxKeys = 1000): { store: MemoryStore; clock: ManualClock; metrics: ReturnType<typeof createMetrics> } {
  const clock = manualClock()
  const metrics = createMetrics({ defaultMetrics: false })
  return { store: createMemoryStore({ clock, logger, metrics }, { maxKeys }), clock, metrics }
}

storeContract('MemoryStore', async () => {
  const { store, clock } = memoryStore()
  return {
    store,
    addToSortedSet: async (key, member, score) => store.addToSortedSet(key, member, score),
    elapse: async (duration) => clock.advance(duration),
    close: () => store.close(),
  }
})

describe('MemoryStore', () => {
  it('evicts the oldest marks past maxKeys and counts every eviction', async () => {
    const { store, metrics } = memoryStore(3)
    await store.setKeys(['a', 'b', 'c', 'd', 'e'], ms(60_000))
    assert.deepEqual(await store.hasKeys(['a', 'b', 'c', 'd', 'e']), [false, false, true, true, true])
    const evicted = await metrics.storeEvictions.get()
    assert.equal(evicted.values[0]?.value, 2)
  })

  it('sweeps expired marks as new ones are written, so memory follows the window', async () => {
    const { store, clock } = memoryStore()
    await store.setKeys(['a', 'b', 'c'], ms(100))
    clock.advance(200)
    await store.setKeys(['d'], ms(100))
    assert.match(store.health().detail ?? '', /^memory: 1 marks/)
  })
})
