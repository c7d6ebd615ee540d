/**
 * Token dropper, as upstream's: DROP_EVENTS_BY_TOKEN_DISTINCT_ID lists tokens
 * or token:distinct_id pairs whose events are dropped after validation; the
 * client still gets 200 and the drops are counted (cause token_dropper).
 * Pure and in memory: no store, nothing to fail.
 */
import { DROP_TOKEN_DROPPER } from './decisions.js'
import type { Decision, LimitRequest } from '../pipeline/ports.js'
import { mayMatch, matches, type TokenKeys } from './token-keys.js'

export function applyTokenDropper(keys: TokenKeys, request: LimitRequest, decisions: Decision[]): void {
  if (!mayMatch(keys, request.token)) return
  for (let index = 0; index < request.events.length; index++) {
    const event = request.events[index]!
    if (matches(keys, request.token, event.distinctId)) decisions[index] = DROP_TOKEN_DROPPER
  }
}
