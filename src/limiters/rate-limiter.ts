/**
 * Rate limiter (429 Too Many Requests): token buckets per project token
 * (RATE_LIMIT_TOKEN_EVENTS_PER_SECOND / _BURST) and per token:distinct_id
 * (RATE_LIMIT_DISTINCT_ID_EVENTS_PER_SECOND / _BURST), each event costing one
 * token; 0 turns a limit off. A request is admitted whole or refused whole
 * (429 + Retry-After), and a refused request is not charged.
 *
 * Requirements: one atomic store call per request (a Lua script on Redis, on
 * one hash slot of a Redis Cluster), so limits hold across instances; a store failure admits the request (fail
 * open, counted). Counts the events left after the token dropper and quotas,
 * duplicates included (a retry storm spends the budget too).
 */
import type { BucketLimit, RateLimits } from '../config/limiter-config.js'
import type { RateLimitName } from '../observability/metrics.js'
import type { BucketTake, Store } from '../store/store.js'
import type { Millis } from '../units.js'
import type { FailOpen } from './fail-open.js'
import type { Decision, LimitRequest } from '../pipeline/ports.js'

export interface RateRefusal {
  readonly limit: RateLimitName
  readonly bucket: BucketLimit
  readonly retryAfter: Millis
  /** The distinct id whose bucket refused, for the message. */
  readonly distinctId?: string
}

export interface RateLimiter {
  /** Undefined when admitted (or when the store failed). Never rejects. */
  take(request: LimitRequest, decisions: readonly Decision[], nowMs: number): Promise<RateRefusal | undefined>
}

/**
 * Bucket keys. Every key of one request's take carries the same Redis Cluster
 * hash tag, `{token:<token>}`, so the take is one atomic script on one slot;
 * the tag is never empty (a `{}` would hash the whole key), whatever the token.
 */
export const rateKeys = {
  token: (token: string): string => `rate:{token:${token}}`,
  distinctId: (token: string, distinctId: string): string => `rate:{token:${token}}:distinct:${distinctId}`,
}

export const rateLimitsEnabled = (limits: RateLimits): boolean => limits.token !== undefined || limits.distinctId !== undefined

export function createRateLimiter(deps: { store: Store; failOpen: FailOpen }, limits: RateLimits): RateLimiter {
  return {
    async take(request, decisions, nowMs) {
      const { takes, names, distinctIds } = bucketsFor(request, decisions, limits)
      if (takes.length === 0) return undefined
      try {
        const verdict = await deps.store.takeTokens(takes, nowMs)
        if (verdict.allowed) return undefined
        const limit = names[verdict.index]!
        const take = takes[verdict.index]!
        return { limit, bucket: { perSecond: take.perSecond, burst: take.burst }, retryAfter: verdict.retryAfter, distinctId: distinctIds[verdict.index] }
      } catch (err) {
        deps.failOpen('rate_limit', err)
        return undefined
      }
    },
  }
}

function bucketsFor(request: LimitRequest, decisions: readonly Decision[], limits: RateLimits) {
  const perDistinctId = new Map<string, number>()
  let kept = 0
  for (let index = 0; index < request.events.length; index++) {
    if (!decisions[index]!.keep) continue
    kept++
    if (limits.distinctId === undefined) continue
    const distinctId = request.events[index]!.distinctId
    perDistinctId.set(distinctId, (perDistinctId.get(distinctId) ?? 0) + 1)
  }
  const takes: BucketTake[] = []
  const names: RateLimitName[] = []
  const distinctIds: (string | undefined)[] = []
  if (kept > 0 && limits.token !== undefined) {
    takes.push({ key: rateKeys.token(request.token), cost: kept, ...limits.token })
    names.push('token')
    distinctIds.push(undefined)
  }
  for (const [distinctId, cost] of perDistinctId) {
    takes.push({ key: rateKeys.distinctId(request.token, distinctId), cost, ...limits.distinctId! })
    names.push('distinct_id')
    distinctIds.push(distinctId)
  }
  return { takes, names, distinctIds }
}
