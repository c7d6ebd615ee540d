/**
 * The memory store's ExpiringMap against lru-cache with a TTL, on the memory
 * store's own workload: de-dup marks written once and read back (hits and
 * misses), with the store full so every write evicts. Decides whether our
 * 60-line map pays for itself (src/store/expiring-map.ts records the result).
 *
 *   npx tsx bench/expiring-map.ts [--keys N] [--ops N]
 *
 * lru-cache is not a dependency of capture: install it beside the repository
 * (`npm install --prefix /tmp/lru lru-cache`) and point LRU_CACHE_MODULE at
 * its entry (default: `lru-cache`, if installed here).
 */
import { parseArgs } from 'node:util'
import { ExpiringMap } from '../src/store/expiring-map.js'

interface Candidate {
  readonly name: string
  get(key: string, nowMs: number): boolean
  set(key: string, expiresAtMs: number, nowMs: number): void
}

type LruModule = { LRUCache: new (options: Record<string, unknown>) => { get(key: string): unknown; set(key: string, value: unknown, options?: { ttl?: number }): void } }

const { values } = parseArgs({ options: { keys: { type: 'string' }, ops: { type: 'string' } } })
const MAX_KEYS = Number(values.keys ?? 200_000)
const OPS = Number(values.ops ?? 2_000_000)
const TTL_MS = 86_400_000

function ours(): Candidate {
  const map = new ExpiringMap<true>(MAX_KEYS, () => {})
  return { name: 'ExpiringMap', get: (key, now) => map.get(key, now) === true, set: (key, expiresAt, now) => map.set(key, true, expiresAt, now) }
}

async function lruCache(): Promise<Candidate | undefined> {
  const specifier = process.env.LRU_CACHE_MODULE ?? 'lru-cache'
  const loaded = (await import(specifier).catch(() => undefined)) as LruModule | undefined
  if (loaded === undefined) return undefined
  let now = 0
  const cache = new loaded.LRUCache({ max: MAX_KEYS, ttl: TTL_MS, ttlAutopurge: false, perf: { now: () => now }, dispose: () => {} })
  return {
    name: 'lru-cache (ttl)',
    get: (key, nowMs) => ((now = nowMs), cache.get(key) === true),
    set: (key, expiresAtMs, nowMs) => ((now = nowMs), cache.set(key, true, { ttl: expiresAtMs - nowMs })),
  }
}

/** Per step: check a fresh key and an older one (a hit while it is kept), then mark the fresh key. */
function run(candidate: Candidate): { opsPerSecond: number; hits: number } {
  let hits = 0
  const started = performance.now()
  for (let i = 0; i < OPS; i++) {
    const now = 1_700_000_000_000 + i
    const key = `tok:d${i}:e:${i % 977}`
    if (candidate.get(key, now)) hits++
    if (candidate.get(`tok:d${i >> 1}:e:${(i >> 1) % 977}`, now)) hits++
    candidate.set(key, now + TTL_MS, now)
  }
  const seconds = (performance.now() - started) / 1000
  return { opsPerSecond: Math.round((OPS * 3) / seconds), hits }
}

const candidates = [ours(), await lruCache()].filter((c): c is Candidate => c !== undefined)
if (candidates.length === 1) console.log('lru-cache not found (set LRU_CACHE_MODULE); measuring ExpiringMap alone')
for (let round = 0; round < 3; round++) {
  for (const candidate of candidates) {
    const { opsPerSecond, hits } = run(candidate)
    console.log(`round ${round + 1}  ${candidate.name.padEnd(16)} ${(opsPerSecond / 1e6).toFixed(2)} M ops/s  (${hits} hits)`)
  }
}
