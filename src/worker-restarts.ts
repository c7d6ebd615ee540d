/**
 * The primary's restart policy for workers that crash after they served:
 * restart after a delay that doubles with each recent crash (from `baseDelay`
 * up to `maxDelay`), and give up once `maxCrashes` happened within `window`,
 * so a worker that crashes on every start cannot loop forever; the primary
 * then exits non-zero and the supervisor (systemd, Kubernetes) takes over.
 */
import type { Millis } from './units.js'

export interface RestartPolicy {
  readonly baseDelay: Millis
  readonly maxDelay: Millis
  readonly maxCrashes: number
  readonly window: Millis
}

export type RestartDecision = { readonly restart: true; readonly delay: Millis; readonly recentCrashes: number } | { readonly restart: false; readonly recentCrashes: number }

export function createRestartTracker(policy: RestartPolicy, now: () => number = Date.now): { crashed(): RestartDecision } {
  const crashes: number[] = []
  return {
    crashed() {
      const at = now()
      crashes.push(at)
      while (crashes.length > 0 && at - crashes[0]! > policy.window) crashes.shift()
      const recentCrashes = crashes.length
      if (recentCrashes > policy.maxCrashes) return { restart: false, recentCrashes }
      const delay = Math.min(policy.maxDelay, policy.baseDelay * 2 ** (recentCrashes - 1)) as Millis
      return { restart: true, delay, recentCrashes }
    },
  }
}
