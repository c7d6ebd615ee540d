/**
 * Store: the shared state behind the limiters (de-duplication marks, token
 * buckets, billing quota sets). RedisStore (one Redis) and RedisClusterStore
 * (a Redis Cluster) share it across instances;
 * MemoryStore keeps it in this process; PrimaryStore keeps it in the cluster
 * primary so every worker of one instance sees the same state.
 *
 * Contract (store-contract.ts runs it against every implementation):
 * - each method is one round trip whatever the number of keys, and calls made
 *   in the same tick share a round trip (one Redis pipeline, one pipeline per
 *   cluster master in parallel, one IPC message);
 * - methods reject when the backing service is unreachable or slow (bounded by
 *   the response timeout); they never hang. Callers fail open.
 * - keys are given without REDIS_KEY_PREFIX; the store applies it.
 * - the keys of one takeTokens call share a hash tag (`{…}`, e.g. the token):
 *   on a Redis Cluster the take is one atomic script, so its keys must live on
 *   one slot, and a take whose keys do not is refused. hasKeys and setKeys
 *   keys need no tag: they are split by slot (and spread over the cluster).
 */
import type { HealthReport } from '../observability/health.js'
import type { Millis } from '../units.js'

export type StoreKind = 'redis' | 'memory' | 'primary'

/** Take `cost` tokens from the bucket `key` that refills at `perSecond` up to `burst`. */
export interface BucketTake {
  readonly key: string
  readonly cost: number
  readonly perSecond: number
  readonly burst: number
}

/** All buckets paid, or the first that could not pay and when it could. */
export type TakeVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly index: number; readonly retryAfter: Millis }

export interface Store {
  readonly kind: StoreKind
  /** Whether each key is live (set and not expired), in order. */
  hasKeys(keys: readonly string[]): Promise<boolean[]>
  /** Sets every key, live for `ttl` from now (overwriting an earlier expiry). */
  setKeys(keys: readonly string[], ttl: Millis): Promise<void>
  /**
   * Token buckets, all or nothing: if every bucket can pay, every bucket pays;
   * otherwise none does. A cost larger than the burst is allowed when the
   * bucket is full and leaves it in debt. `nowMs` is the caller's clock (epoch ms).
   */
  takeTokens(takes: readonly BucketTake[], nowMs: number): Promise<TakeVerdict>
  /** Members of the sorted set `key` whose score is ≥ `minScore` (ZRANGEBYSCORE min +inf). */
  sortedSetMembersFrom(key: string, minScore: number): Promise<string[]>
  /** Last observed state; never does I/O. */
  health(): HealthReport
  /** Releases connections and timers; idempotent. */
  close(): Promise<void>
}
