/**
 * Token-bucket arithmetic shared by MemoryStore and mirrored line for line by
 * the Lua script in redis-scripts.ts (keep the two in step). A bucket holds at
 * most `burst` tokens and refills at `perSecond`; a missing bucket is full.
 * A cost above the burst is allowed from a full bucket and leaves it in debt
 * (negative), so one huge batch is possible but pays for itself in waiting.
 */
import { ms, type Millis } from '../units.js'

export interface BucketState {
  readonly tokens: number
  readonly updatedMs: number
}

/** Float slack so that a bucket refilled to 0.999999999 of a token can pay 1. */
const EPSILON = 1e-9

export function tokensAt(state: BucketState | undefined, perSecond: number, burst: number, nowMs: number): number {
  if (state === undefined) return burst
  const elapsedMs = Math.max(0, nowMs - state.updatedMs)
  return Math.min(burst, state.tokens + (elapsedMs * perSecond) / 1000)
}

export function canPay(tokens: number, cost: number, burst: number): boolean {
  return tokens + EPSILON >= Math.min(cost, burst)
}

/** How long until `canPay` holds. */
export function waitToPay(tokens: number, cost: number, burst: number, perSecond: number): Millis {
  return ms(Math.max(1, Math.ceil(((Math.min(cost, burst) - tokens) * 1000) / perSecond)))
}

/** How long until a bucket holding `tokens` is full again, i.e. indistinguishable from a missing one. */
export function timeToFull(tokens: number, burst: number, perSecond: number): Millis {
  return ms(Math.max(1, Math.ceil(((burst - tokens) * 1000) / perSecond)))
}
