/**
 * ExpiringMap: a Map whose entries expire, kept in last-write order so the
 * oldest writes sit at the front. Expired entries read as absent at once and
 * are swept from the front a little at a time on every write (amortised O(1)).
 * Past `maxEntries` the oldest entries are evicted and reported, never silently.
 */
interface Entry<V> {
  readonly value: V
  readonly expiresAtMs: number
}

const SWEEP_PER_WRITE = 4

export class ExpiringMap<V> {
  private readonly entries = new Map<string, Entry<V>>()

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
    let left = budget
    for (const [key, entry] of this.entries) {
      if (left-- <= 0 || entry.expiresAtMs > nowMs) return
      this.entries.delete(key)
    }
  }

  private evictOverflow(): void {
    let evicted = 0
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next()
      if (oldest.done === true) break
      this.entries.delete(oldest.value)
      evicted++
    }
    if (evicted > 0) this.onEvict(evicted)
  }
}
