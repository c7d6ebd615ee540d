/**
 * De-duplication: drops an event already written in the last DEDUP_TTL_SECONDS.
 * Key = token + distinct_id + event + timestamp, + uuid when the client sent
 * one, hashed to a short fixed-size Redis key.
 *
 * The timestamp in the key is the event time on the client's clock: when the
 * batch carries sent_at (and the event does not set $ignore_sent_at), the
 * pipeline shifted the event by (now − sent_at) to correct clock skew, which
 * differs on every retry of the same body; we undo that shift so a retry maps
 * to the same key. Without sent_at the pipeline's timestamp is used as is.
 *
 * Invariants:
 * - check() costs one store call however many events (hasKeys), commit() one
 *   (setKeys); neither is per event.
 * - a mark is written only by commit(), which the pipeline calls after the
 *   kept events are durable: a failed write never turns the retry into a
 *   "duplicate".
 * - two copies of one event in the same request: the first is kept.
 * - two concurrent requests with the same event both pass the check before
 *   either commits, so both are kept (at-least-once; downstream de-duplicates
 *   on uuid). We never drop both.
 * - a store failure keeps every event (fail open, counted).
 */
import { hash } from 'node:crypto'
import type { CaptureEvent } from '../pipeline/validate-event.js'
import type { Store } from '../store/store.js'
import type { Millis } from '../units.js'
import { DROP_DUPLICATE } from './decisions.js'
import type { FailOpen } from './fail-open.js'
import type { Decision, LimitRequest } from '../pipeline/ports.js'

export const DEDUP_KEY_PREFIX = 'dedup:'

export interface DedupCheck {
  /** Marks duplicates found in the store; returns the keys to commit once the kept events are durable. */
  settle(decisions: Decision[]): readonly string[]
}

export interface Dedup {
  /** Synchronously drops in-request copies, then asks the store about the rest. Never rejects. */
  check(request: LimitRequest, decisions: Decision[]): Promise<DedupCheck>
  /** Writes the marks. Never rejects. */
  commit(keys: readonly string[]): Promise<void>
}

/** The event time as the client stated it (see the module header). */
export function clientTimeMs(event: CaptureEvent, request: Pick<LimitRequest, 'nowMs' | 'sentAtMs'>): number {
  if (request.sentAtMs === undefined || request.nowMs === undefined || event.properties.$ignore_sent_at === true) return event.timestampMs
  return event.timestampMs - request.nowMs + request.sentAtMs
}

/** Length-prefixed fields, so no choice of distinct_id or event name can make two tuples collide. */
export function dedupKey(event: CaptureEvent, timeMs: number): string {
  const uuid = event.clientUuid ? event.uuid : ''
  const material = `${event.token.length}:${event.token}${event.distinctId.length}:${event.distinctId}${event.event.length}:${event.event}${timeMs}:${uuid}`
  return DEDUP_KEY_PREFIX + hash('sha1', material, 'base64url').slice(0, 22)
}

export function createDedup(deps: { store: Store; failOpen: FailOpen }, options: { ttl: Millis }): Dedup {
  return {
    async check(request, decisions) {
      const keys: string[] = []
      const owners: number[] = []
      const seen = new Set<string>()
      for (let index = 0; index < request.events.length; index++) {
        if (!decisions[index]!.keep) continue
        const event = request.events[index]!
        const key = dedupKey(event, clientTimeMs(event, request))
        if (seen.has(key)) {
          decisions[index] = DROP_DUPLICATE
          continue
        }
        seen.add(key)
        keys.push(key)
        owners.push(index)
      }
      let live: readonly boolean[] | undefined
      try {
        live = await deps.store.hasKeys(keys)
      } catch (err) {
        deps.failOpen('dedup', err)
      }
      return { settle: (current) => settle(current, keys, owners, live) }
    },
    async commit(keys) {
      try {
        await deps.store.setKeys(keys, options.ttl)
      } catch (err) {
        deps.failOpen('dedup_commit', err)
      }
    },
  }
}

function settle(decisions: Decision[], keys: readonly string[], owners: readonly number[], live: readonly boolean[] | undefined): string[] {
  const toCommit: string[] = []
  for (let position = 0; position < keys.length; position++) {
    const index = owners[position]!
    if (live?.[position] === true) decisions[index] = DROP_DUPLICATE
    else if (decisions[index]!.keep) toCommit.push(keys[position]!)
  }
  return toCommit
}
