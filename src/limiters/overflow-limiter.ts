/**
 * Overflow, as upstream capture does it: hot token:distinct_id keys go to the overflow topic
 * without a partition key, so one noisy user cannot pin a partition.
 * - OVERFLOW_ENABLED: a local GCRA per key, OVERFLOW_PER_SECOND_LIMIT events/s
 *   with bursts of OVERFLOW_BURST_LIMIT (upstream defaults 100 and 1000); events
 *   past it take lane 'overflow'.
 * - INGESTION_FORCE_OVERFLOW_BY_TOKEN_DISTINCT_ID: listed tokens or pairs always
 *   take lane 'overflow_forced' (person processing disabled downstream), whether
 *   or not OVERFLOW_ENABLED is set.
 *
 * Per process, as upstream is per pod: it steers load and never drops, so it
 * needs no shared state. Only events bound for the main analytics topic are
 * subject (as upstream's AnalyticsMain); historical batches never overflow.
 * Idle keys are forgotten every minute.
 */
import type { Metrics } from '../observability/metrics.js'
import { KEEP_OVERFLOW, KEEP_OVERFLOW_FORCED } from './decisions.js'
import type { Decision, LimitRequest } from '../pipeline/ports.js'
import { isEmpty, mayMatch, matches, type TokenKeys } from './token-keys.js'

/** Events prepare.ts routes to their own topics whatever the lane (keep in step with pickTopic). */
const OWN_TOPIC_EVENTS = new Set(['$$client_ingestion_warning', '$exception', '$$heatmap'])
const CLEANUP_EVERY_MS = 60_000

export interface OverflowOptions {
  readonly enabled: boolean
  readonly perSecond: number
  readonly burst: number
  readonly forced: TokenKeys
}

export interface OverflowLimiter {
  apply(request: LimitRequest, decisions: Decision[], nowMs: number): void
}

export const overflowActive = (options: OverflowOptions): boolean => options.enabled || !isEmpty(options.forced)

export function createOverflowLimiter(deps: { metrics: Pick<Metrics, 'overflowRerouted'> }, options: OverflowOptions): OverflowLimiter {
  const hotKeys = createGcra(options.perSecond, options.burst)
  return {
    apply(request, decisions, nowMs) {
      if (request.historical || request.route !== 'events') return
      const forcedToken = mayMatch(options.forced, request.token)
      if (!forcedToken && !options.enabled) return
      hotKeys.cleanup(nowMs)
      let forced = 0
      let hot = 0
      for (let index = 0; index < request.events.length; index++) {
        const event = request.events[index]!
        if (!decisions[index]!.keep || OWN_TOPIC_EVENTS.has(event.event)) continue
        if (forcedToken && matches(options.forced, request.token, event.distinctId)) {
          decisions[index] = KEEP_OVERFLOW_FORCED
          forced++
        } else if (options.enabled && !hotKeys.admit(request.token, event.distinctId, nowMs)) {
          decisions[index] = KEEP_OVERFLOW
          hot++
        }
      }
      if (forced > 0) deps.metrics.overflowRerouted.inc({ reason: 'forced' }, forced)
      if (hot > 0) deps.metrics.overflowRerouted.inc({ reason: 'hot_key' }, hot)
    },
  }
}

/**
 * Generic cell rate algorithm: per key, the theoretical arrival time (TAT) of
 * the next event. An event is admitted if it arrives no earlier than
 * TAT − burst × interval; admitting pushes TAT one interval on.
 */
function createGcra(perSecond: number, burst: number) {
  const intervalMs = 1000 / perSecond
  const toleranceMs = burst * intervalMs
  const tats = new Map<string, Map<string, number>>()
  let lastCleanup = 0
  return {
    admit(token: string, distinctId: string, nowMs: number): boolean {
      let perToken = tats.get(token)
      if (perToken === undefined) tats.set(token, (perToken = new Map()))
      const tat = Math.max(perToken.get(distinctId) ?? nowMs, nowMs)
      if (tat + intervalMs - nowMs > toleranceMs) return false
      perToken.set(distinctId, tat + intervalMs)
      return true
    },
    /** Forgets keys whose TAT has passed: they are back to a full burst anyway. */
    cleanup(nowMs: number): void {
      if (nowMs - lastCleanup < CLEANUP_EVERY_MS) return
      lastCleanup = nowMs
      for (const [token, perToken] of tats) {
        for (const [distinctId, tat] of perToken) if (tat <= nowMs) perToken.delete(distinctId)
        if (perToken.size === 0) tats.delete(token)
      }
    },
  }
}
