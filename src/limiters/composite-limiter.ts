/**
 * The EventLimiter the pipeline sees: every limiter in one decide() per
 * request, in the order token dropper → quota → rate limit → de-duplication →
 * overflow. Each stage only looks at events the earlier ones kept.
 *
 * Round trips per request, whatever the batch size: decide() makes at most one
 * (the rate-limit take and the de-dup check are issued in the same tick, so
 * Redis auto-pipelining or the primary's IPC batch carries both), commit() one.
 * Dropper, quota and overflow never touch the store on the request path.
 * Store failures fail open (see fail-open.ts); only a rate limit refuses a
 * request (CaptureError rate_limited → 429 with Retry-After).
 */
import { CaptureError } from '../errors/capture-error.js'
import type { LimiterConfig } from '../config/limiter-config.js'
import type { Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'
import type { Clock } from '../clock.js'
import type { Store } from '../store/store.js'
import { ms, seconds } from '../units.js'
import { createDedup } from './dedup.js'
import { KEEP } from './decisions.js'
import { createFailOpen } from './fail-open.js'
import type { Decision, EventLimiter } from '../pipeline/ports.js'
import { createOverflowLimiter, overflowActive } from './overflow-limiter.js'
import { createQuotaLimiter } from './quota-limiter.js'
import { createRateLimiter, rateLimitsEnabled, type RateRefusal } from './rate-limiter.js'
import { applyTokenDropper } from './token-dropper.js'
import { isEmpty, parseTokenKeys } from './token-keys.js'

export interface LimiterDeps {
  readonly store: Store
  readonly clock: Clock
  readonly metrics: Metrics
  readonly logger: Logger
}

/** Builds the limiters that the configuration turns on and loads the quota sets once before returning. */
export async function createLimiter(deps: LimiterDeps, config: LimiterConfig): Promise<EventLimiter> {
  const failOpen = createFailOpen(deps)
  const dropped = parseTokenKeys(config.dropEvents)
  const quota = createQuotaLimiter({ ...deps, failOpen }, { refreshEvery: config.quota.refreshEvery })
  const rate = rateLimitsEnabled(config.rate) ? createRateLimiter({ store: deps.store, failOpen }, config.rate) : undefined
  const dedup = config.dedup.enabled ? createDedup({ store: deps.store, failOpen }, { ttl: ms(config.dedup.ttl * 1000) }) : undefined
  const overflowOptions = { ...config.overflow, forced: parseTokenKeys(config.overflow.forcedKeys) }
  const overflow = overflowActive(overflowOptions) ? createOverflowLimiter(deps, overflowOptions) : undefined
  await quota.start()

  return {
    async decide(request) {
      const nowMs = request.nowMs ?? deps.clock().ms
      const decisions: Decision[] = new Array<Decision>(request.events.length).fill(KEEP)
      if (!isEmpty(dropped)) applyTokenDropper(dropped, request, decisions)
      const quotaLimited = quota.apply(request, decisions)
      // Both issued before either is awaited: one round trip. Neither rejects.
      const refusal = rate?.take(request, decisions, nowMs)
      const check = request.exactDedup === true ? undefined : dedup?.check(request, decisions)
      const refused = await refusal
      if (refused !== undefined) throw refuse(refused, decisions, deps.metrics)
      const marks = (await check)?.settle(decisions) ?? []
      overflow?.apply(request, decisions, nowMs)
      return { decisions, quotaLimited, commit: dedup !== undefined && marks.length > 0 ? () => dedup.commit(marks) : undefined }
    },
    async close() {
      quota.close()
    },
  }
}

const LIMIT_VARIABLES = {
  token: ['RATE_LIMIT_TOKEN_EVENTS_PER_SECOND', 'RATE_LIMIT_TOKEN_BURST'],
  distinct_id: ['RATE_LIMIT_DISTINCT_ID_EVENTS_PER_SECOND', 'RATE_LIMIT_DISTINCT_ID_BURST'],
} as const

function refuse(refusal: RateRefusal, decisions: readonly Decision[], metrics: Metrics): CaptureError {
  const refusedEvents = decisions.filter((decision) => decision.keep).length
  metrics.rateLimitedRequests.inc({ limit: refusal.limit })
  metrics.eventsDropped.inc({ cause: 'rate_limited' }, refusedEvents)
  const waitSeconds = Math.max(1, Math.ceil(refusal.retryAfter / 1000))
  const [rateName, burstName] = LIMIT_VARIABLES[refusal.limit]
  const who = refusal.limit === 'token' ? 'this project' : `distinct_id ${JSON.stringify(refusal.distinctId)}`
  const detail = `Rate limit ${rateName} exceeded for ${who}: ${refusal.bucket.perSecond} events/s with bursts of ${refusal.bucket.burst} (${burstName}). Retry after ${waitSeconds} s.`
  return new CaptureError('rate_limited', { detail, retryAfter: seconds(waitSeconds) })
}
