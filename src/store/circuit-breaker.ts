/**
 * Circuit breaker around a Store: once the store has failed `failuresToOpen`
 * calls in a row (timeouts of a hung Redis, typically), every call is refused
 * at once instead of waiting out REDIS_RESPONSE_TIMEOUT_MS, so limiters fail
 * open without adding the timeout to every request. While open, one probe at
 * a time checks the store in the background (every `probeEvery`); the first
 * probe that answers closes the breaker.
 *
 * Invariants: an open breaker never sends a request's call to the store;
 * health() and close() pass through; state changes are logged once each and
 * shown in capture_store_breaker_open{store}.
 */
import type { HealthReport } from '../observability/health.js'
import type { Logger } from '../observability/logger.js'
import type { Metrics, StoreName } from '../observability/metrics.js'
import type { Millis } from '../units.js'
import type { Store } from './store.js'

export interface BreakerOptions {
  /** Consecutive failed calls that open the breaker. */
  readonly failuresToOpen: number
  /** Pause between background probes while open. */
  readonly probeEvery: Millis
}

export interface BreakerDeps {
  readonly logger: Logger
  readonly metrics: Pick<Metrics, 'storeBreakerOpen'>
}

export class StoreCircuitOpen extends Error {
  constructor(store: string) {
    super(`${store} circuit open after repeated failures; not calling it until a probe answers`)
    this.name = 'StoreCircuitOpen'
  }
}

/** A key no limiter writes: reading it is the cheapest call that proves the store answers. */
const PROBE_KEY = 'breaker-probe'

export function withCircuitBreaker(inner: Store, deps: BreakerDeps, options: BreakerOptions): Store {
  const name = inner.kind as StoreName
  let failures = 0
  let open = false
  let closed = false
  let probeTimer: NodeJS.Timeout | undefined
  deps.metrics.storeBreakerOpen.set({ store: name }, 0)

  const succeeded = (): void => {
    failures = 0
  }
  const failed = (err: unknown): void => {
    failures++
    if (!open && failures >= options.failuresToOpen) trip(err)
  }
  function trip(err: unknown): void {
    open = true
    deps.metrics.storeBreakerOpen.set({ store: name }, 1)
    deps.logger.warn({ store: name, failures, err: err instanceof Error ? err.message : String(err), probeEveryMs: options.probeEvery },
      'store circuit open: limiters fail open at once; probing in the background')
    scheduleProbe()
  }
  function scheduleProbe(): void {
    if (closed) return
    probeTimer = setTimeout(probe, options.probeEvery)
    probeTimer.unref()
  }
  function probe(): void {
    inner.hasKeys([PROBE_KEY]).then(
      () => {
        open = false
        failures = 0
        deps.metrics.storeBreakerOpen.set({ store: name }, 0)
        deps.logger.info({ store: name }, 'store circuit closed: the store answers again; limiters use it')
      },
      () => scheduleProbe(),
    )
  }
  function guard<T>(call: () => Promise<T>): Promise<T> {
    if (open) return Promise.reject(new StoreCircuitOpen(name))
    return call().then(
      (value) => {
        succeeded()
        return value
      },
      (err: unknown) => {
        failed(err)
        throw err
      },
    )
  }

  return {
    kind: inner.kind,
    hasKeys: (keys) => guard(() => inner.hasKeys(keys)),
    setKeys: (keys, ttl) => guard(() => inner.setKeys(keys, ttl)),
    takeTokens: (takes, nowMs) => guard(() => inner.takeTokens(takes, nowMs)),
    sortedSetMembersFrom: (key, minScore) => guard(() => inner.sortedSetMembersFrom(key, minScore)),
    health(): HealthReport {
      const report = inner.health()
      return open ? { ...report, detail: `${report.detail ?? name}; circuit open (limiters fail open at once)` } : report
    },
    async close() {
      closed = true
      clearTimeout(probeTimer)
      await inner.close()
    },
  }
}
