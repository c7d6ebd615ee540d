/**
 * Fail open, visibly: when a store call fails the limiter lets the events
 * through, counts it (capture_limiter_fail_open_total{limiter}) and logs a
 * warning. Logs are throttled per limiter (the first failure at once, then at
 * most one line per interval with the count) so an outage cannot flood them.
 */
import type { Logger } from '../observability/logger.js'
import type { LimiterName, Metrics } from '../observability/metrics.js'
import type { Clock } from '../clock.js'

export type FailOpen = (limiter: LimiterName, err: unknown) => void

const MESSAGES: Record<LimiterName, string> = {
  quota: 'quota refresh failed; keeping the last known over-quota set',
  rate_limit: 'rate limit check failed; letting the request through',
  dedup: 'de-duplication check failed; keeping every event',
  dedup_commit: 'de-duplication marks not written; a retry of these events will be kept again',
  replay_overflow: 'replay overflow refresh failed; keeping the last known set of overflowing sessions',
}

const LOG_EVERY_MS = 10_000

export function createFailOpen(deps: { metrics: Pick<Metrics, 'limiterFailOpen'>; logger: Logger; clock: Clock }): FailOpen {
  const lastLog = new Map<LimiterName, number>()
  const suppressed = new Map<LimiterName, number>()
  return (limiter, err) => {
    deps.metrics.limiterFailOpen.inc({ limiter })
    const now = deps.clock().ms
    if (now - (lastLog.get(limiter) ?? -Infinity) < LOG_EVERY_MS) {
      suppressed.set(limiter, (suppressed.get(limiter) ?? 0) + 1)
      return
    }
    lastLog.set(limiter, now)
    const alsoFailed = suppressed.get(limiter) ?? 0
    suppressed.set(limiter, 0)
    deps.logger.warn({ limiter, err: err instanceof Error ? err.message : String(err), alsoFailedSinceLastLog: alsoFailed }, MESSAGES[limiter])
  }
}
