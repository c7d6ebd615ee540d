/**
 * ExpiringMap: a Map whose entries expire, kept in last-write order so the
 * oldest writes sit at the front. Expired entries read as absent at once and
 * are swept from the front a little at a time on every write (amortised O(1)).
 * Past `maxEntries` the oldest entries are evicted and reported, never silently.
 *
 * The front is read through one long-lived iterator. A fresh `map.keys()`
 * per write would start at the first slot of V8's table and step over every
 * entry deleted since the last rehash, which made a full map cost O(size)
 * per write (bench/expiring-map.ts, 100k keys: 0.01 M ops/s before, 0.6 M
 * with the live iterator, on a loaded 2-core machine).
 * A live iterator moves past deleted slots once, and still meets an entry
 * that was rewritten, at its new place near the back.
 *
 * Kept rather than lru-cache (with a TTL): bench/expiring-map.ts measures
 * the two within noise of each other (0.3-0.5 M ops/s each, 200k keys, 2 M
 * steps), and ours takes time from the caller (the store's injected clock)
 * and counts evictions of live entries apart from expiry.
 */
interface Entry<V> {
  readonly value: V
  readonly expiresAtMs: number
}

const SWEEP_PER_WRITE = 4

export class ExpiringMap<V> {
  private readonly entries = new Map<string, Entry<V>>()
  private cursor: Iterator<[string, Entry<V>]> = this.entries.entries()
  /** What the cursor last yielded and has not been dealt with; stale once its key was rewritten or deleted. */
  private front: [string, Entry<V>] | undefined

  constructor(
    private readonly maxEntries: number,
    private readonly onEvict: (count: number) => void,
  ) {}

  get size(): number {
    return this.entries.size
  }

  get(key: string, nowMs: number): V | undefined {
    const entry = this.entries.get(key)
    return entry !== undefined && entry.expiresAtMs > nowMs ? entry.value : undefined
  }

  set(key: string, value: V, expiresAtMs: number, nowMs: number): void {
    this.entries.delete(key)
    this.entries.set(key, { value, expiresAtMs })
    this.sweep(nowMs, SWEEP_PER_WRITE)
    this.evictOverflow()
  }

  /** Removes up to `budget` expired entries from the front; stops at the first live one. */
  sweep(nowMs: number, budget: number): void {
    for (let left = budget; left > 0; left--) {
      const oldest = this.oldest()
      if (oldest === undefined || oldest[1].expiresAtMs > nowMs) return
      this.entries.delete(oldest[0])
      this.front = undefined
    }
  }

  private evictOverflow(): void {
    let evicted = 0
    while (this.entries.size > this.maxEntries) {
      const oldest = this.oldest()
      if (oldest === undefined) break
      this.entries.delete(oldest[0])
      this.front = undefined
      evicted++
    }
    if (evicted > 0) this.onEvict(evicted)
  }

  /** The oldest live entry, advancing the cursor past what was deleted or rewritten since it was read. */
  private oldest(): [string, Entry<V>] | undefined {
    while (this.front === undefined || this.entries.get(this.front[0]) !== this.front[1]) {
      const next = this.cursor.next()
      if (next.done === true) {
        // A finished Map iterator stays finished: start again from the current front.
        if (this.entries.size === 0) return undefined
        this.cursor = this.entries.entries()
        this.front = undefined
        continue
      }
      this.front = next.value
    }
    return this.front
  }
}
