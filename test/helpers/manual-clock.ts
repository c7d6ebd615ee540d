/** A Clock that stands still until a test moves it. */
import type { Clock } from '../../src/clock.js'

export type ManualClock = Clock & { advance(byMs: number): void }

export function manualClock(startMs = Date.UTC(2025, 0, 1)): ManualClock {
  let now = startMs
  const clock = (() => ({ ms: now, iso: new Date(now).toISOString() })) as ManualClock
  clock.advance = (byMs) => void (now += byMs)
  return clock
}
