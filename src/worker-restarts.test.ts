import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ms } from './units.js'
import { createRestartTracker } from './worker-restarts.js'

describe('createRestartTracker', () => {
  const policy = { baseDelay: ms(250), maxDelay: ms(2000), maxCrashes: 5, window: ms(60_000) }

  it('doubles the delay with each recent crash, up to maxDelay', () => {
    let now = 0
    const tracker = createRestartTracker(policy, () => now)
    const delays = [1, 2, 3, 4, 5].map(() => {
      now += 100
      const decision = tracker.crashed()
      assert.equal(decision.restart, true)
      return decision.restart ? decision.delay : 0
    })
    assert.deepEqual(delays, [250, 500, 1000, 2000, 2000])
  })

  it('gives up after maxCrashes within the window', () => {
    let now = 0
    const tracker = createRestartTracker(policy, () => now)
    for (let i = 0; i < 5; i++) tracker.crashed()
    now += 1000
    assert.deepEqual(tracker.crashed(), { restart: false, recentCrashes: 6 })
  })

  it('forgets crashes older than the window', () => {
    let now = 0
    const tracker = createRestartTracker(policy, () => now)
    for (let i = 0; i < 5; i++) tracker.crashed()
    now += 61_000
    assert.deepEqual(tracker.crashed(), { restart: true, delay: 250, recentCrashes: 1 })
  })
})
