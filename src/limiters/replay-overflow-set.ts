/**
 * The replay overflow set, read from the store: sessions listed in the sorted
 * set `@posthog/capture-overflow/replay` (member = session id, score = until
 * when, epoch seconds — written by PostHog's replay consumer) send their
 * recordings to KAFKA_REPLAY_OVERFLOW_TOPIC.
 *
 * Requirements: the request path never waits on the store (isOverflowing reads
 * memory); the set is refreshed in the background like the quota sets; a
 * failed refresh keeps the last good set (fail open, counted and logged).
 */
import type { Millis } from '../units.js'
import type { Clock } from '../clock.js'
import { createMemoryReplayOverflow, type ReplayOverflow } from '../pipeline/recordings/replay-overflow.js'
import type { Store } from '../store/store.js'
import type { FailOpen } from './fail-open.js'

export const REPLAY_OVERFLOW_KEY = '@posthog/capture-overflow/replay'

export interface StoreReplayOverflow extends ReplayOverflow {
  refresh(): Promise<void>
  close(): Promise<void>
}

/** Loads the set once (awaited), then refreshes it every `refreshEvery`. */
export async function createStoreReplayOverflow(
  deps: { store: Store; clock: Clock; failOpen: FailOpen },
  options: { refreshEvery: Millis },
): Promise<StoreReplayOverflow> {
  const sessions = createMemoryReplayOverflow()
  const refresh = async (): Promise<void> => {
    try {
      sessions.replace(await deps.store.sortedSetMembersFrom(REPLAY_OVERFLOW_KEY, Math.floor(deps.clock().ms / 1000)))
    } catch (err) {
      deps.failOpen('replay_overflow', err)
    }
  }
  await refresh()
  const timer = setInterval(() => void refresh(), options.refreshEvery)
  timer.unref()
  return {
    isOverflowing: (sessionId) => sessions.isOverflowing(sessionId),
    refresh,
    close: async () => clearInterval(timer),
  }
}
