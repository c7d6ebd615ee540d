/**
 * Exactly-once for Capture V1: an event is identified by (token, uuid) — V1
 * requires the uuid and SDKs keep it on every attempt — so a retry of an event
 * that is already durable can be recognised exactly and answered `ok` without
 * writing it again, across attempts, workers (the primary's memory store) and
 * instances (Redis), for DEDUP_TTL_SECONDS.
 *
 * Protocol per request: claim() → write the unclaimed, not-yet-durable events
 * → commit() the ones that became durable → release().
 * - claim() asks the store which events are durable (one round trip however
 *   many events) and claims the others in this process: a second request for a
 *   uuid whose write is still in flight here answers `retry` instead of
 *   writing it a second time.
 * - commit() writes marks only for events the sink made durable, so a failed
 *   or timed-out write never turns the retry into a loss.
 * Limits, stated rather than hidden: two instances (or workers) that receive
 * the same uuid at the same moment both write it (no cross-process claim);
 * and a crash after the sink made an event durable but before its mark was
 * written (one store round trip) lets a retry write it again. Both are
 * at-least-once; PostHog's ingestion de-duplicates on uuid downstream.
 * Store failures fail open (counted): the event is written.
 */
import { hash } from 'node:crypto'
import type { Store } from '../store/store.js'
import type { Millis } from '../units.js'
import type { ClaimState, UuidClaim, UuidDedup } from '../pipeline/v1/exactly-once.js'
import type { FailOpen } from './fail-open.js'

export const UUID_DEDUP_KEY_PREFIX = 'dedup1:'

export type { ClaimState, UuidClaim, UuidDedup }

/** Length-prefixed so no token/uuid pair can collide with another; hashed to a short fixed-size key. */
export function uuidDedupKey(token: string, uuid: string): string {
  return UUID_DEDUP_KEY_PREFIX + hash('sha1', `${token.length}:${token}${uuid}`, 'base64url').slice(0, 22)
}

export function createUuidDedup(deps: { store: Store; failOpen: FailOpen }, options: { ttl: Millis }): UuidDedup {
  const inFlight = new Set<string>()
  return {
    async claim(token, uuids) {
      const states: ClaimState[] = new Array<ClaimState>(uuids.length)
      const keys: (string | undefined)[] = new Array<string | undefined>(uuids.length)
      const asked: string[] = []
      const positions: number[] = []
      for (let index = 0; index < uuids.length; index++) {
        const key = uuidDedupKey(token, uuids[index]!)
        if (inFlight.has(key)) {
          states[index] = 'in_flight'
          continue
        }
        inFlight.add(key)
        keys[index] = key
        states[index] = 'new'
        asked.push(key)
        positions.push(index)
      }
      if (asked.length > 0) {
        try {
          const live = await deps.store.hasKeys(asked)
          for (let at = 0; at < positions.length; at++) if (live[at] === true) states[positions[at]!] = 'durable'
        } catch (err) {
          deps.failOpen('dedup', err)
        }
      }
      return { states, keys }
    },
    async commit(claim, durable) {
      const marks: string[] = []
      for (let index = 0; index < claim.keys.length; index++) {
        const key = claim.keys[index]
        if (key !== undefined && claim.states[index] === 'new' && durable[index] === true) marks.push(key)
      }
      if (marks.length === 0) return
      try {
        await deps.store.setKeys(marks, options.ttl)
      } catch (err) {
        deps.failOpen('dedup_commit', err)
      }
    },
    release(claim) {
      for (const key of claim.keys) if (key !== undefined) inFlight.delete(key)
    },
  }
}

/** DEDUP_ENABLED=false: every event is new and nothing is marked (at-least-once). */
export const noUuidDedup: UuidDedup = {
  claim: async (_token, uuids) => ({ states: uuids.map(() => 'new' as const), keys: uuids.map(() => undefined) }),
  commit: async () => undefined,
  release: () => undefined,
}
