/**
 * The reply does not wait for the post-durability commit (the de-dup marks):
 * the events are already durable, so a slow or hung store must not hold the
 * 200. Over a real socket, with a limiter whose commit never settles.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { anEvent, postJson, TOKEN } from '../helpers/http-client.js'
import { KEEP } from '../../src/limiters/decisions.js'
import type { EventLimiter } from '../../src/pipeline/ports.js'

describe('the dedup commit', () => {
  let t: TestApp
  let commits = 0
  const hungCommit: EventLimiter = {
    async decide(request) {
      return { decisions: request.events.map(() => KEEP), quotaLimited: [], commit: () => { commits++; return new Promise<void>(() => {}) } }
    },
  }
  before(async () => {
    t = await startTestApp({ overrides: { limiter: hungCommit } })
  })
  after(() => t.close())

  for (const [route, body] of [
    ['/e/', anEvent({ event: 'not_held' })],
    ['/s/', { event: '$snapshot', distinct_id: 'd', api_key: TOKEN, properties: { $session_id: 's1', $window_id: 'w1', $snapshot_data: [{ type: 2, data: {} }] } }],
  ] as const) {
    it(`does not hold the 200 on ${route} while the commit hangs`, { timeout: 5_000 }, async () => {
      const before = commits
      const started = performance.now()
      const reply = await postJson(t.url, route, body)
      assert.equal(reply.status, 200, reply.text)
      assert.equal(commits, before + 1, 'the commit was started')
      assert.ok(performance.now() - started < 2_000, 'the reply waited for the commit')
    })
  }
})
