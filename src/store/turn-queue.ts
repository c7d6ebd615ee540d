/**
 * How both Redis batches (redis-batch.ts on one Redis, redis-cluster-batch.ts
 * on a Redis Cluster) hold the hasKeys and setKeys calls of one event-loop
 * turn until it ends: each call is queued with its keys and its promise's
 * settlers, setKeys calls grouped by ttl, and the batch's flush runs once,
 * after the turn, however many calls were queued. How a flush sends them is
 * each batch's own.
 *
 * Hot path: a queued call costs its promise (with its executor) and one
 * record, as it did when each batch queued its own; its keys are not copied
 * until the flush lays the turn's keys end to end.
 */
import type { Millis } from '../units.js'

/** A hasKeys or setKeys call waiting for the commands that carry its keys. */
export interface KeyCall<T> {
  readonly keys: readonly string[]
  resolve(value: T): void
  reject(err: Error): void
}

/** A function that runs `flush` once after the current turn, however often it is called during it. */
export function atEndOfTurn(flush: () => void): () => void {
  let scheduled = false
  const run = (): void => {
    scheduled = false
    flush()
  }
  return () => {
    if (scheduled) return
    scheduled = true
    setImmediate(run)
  }
}

/** Queues a call on `calls` (the turn's hasKeys, or its setKeys of one ttl) and makes sure the turn is flushed. */
export function queueKeyCall<T>(calls: KeyCall<T>[], keys: readonly string[], schedule: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    calls.push({ keys, resolve, reject })
    schedule()
  })
}

/** The turn's setKeys calls with `ttl` (whole ms, at least 1: the unit Redis takes), keyed by that. */
export function setCallsFor(sets: Map<number, KeyCall<void>[]>, ttl: Millis): KeyCall<void>[] {
  const ttlMs = Math.max(1, Math.round(ttl))
  let calls = sets.get(ttlMs)
  if (calls === undefined) sets.set(ttlMs, (calls = []))
  return calls
}

/** The keys of `calls` end to end, in order. */
export function keysOf(calls: readonly KeyCall<unknown>[]): string[] {
  const keys: string[] = []
  for (const call of calls) for (const key of call.keys) keys.push(key)
  return keys
}
