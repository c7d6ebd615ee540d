/**
 * Replay overflow: the sessions whose recordings go to the replay overflow
 * topic (KAFKA_REPLAY_OVERFLOW_TOPIC) instead of the main replay topic. Upstream
 * keeps them in Redis under `@posthog/capture-overflow/replay`, written by the
 * replay consumer when one session is too hot for its partition.
 *
 * Requirements: the request path never waits on Redis; an implementation backed
 * by a store refreshes an in-memory copy in the background and keeps the last
 * good copy when the store fails (fail open: unknown sessions are not
 * overflowing). Messages stay keyed by session id either way, so one session's
 * chunks stay in order on one partition of whichever topic it goes to.
 */
export interface ReplayOverflow {
  /** Reads memory only; never does I/O. */
  isOverflowing(sessionId: string): boolean
  close?(): Promise<void>
}

/** No session overflows: every recording goes to the main replay topic. */
export const noReplayOverflow: ReplayOverflow = { isOverflowing: () => false }

export interface MemoryReplayOverflow extends ReplayOverflow {
  /** Replaces the whole set, as a background refresh from a store would. */
  replace(sessionIds: Iterable<string>): void
}

/** An in-memory set: for tests, and as the cache a store-backed implementation refreshes. */
export function createMemoryReplayOverflow(sessionIds: Iterable<string> = []): MemoryReplayOverflow {
  let current = new Set(sessionIds)
  return {
    isOverflowing: (sessionId) => current.has(sessionId),
    replace: (next) => {
      current = new Set(next)
    },
  }
}
