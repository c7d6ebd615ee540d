/**
 * The Store contract, run against every implementation: MemoryStore and
 * PrimaryStore in the unit tests, RedisStore against a real redis-server in
 * test/integration/redis-store.test.ts, RedisClusterStore against a real
 * Redis Cluster in test/cluster/redis-cluster-store.test.ts. Each test gets a fresh, empty store.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ms } from '../units.js'
import type { BucketTake, Store } from './store.js'

export interface StoreUnderTest {
  readonly store: Store
  /** ZADD, the way billing writes quota sets. */
  addToSortedSet(key: string, member: string, score: number): Promise<void>
  /** Lets `duration` pass for expiries (a fake clock, or real waiting for Redis). */
  elapse(duration: number): Promise<void>
  close(): Promise<void>
}

const T0 = Date.UTC(2025, 0, 1)
const bucket = (key: string, cost: number, perSecond = 10, burst = 10): BucketTake => ({ key, cost, perSecond, burst })

export function storeContract(name: string, make: () => Promise<StoreUnderTest>): void {
  const withStore = (run: (subject: StoreUnderTest) => Promise<void>) => async () => {
    const subject = await make()
    try {
      await run(subject)
    } finally {
      await subject.close()
    }
  }

  describe(`${name} satisfies Store`, () => {
    it('reports unknown keys as absent and set keys as present, in order', withStore(async ({ store }) => {
      assert.deepEqual(await store.hasKeys(['a', 'b', 'c']), [false, false, false])
      await store.setKeys(['a', 'c'], ms(60_000))
      assert.deepEqual(await store.hasKeys(['c', 'b', 'a']), [true, false, true])
    }))

    it('answers empty key lists without a call', withStore(async ({ store }) => {
      assert.deepEqual(await store.hasKeys([]), [])
      await store.setKeys([], ms(1000))
      assert.deepEqual(await store.takeTokens([], T0), { allowed: true })
    }))

    it('forgets keys once their ttl has passed', withStore(async ({ store, elapse }) => {
      await store.setKeys(['short'], ms(150))
      await store.setKeys(['long'], ms(60_000))
      await elapse(400)
      assert.deepEqual(await store.hasKeys(['short', 'long']), [false, true])
    }))

    it('extends a key when it is set again', withStore(async ({ store, elapse }) => {
      await store.setKeys(['k'], ms(300))
      await elapse(200)
      await store.setKeys(['k'], ms(60_000))
      await elapse(300)
      assert.deepEqual(await store.hasKeys(['k']), [true])
    }))

    it('lets a full bucket pay up to its burst, then refuses with the wait', withStore(async ({ store }) => {
      assert.deepEqual(await store.takeTokens([bucket('b', 10)], T0), { allowed: true })
      const refused = await store.takeTokens([bucket('b', 1)], T0)
      assert.deepEqual(refused, { allowed: false, index: 0, retryAfter: 100 })
    }))

    it('refills buckets at perSecond, up to the burst', withStore(async ({ store }) => {
      await store.takeTokens([bucket('b', 10)], T0)
      assert.equal((await store.takeTokens([bucket('b', 3)], T0 + 300)).allowed, true)
      assert.equal((await store.takeTokens([bucket('b', 1)], T0 + 300)).allowed, false)
      assert.equal((await store.takeTokens([bucket('b', 10)], T0 + 60_000)).allowed, true)
    }))

    // The keys of one take share a {hash tag}, as the contract asks (one slot on a Redis Cluster).
    it('takes all or nothing: when one bucket cannot pay, none is charged', withStore(async ({ store }) => {
      await store.takeTokens([bucket('{t}second', 10)], T0)
      const refused = await store.takeTokens([bucket('{t}first', 5), bucket('{t}second', 1)], T0)
      assert.deepEqual(refused, { allowed: false, index: 1, retryAfter: 100 })
      assert.equal((await store.takeTokens([bucket('{t}first', 10)], T0)).allowed, true)
    }))

    it('allows a cost above the burst from a full bucket and leaves it in debt', withStore(async ({ store }) => {
      assert.equal((await store.takeTokens([bucket('big', 25)], T0)).allowed, true)
      const refused = await store.takeTokens([bucket('big', 1)], T0)
      assert.deepEqual(refused, { allowed: false, index: 0, retryAfter: 1600 })
    }))

    it('never lets concurrent takes overspend a bucket', withStore(async ({ store }) => {
      const verdicts = await Promise.all(Array.from({ length: 25 }, () => store.takeTokens([bucket('hot', 1)], T0)))
      assert.equal(verdicts.filter((verdict) => verdict.allowed).length, 10)
    }))

    it('lists sorted-set members scored at or above the minimum', withStore(async ({ store, addToSortedSet }) => {
      await addToSortedSet('quota', 'past', 100)
      await addToSortedSet('quota', 'edge', 200)
      await addToSortedSet('quota', 'future', 300)
      assert.deepEqual((await store.sortedSetMembersFrom('quota', 200)).sort(), ['edge', 'future'])
      assert.deepEqual(await store.sortedSetMembersFrom('missing', 0), [])
    }))

    it('reports itself healthy without doing I/O', withStore(async ({ store }) => {
      assert.equal(store.health().healthy, true)
    }))
  })
}
