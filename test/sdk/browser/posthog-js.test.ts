/**
 * posthog-js (array.full.js from the pinned npm package), unmodified, in
 * headless Debian Chromium, on a page whose api_host is capture (through the
 * transparent wire proxy, which records the bytes, sendBeacon's included).
 * Analytics only: session recording is off (capture has no /s yet), flags and
 * remote config are never asked of capture.
 *
 * Per variant: the automatic $pageview, custom events (one with a chosen uuid,
 * one backdated), identify with $set/$set_once, then navigation away so
 * $pageleave leaves by sendBeacon. Every event the SDK sent (before_send log)
 * must be in the sink exactly once with exactly the properties it sent.
 */
import assert from 'node:assert/strict'
import { after, describe } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { arrivalsFor, waitForArrivals, type Arrival } from '../harness/arrivals.js'
import { startCaptureTarget, type CaptureTarget } from '../harness/capture-target.js'
import { assertArrivals, type ExpectedEvent, type ScenarioContext } from '../harness/expect-events.js'
import { FIXED_TIMESTAMP } from '../harness/plan.js'
import { createResultLog, type SdkUnderTest } from '../harness/results.js'
import { newEventUuid, newRunId } from '../harness/run-id.js'
import { chromiumVersion, findChromium, npmPackageVersion } from '../harness/runtimes.js'
import { sharedSetup } from '../harness/shared-setup.js'
import { isGzipped } from '../harness/wire-facts.js'
import { isIngestPath, startWireProxy, type WireProxy, type WireRequest } from '../harness/wire-proxy.js'
import { openBrowserSession, type BrowserSession, type SentEvent } from './browser-session.js'
import { startPageServer, type PageServer } from './page-server.js'
import { BEACON_LOG_KEY, scenarioPage } from './scenario-page.js'

const SDK = 'posthog-js'
const TOKEN = 'phc_sdk_suite_js_0123456789'
const sut: SdkUnderTest = { sdk: SDK, version: '?', runtime: '?', target: '?' }
const log = createResultLog(sut)

interface Env {
  readonly target: CaptureTarget
  readonly proxy: WireProxy
  readonly pages: PageServer
  readonly chromium: string
}

const env = sharedSetup<Env>(
  async () => {
    const chromium = await findChromium()
    sut.version = await npmPackageVersion('posthog-js')
    sut.runtime = `${await chromiumVersion(chromium)} (Debian) via playwright-core ${await npmPackageVersion('playwright-core')}`
    const target = await startCaptureTarget()
    sut.target = target.kind
    const proxy = await startWireProxy(target.url)
    const pages = await startPageServer()
    return { target, proxy, pages, chromium }
  },
  async ({ target, proxy, pages }) => {
    await pages.close()
    await proxy.close()
    await target.close()
  },
)

interface Variant {
  readonly name: string
  readonly init: Record<string, unknown>
  readonly remoteConfig?: Record<string, unknown>
  /** Events path the SDK should use. */
  readonly endpoint: string
  readonly encoding: 'gzip' | 'plain'
}

/** What PostHog Cloud's remote config says about compression and the events endpoint. */
const CLOUD_LIKE_CONFIG = { supportedCompression: ['gzip', 'gzip-js'], analytics: { endpoint: '/i/v0/e/' }, hasFeatureFlags: false, sessionRecording: false, autocapture_opt_out: true, heatmaps: false, surveys: false }

const VARIANTS: readonly Variant[] = [
  { name: 'gzip via remote config (/i/v0/e/), pageleave beacon gzip', init: {}, remoteConfig: CLOUD_LIKE_CONFIG, endpoint: '/i/v0/e/', encoding: 'gzip' },
  { name: 'disable_compression (/i/v0/e/), pageleave beacon base64 form', init: { disable_compression: true }, remoteConfig: CLOUD_LIKE_CONFIG, endpoint: '/i/v0/e/', encoding: 'plain' },
  { name: 'no remote config: SDK defaults (/e/, gzip), pageleave beacon gzip', init: {}, endpoint: '/e/', encoding: 'gzip' },
]

interface BrowserRun {
  readonly runId: string
  readonly user: string
  readonly customUuid: string
  readonly backdatedUuid: string
  readonly sent: SentEvent[]
  readonly beacons: { url: string; type: string }[]
  readonly pageErrors: readonly string[]
  readonly requests: WireRequest[]
}

