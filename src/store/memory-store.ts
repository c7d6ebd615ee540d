/**
 * MemoryStore: the Store kept in this process's memory, for a single process
 * without REDIS_URL (and, inside the cluster primary, for all workers through
 * PrimaryStore). Same contract as RedisStore; state is lost on restart.
 *
 * Memory is bounded: past `maxKeys` marks (or buckets) the oldest are evicted,
 * which weakens de-duplication for them, so every eviction is counted and
 * logged rather than silent.
 */
import type { Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'
import type { Clock } from '../clock.js'
import type { Millis } from '../units.js'
import { ExpiringMap } from './expiring-map.js'
import type { BucketTake, Store, TakeVerdict } from './store.js'
import { canPay, timeToFull, tokensAt, waitToPay, type BucketState } from './token-bucket.js'

export interface MemoryStore extends Store {
  /** ZADD, for tests and local tooling (billing writes quotas to Redis in production). */
  addToSortedSet(key: string, member: string, score: number): void
  /** ZREM. */
  removeFromSortedSet(key: string, member: string): void
}

export interface MemoryStoreDeps {
  readonly clock: Clock
  readonly logger: Logger
  /** Absent in the cluster primary, which exports no metrics of its own. */
  readonly metrics?: Pick<Metrics, 'storeEvictions'>
}

const EVICTION_LOG_EVERY_MS = 60_000

export function createMemoryStore(deps: MemoryStoreDeps, options: { maxKeys: number }): MemoryStore {
  let lastEvictionLog = -Infinity
  const onEvict = (count: number): void => {
    deps.metrics?.storeEvictions.inc({ store: 'memory' }, count)
    const now = deps.clock().ms
    if (now - lastEvictionLog < EVICTION_LOG_EVERY_MS) return
    lastEvictionLog = now
    deps.logger.warn({ maxKeys: options.maxKeys, evicted: count }, 'memory store full: evicting the oldest de-dup marks/buckets; raise MEMORY_STORE_MAX_KEYS or set REDIS_URL')
  }
  const marks = new ExpiringMap<true>(options.maxKeys, onEvict)
  const buckets = new ExpiringMap<BucketState>(options.maxKeys, onEvict)
  const sortedSets = new Map<string, Map<string, number>>()

  return {
    kind: 'memory',
    async hasKeys(keys) {
      const now = deps.clock().ms
      return keys.map((key) => marks.get(key, now) === true)
    },
    async setKeys(keys, ttl) {
      const now = deps.clock().ms
      for (const key of keys) marks.set(key, true, now + ttl, now)
    },
    async takeTokens(takes, nowMs) {
      return takeAll(buckets, takes, nowMs)
    },
    async sortedSetMembersFrom(key, minScore) {
      const members: string[] = []
      for (const [member, score] of sortedSets.get(key) ?? []) if (score >= minScore) members.push(member)
      return members
    },
    addToSortedSet(key, member, score) {
      let set = sortedSets.get(key)
      if (set === undefined) sortedSets.set(key, (set = new Map()))
      set.set(member, score)
    },
    removeFromSortedSet(key, member) {
      sortedSets.get(key)?.delete(member)
    },
    health: () => ({ healthy: true, detail: `memory: ${marks.size} marks, ${buckets.size} buckets` }),
    async close() {},
  }
}

function takeAll(buckets: ExpiringMap<BucketState>, takes: readonly BucketTake[], nowMs: number): TakeVerdict {
  const available: number[] = []
  const updated: number[] = []
  for (let index = 0; index < takes.length; index++) {
    const take = takes[index]!
    const state = buckets.get(take.key, nowMs)
    const tokens = tokensAt(state, take.perSecond, take.burst, nowMs)
    if (!canPay(tokens, take.cost, take.burst)) {
      return { allowed: false, index, retryAfter: waitToPay(tokens, take.cost, take.burst, take.perSecond) }
    }
    available.push(tokens)
    // Several instances' clocks differ a little: a bucket's time never moves back.
    updated.push(Math.max(nowMs, state?.updatedMs ?? nowMs))
  }
  for (let index = 0; index < takes.length; index++) {
    const take = takes[index]!
    const left = available[index]! - take.cost
    const ttl: Millis = timeToFull(left, take.burst, take.perSecond)
    buckets.set(take.key, { tokens: left, updatedMs: updated[index]! }, nowMs + ttl, nowMs)
  }
  return { allowed: true }
}
