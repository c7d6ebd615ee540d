import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { createLogger } from '../observability/logger.js'
import { createMetrics } from '../observability/metrics.js'
import { ms } from '../units.js'
import { StoreCircuitOpen, withCircuitBreaker } from './circuit-breaker.js'
import type { Store } from './store.js'

/** A store whose calls fail while `down` is set, counting every call it receives. */
function flakyStore(): Store & { down: boolean; calls: number } {
  const store = {
    kind: 'redis' as const,
    down: false,
    calls: 0,
    async hasKeys(keys: readonly string[]) {
      store.calls++
      if (store.down) throw new Error('timed out')
      return keys.map(() => false)
    },
    async setKeys() {
      store.calls++
      if (store.down) throw new Error('timed out')
    },
    async takeTokens() {
      store.calls++
      if (store.down) throw new Error('timed out')
      return { allowed: true as const }
    },
    async sortedSetMembersFrom() {
      store.calls++
      if (store.down) throw new Error('timed out')
      return []
    },
    health: () => ({ healthy: true, detail: 'redis: connected' }),
    close: async () => {},
  }
  return store
}

const deps = () => ({ logger: createLogger({ level: 'silent' }), metrics: createMetrics({ defaultMetrics: false }) })

describe('withCircuitBreaker', () => {
  it('passes calls through while the store answers', async () => {
    const inner = flakyStore()
    const store = withCircuitBreaker(inner, deps(), { failuresToOpen: 3, probeEvery: ms(20) })
    assert.deepEqual(await store.hasKeys(['a', 'b']), [false, false])
    assert.equal(inner.calls, 1)
    await store.close()
  })

  it('refuses at once, without calling the store, after failuresToOpen failures in a row', async () => {
    const inner = flakyStore()
    const store = withCircuitBreaker(inner, deps(), { failuresToOpen: 3, probeEvery: ms(10_000) })
    inner.down = true
    for (let i = 0; i < 3; i++) await assert.rejects(store.setKeys(['a'], ms(1000)), /timed out/)
    const callsWhenOpened = inner.calls
    await assert.rejects(store.hasKeys(['a']), StoreCircuitOpen)
    await assert.rejects(store.takeTokens([], 0), StoreCircuitOpen)
    assert.equal(inner.calls, callsWhenOpened)
    assert.match(store.health().detail ?? '', /circuit open/)
    await store.close()
  })

  it('does not open on failures separated by successes', async () => {
    const inner = flakyStore()
    const store = withCircuitBreaker(inner, deps(), { failuresToOpen: 3, probeEvery: ms(10_000) })
    for (let i = 0; i < 5; i++) {
      inner.down = true
      await assert.rejects(store.hasKeys(['a']))
      await assert.rejects(store.hasKeys(['a']))
      inner.down = false
      await store.hasKeys(['a'])
    }
    await store.close()
  })

  it('closes again once a background probe answers', async () => {
    const inner = flakyStore()
    const d = deps()
    const store = withCircuitBreaker(inner, d, { failuresToOpen: 2, probeEvery: ms(20) })
    inner.down = true
    for (let i = 0; i < 2; i++) await assert.rejects(store.hasKeys(['a']))
    await assert.rejects(store.hasKeys(['a']), StoreCircuitOpen)
    inner.down = false
    await sleep(100)
    assert.deepEqual(await store.hasKeys(['a']), [false])
    assert.doesNotMatch(store.health().detail ?? '', /circuit open/)
    await store.close()
  })
})