async function runVariant(e: Env, variant: Variant): Promise<BrowserRun> {
  const runId = newRunId()
  const user = `${runId}-user`
  const customUuid = newEventUuid()
  const backdatedUuid = newEventUuid()
  const firstRequest = e.proxy.requests.length
  e.pages.addPage(`/${runId}.html`, scenarioPage({ token: TOKEN, apiHost: e.proxy.url, runId, init: variant.init, remoteConfig: variant.remoteConfig }))
  const session: BrowserSession = await openBrowserSession({ chromiumPath: e.chromium, captureUrl: e.proxy.url })
  try {
    await session.page.goto(`${e.pages.url}/${runId}.html`)
    await session.page.waitForFunction('window.__phLoaded === true', undefined, { timeout: 15_000 })
    await session.page.evaluate(`(() => {
      posthog.capture('custom event', { plan: 'pro', n: 1, ratio: 0.5, flag: true, nothing: null, nested: { a: [1, 'two', { three: 3 }] }, unicode: 'héllo ✓ 😀' }, { uuid: ${JSON.stringify(customUuid)} });
      posthog.capture('backdated event', { seq: 2 }, { uuid: ${JSON.stringify(backdatedUuid)}, timestamp: new Date(${JSON.stringify(FIXED_TIMESTAMP)}) });
      posthog.identify(${JSON.stringify(user)}, { email: ${JSON.stringify(`${runId}@example.com`)} }, { first_seen: '2024-01-02' });
    })()`)
    // Leave only once capture has answered every request: navigation aborts an in-flight fetch and
    // posthog-js resends it by sendBeacon, a duplicate that would make this run depend on timing
    // (the sink may show an event before capture has replied, while it waits for fsync).
    const queued = await session.sentEvents()
    await waitForArrivals(e.target, runId, { until: (arrivals) => queued.every((s) => arrivals.some((a) => a.envelope.uuid === s.uuid)), timeoutMs: 20_000 })
    await waitUntilAnswered(e.proxy, firstRequest, 10_000)
    await session.page.goto(`${e.pages.url}/bye`)
    const sent = await session.sentEvents()
    const beacons = (await session.page.evaluate(`JSON.parse(localStorage.getItem(${JSON.stringify(BEACON_LOG_KEY)}) || '[]')`)) as { url: string; type: string }[]
    await waitForArrivals(e.target, runId, { until: (arrivals) => sent.every((s) => arrivals.some((a) => a.envelope.uuid === s.uuid)), timeoutMs: 20_000, settleMs: 300 })
    return { runId, user, customUuid, backdatedUuid, sent, beacons, pageErrors: [...session.pageErrors], requests: e.proxy.requests.slice(firstRequest) }
  } finally {
    await session.close()
  }
}

/** Waits until capture has answered every request the proxy relayed since `from` (never throws; the checks report). */
async function waitUntilAnswered(proxy: WireProxy, from: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (proxy.requests.slice(from).some((r) => r.status === 0) && Date.now() < deadline) await sleep(20)
  await sleep(100) // let the page take in the last reply
}

/** The SDK's own record of what it sent, as expectations: capture must forward each event exactly, once. */
function expectedFromSent(sent: readonly SentEvent[]): ExpectedEvent[] {
  return sent.map((s) => ({
    event: s.event,
    uuid: s.uuid,
    distinctId: String(s.properties.distinct_id),
    exactProperties: s.properties,
    timestamp: s.timestamp,
    ...(s.$set === undefined ? {} : { set: { placement: 'top' as const, value: s.$set } }),
    ...(s.$set_once === undefined ? {} : { setOnce: { placement: 'top' as const, value: s.$set_once } }),
  }))
}

/** The scenario's own claims about what posthog-js sends, independent of capture. */
function checkSent(run: BrowserRun, label: string): void {
  const names = run.sent.map((s) => s.event).sort()
  assert.deepEqual(names, ['$identify', '$pageleave', '$pageview', 'backdated event', 'custom event'], `${label} events the SDK sent`)
  const byName = (name: string): SentEvent => run.sent.find((s) => s.event === name)!
  assert.equal(byName('custom event').uuid, run.customUuid, `${label} custom event keeps the uuid given to capture()`)
  assert.equal(byName('backdated event').timestamp, FIXED_TIMESTAMP, `${label} backdated event keeps its timestamp`)
  const identify = byName('$identify')
  assert.equal(identify.properties.distinct_id, run.user, `${label} $identify distinct_id`)
  assert.equal(identify.properties.$anon_distinct_id, byName('$pageview').properties.distinct_id, `${label} $identify $anon_distinct_id is the anonymous id of the pageview`)
  assert.deepEqual(identify.$set, { email: `${run.runId}@example.com` }, `${label} $identify $set`)
  assert.equal(identify.$set_once?.first_seen, '2024-01-02', `${label} $identify $set_once.first_seen`)
  assert.equal(byName('$pageleave').properties.distinct_id, run.user, `${label} $pageleave distinct_id`)
}

