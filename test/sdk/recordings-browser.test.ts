/**
 * posthog-js session recording, end to end: array.full.js from the pinned npm
 * package (it bundles the rrweb recorder), unmodified, in headless Debian
 * Chromium, on a page served from another port whose api_host is capture.
 * Remote config is preloaded as PostHog's token bundle would ship it, with
 * `sessionRecording.endpoint = "/s/"`, so posthog-js records and sends its
 * gzip'd `$snapshot` batches to capture's `/s/`.
 *
 * The mouse moves and clicks (posthog-js waits for user activity before it
 * sends) and the page mutates its DOM; the test then waits until the sink holds
 * `$snapshot_items` for the page's session (key = session id) with rrweb's
 * meta (type 4) and full snapshot (type 2) events, the SDK's distinct_id and
 * window id, and checks that every `/s/` request was answered 200.
 * Uses the SDK suite's helpers (test/sdk/harness, test/sdk/browser).
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startCaptureTarget, type CaptureTarget, type SinkMessage } from './harness/capture-target.js'
import { newRunId } from './harness/run-id.js'
import { findChromium } from './harness/runtimes.js'
import { sharedSetup } from './harness/shared-setup.js'
import { openBrowserSession } from './browser/browser-session.js'
import { startPageServer, type PageServer } from './browser/page-server.js'
import { scenarioPage } from './browser/scenario-page.js'

const TOKEN = 'phc_sdk_suite_replay_0123456789'
const REPLAY_TOPIC = 'session_recording_snapshot_item_events'

/** PostHog Cloud-like remote config with recording on, as capture-browser.js recorded it. */
const RECORDING_CONFIG = {
  supportedCompression: ['gzip', 'gzip-js'],
  analytics: { endpoint: '/i/v0/e/' },
  hasFeatureFlags: false,
  autocapture_opt_out: true,
  heatmaps: false,
  surveys: false,
  sessionRecording: { endpoint: '/s/', consoleLogRecordingEnabled: true, recorderVersion: 'v2', sampleRate: null, minimumDurationMilliseconds: null },
}

interface Env {
  readonly target: CaptureTarget
  readonly pages: PageServer
  readonly chromium: string
}

const env = sharedSetup<Env>(
  async () => ({ chromium: await findChromium(), target: await startCaptureTarget(), pages: await startPageServer() }),
  async ({ target, pages }) => {
    await pages.close()
    await target.close()
  },
)

after(() => env.dispose())

interface SnapshotItemsData {
  readonly event: string
  readonly properties: { distinct_id: string; $session_id: string; $window_id: string; $snapshot_source: string; $lib: string; $snapshot_items: { type: number }[] }
}

const dataOf = (message: SinkMessage): SnapshotItemsData => JSON.parse(message.envelope.data as string) as SnapshotItemsData

async function waitForSession(target: CaptureTarget, sessionId: string, until: (messages: SinkMessage[]) => boolean): Promise<SinkMessage[]> {
  const deadline = Date.now() + 30_000
  let messages: SinkMessage[] = []
  while (Date.now() < deadline) {
    messages = (await target.messages()).filter((m) => m.topic === REPLAY_TOPIC && m.key === sessionId)
    if (until(messages)) break
    await sleep(200)
  }
  return messages
}

describe('posthog-js session recording in headless Chromium', () => {
  it('sends $snapshot data for the page\'s session to /s/, which lands as $snapshot_items keyed by session', async () => {
    const e = await env.get()
    const runId = newRunId()
    const init = { disable_session_recording: false, session_recording: { maskAllInputs: true }, request_batching: true }
    e.pages.addPage(`/${runId}.html`, scenarioPage({ token: TOKEN, apiHost: e.target.url, runId, init, remoteConfig: RECORDING_CONFIG }))
    const session = await openBrowserSession({ chromiumPath: e.chromium, captureUrl: e.target.url })
    try {
      await session.page.goto(`${e.pages.url}/${runId}.html`)
      await session.page.waitForFunction('window.__phLoaded === true', undefined, { timeout: 15_000 })
      await session.page.evaluate(`posthog.identify(${JSON.stringify(`${runId}-user`)})`)
      // posthog-js 1.449 holds the recording back until it sees user activity.
      await session.page.mouse.move(10, 10)
      await session.page.mouse.move(120, 80)
      await session.page.mouse.click(50, 50)
      for (let i = 0; i < 5; i++) {
        await session.page.evaluate(`document.body.appendChild(document.createElement('p')).textContent = 'replay mutation ${i}'`)
        await sleep(200)
      }
      const sessionId = (await session.page.evaluate('posthog.get_session_id()')) as string
      const windowId = (await session.page.evaluate('posthog.sessionManager && posthog.sessionManager.checkAndGetSessionAndWindowId(true).windowId')) as string | undefined
      assert.match(sessionId, /^[A-Za-z0-9-]{1,70}$/)
      const types = (messages: SinkMessage[]): Set<number> => new Set(messages.flatMap((m) => dataOf(m).properties.$snapshot_items.map((item) => item.type)))
      const messages = await waitForSession(e.target, sessionId, (found) => types(found).has(2) && types(found).has(4))

      assert.ok(messages.length > 0, `no $snapshot_items for session ${sessionId}; /s requests: ${JSON.stringify(session.requests.filter((r) => r.url.pathname.startsWith('/s')).map((r) => r.status))}`)
      assert.ok(types(messages).has(4), 'rrweb meta event (type 4) arrived')
      assert.ok(types(messages).has(2), 'rrweb full snapshot (type 2) arrived')
      for (const message of messages) {
        const data = dataOf(message)
        assert.equal(data.event, '$snapshot_items')
        assert.equal(message.envelope.event, '$snapshot_items')
        assert.equal(message.envelope.token, TOKEN)
        assert.equal(message.headers.session_id, sessionId)
        assert.equal(data.properties.$session_id, sessionId)
        assert.equal(data.properties.$snapshot_source, 'web')
        if (windowId !== undefined) assert.equal(data.properties.$window_id, windowId)
      }
      const replayRequests = session.requests.filter((r) => r.url.pathname === '/s/' && r.method === 'POST')
      assert.ok(replayRequests.length > 0, 'posthog-js posted to /s/')
      await sleep(300)
      assert.deepEqual(replayRequests.map((r) => r.status).filter((status) => status !== 0 && status !== 200), [], 'every answered /s/ request got 200')
      assert.deepEqual(session.pageErrors.filter((text) => !/favicon/.test(text)), [])
    } finally {
      await session.close()
    }
  })
})
