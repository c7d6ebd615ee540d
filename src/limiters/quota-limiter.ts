/**
 * Quota limiter: drops the events of projects that billing has marked over
 * quota, in PostHog's layout: one Redis sorted set per
 * resource, `@posthog/quota-limits/<resource>`, member = token, score = end of
 * the limit in epoch seconds; a token is limited while its score ≥ now.
 *
 * Requirements: reflect billing updates within one refresh interval
 * (QUOTA_REFRESH_INTERVAL_MS); never call the store on the request path; if
 * the store fails, keep the last known sets (none at start: nobody limited).
 * Invariant: apply() never awaits; it reads the in-memory sets.
 *
 * Which resource an event counts against: pipeline/quota-resource.ts. A
 * scoped event is governed by its own quota only.
 */
import type { Metrics, QuotaResource } from '../observability/metrics.js'
import type { Clock } from '../clock.js'
import type { Store } from '../store/store.js'
import type { Millis } from '../units.js'
import { resourceFor } from '../pipeline/quota-resource.js'
import { DROP_OVER_QUOTA } from './decisions.js'
import type { FailOpen } from './fail-open.js'
import type { Decision, LimitRequest } from '../pipeline/ports.js'

export { resourceFor }

export const QUOTA_KEY_PREFIX = '@posthog/quota-limits/'
export const QUOTA_RESOURCES: readonly QuotaResource[] = ['events', 'recordings', 'exceptions', 'surveys', 'llm_events']

const NONE: readonly QuotaResource[] = []

export interface QuotaLimiter {
  /** First refresh (awaited, so a restarted instance starts with the current sets), then every interval. */
  start(): Promise<void>
  refresh(): Promise<void>
  /** Marks over-quota events dropped; returns the resources that dropped any, for `quota_limited`. */
  apply(request: LimitRequest, decisions: Decision[]): readonly QuotaResource[]
  close(): void
}


export function createQuotaLimiter(
  deps: { store: Store; clock: Clock; metrics: Pick<Metrics, 'quotaLimitedTokens'>; failOpen: FailOpen },
  options: { refreshEvery: Millis },
): QuotaLimiter {
  const limited = new Map<QuotaResource, ReadonlySet<string>>(QUOTA_RESOURCES.map((resource) => [resource, new Set<string>()]))
  let timer: NodeJS.Timeout | undefined

  const refreshOne = async (resource: QuotaResource, nowSeconds: number): Promise<void> => {
    try {
      const tokens = await deps.store.sortedSetMembersFrom(QUOTA_KEY_PREFIX + resource, nowSeconds)
      limited.set(resource, new Set(tokens))
      deps.metrics.quotaLimitedTokens.set({ resource }, tokens.length)
    } catch (err) {
      deps.failOpen('quota', err)
    }
  }

  const limitedFor = (token: string): readonly QuotaResource[] => {
    let found: QuotaResource[] | undefined
    for (const [resource, tokens] of limited) if (tokens.has(token)) (found ??= []).push(resource)
    return found ?? NONE
  }

  const limiter: QuotaLimiter = {
    async refresh() {
      const nowSeconds = Math.floor(deps.clock().ms / 1000)
      // Issued in one tick: one round trip for every resource.
      await Promise.all(QUOTA_RESOURCES.map((resource) => refreshOne(resource, nowSeconds)))
    },
    async start() {
      await limiter.refresh()
      timer = setInterval(() => void limiter.refresh(), options.refreshEvery)
      timer.unref()
    },
    apply(request, decisions) {
      const over = limitedFor(request.token)
      if (over.length === 0) return NONE
      const hit = new Set<QuotaResource>()
      for (let index = 0; index < request.events.length; index++) {
        if (!decisions[index]!.keep) continue
        const resource = resourceFor(request.events[index]!, request.route)
        if (!over.includes(resource)) continue
        decisions[index] = DROP_OVER_QUOTA
        hit.add(resource)
      }
      return [...hit]
    },
    close() {
      if (timer !== undefined) clearInterval(timer)
    },
  }
  return limiter
}