function checkBrowserWire(run: BrowserRun, variant: Variant, label: string): string {
  const problems: string[] = []
  for (const r of run.requests) {
    if (r.path !== variant.endpoint) problems.push(`${r.method} ${r.path}: the SDK asked capture for something other than ${variant.endpoint}`)
    if (r.status !== 200) problems.push(`${r.method} ${r.path}: status ${r.status}, expected 200`)
  }
  const posts = run.requests.filter((r) => r.method === 'POST' && isIngestPath(r.path))
  const beacons = posts.filter((r) => r.headers['sec-fetch-mode'] === 'no-cors')
  const fetches = posts.filter((r) => r.headers['sec-fetch-mode'] === 'cors')
  const contentType = (r: WireRequest): string => String(r.headers['content-type'] ?? '').split(';')[0]!
  for (const r of fetches) {
    const ok = variant.encoding === 'gzip' ? isGzipped(r) && contentType(r) === 'text/plain' : !isGzipped(r) && contentType(r) === 'application/json'
    if (!ok) problems.push(`fetch #${r.seq}: ${contentType(r)}${isGzipped(r) ? ' gzip' : ''}, expected ${variant.encoding === 'gzip' ? 'gzip text/plain' : 'plain application/json'}`)
  }
  const leaveBeacon = beacons.find((r) => r.events.some((ev) => ev.event === '$pageleave'))
  if (leaveBeacon === undefined) problems.push('no sendBeacon request carried $pageleave')
  else if (variant.encoding === 'gzip' ? !(isGzipped(leaveBeacon) && contentType(leaveBeacon) === 'text/plain') : !(leaveBeacon.query.get('compression') === 'base64' && contentType(leaveBeacon) === 'application/x-www-form-urlencoded' && leaveBeacon.body.subarray(0, 5).toString() === 'data=')) {
    problems.push(`$pageleave beacon: ${contentType(leaveBeacon)} ?${leaveBeacon.query.toString()} body starts ${JSON.stringify(leaveBeacon.body.subarray(0, 5).toString('latin1'))}, expected ${variant.encoding === 'gzip' ? 'gzip text/plain' : 'base64 form data= with ?compression=base64'}`)
  }
  const beaconType = variant.encoding === 'gzip' ? 'text/plain' : 'application/x-www-form-urlencoded'
  if (!run.beacons.some((b) => new URL(b.url).pathname === variant.endpoint && b.type === beaconType)) problems.push(`the page saw no navigator.sendBeacon call to ${variant.endpoint} with a ${beaconType} Blob (saw ${JSON.stringify(run.beacons)})`)
  if (run.pageErrors.length > 0) problems.push(`page errors: ${run.pageErrors.join(' | ')}`)
  if (problems.length > 0) throw new Error(`${label} wire: ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`)
  const preflights = run.requests.filter((r) => r.method === 'OPTIONS').length
  return `${fetches.length}× fetch POST ${variant.endpoint} (${variant.encoding === 'gzip' ? 'gzip text/plain' : 'application/json'})${preflights ? ` + ${preflights} CORS preflight` : ''}; $pageleave by sendBeacon (${variant.encoding === 'gzip' ? 'gzip text/plain' : 'base64 form'}) → 200; ${run.sent.length} events`
}

/** One line per request, for failure messages: what the SDK sent, how, and what capture answered. */
function wireTrace(requests: readonly WireRequest[]): string {
  return requests
    .map((r) => `    #${r.seq} +${r.receivedAtMs - (requests[0]?.receivedAtMs ?? 0)}ms ${r.method} ${r.path}?${r.query.toString()} ${String(r.headers['sec-fetch-mode'] ?? '')} → ${r.status} ${r.events.map((ev) => `${String(ev.event)}:${String(ev.uuid)}`).join(' ')}`)
    .join('\n')
}

function contextFor(scenario: string, target: CaptureTarget, startedAtMs: number): ScenarioContext {
  return { sdk: SDK, version: sut.version, scenario, lib: 'web', token: TOKEN, topics: target.topics, startedAtMs }
}

describe('posthog-js in headless Chromium against capture', () => {
  after(() => env.dispose())

  for (const variant of VARIANTS) {
    log.scenario(`pageview, custom events, identify, pageleave — ${variant.name}`, async () => {
      const e = await env.get()
      const startedAtMs = Date.now()
      const run = await runVariant(e, variant)
      const label = `[${SDK} ${sut.version} / ${variant.name}]`
      checkSent(run, label)
      const arrivals: Arrival[] = await arrivalsFor(e.target, run.runId)
      try {
        assertArrivals(arrivals, expectedFromSent(run.sent), contextFor(variant.name, e.target, startedAtMs))
      } catch (err) {
        throw new Error(`${(err as Error).message}\n  wire trace:\n${wireTrace(run.requests)}`, { cause: err })
      }
      return checkBrowserWire(run, variant, label)
    }, { timeout: 90_000 })
  }
})
