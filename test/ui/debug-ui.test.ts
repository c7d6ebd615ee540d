/**
 * The debug UI in a real browser: headless Chromium against a real capture
 * process with two node:cluster workers and DEBUG_UI_TOKEN set. Events are
 * sent with the posthog-node SDK and plain HTTP; the debugger must show them
 * (from both workers), expand, filter, pause, mask tokens and show refusals;
 * the operations page must chart the traffic. Every page, asset and stream
 * refuses without the token. Screenshots go to artifacts/screenshots/.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { PostHog } from 'posthog-node'
import { findChromium } from '../sdk/harness/runtimes.js'
import { openChromium, type Chromium } from '../helpers/chromium.js'
import { post, request } from '../helpers/http-client.js'
import { exitOf, spawnServer, type ServerProcess } from '../helpers/server-process.js'

const DEBUG_TOKEN = 'ui-test-debug-token-7f3a9c2e51'
const TOKEN = 'phc_debug_ui_browser_test_token'
const DUP_UUID = '0192e6a1-7c3b-7d2e-9f10-3a4b5c6d7e8f'
const SCREENSHOTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../artifacts/screenshots')

/** Polls `check` until it returns true; fails with `what` after `ms`. */
async function eventually(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(100)
  }
  assert.fail(`not within ${ms} ms: ${what}`)
}

const anEvent = (event: string, distinctId: string, properties: Record<string, unknown> = {}): string =>
  JSON.stringify({ api_key: TOKEN, event, distinct_id: distinctId, properties })

/** Event rows of the debugger whose event name is `event`. */
const rowsOf = (page: Page, event: string) => page.locator('#rows li[data-kind="event"]').filter({ has: page.locator('.event-name', { hasText: new RegExp(`^${event}$`) }) })

describe('debug UI in Chromium, two workers', () => {
  let server: ServerProcess
  let browser: Chromium
  let dataDir: string
  /** Errors the refused page itself caused (its 401, Chromium's favicon request) come before this index. */
  let errorsFromHere = 0

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'capture-debug-ui-'))
    await mkdir(SCREENSHOTS, { recursive: true })
    server = await spawnServer({ dataDir, env: { WORKERS: '2', DEBUG_UI_TOKEN: DEBUG_TOKEN, DEBUG_UI_EVENTS_PER_SECOND: '40' } })
    browser = await openChromium({ chromiumPath: await findChromium() })
  })

  after(async () => {
    await browser?.close()
    if (server !== undefined) {
      server.child.kill('SIGTERM')
      await exitOf(server, 15_000)
    }
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  })

  it('refuses the page, an asset, the stream and the ops snapshot without the token (401 JSON, no framing)', async () => {
    const paths = ['/_debug/', '/_debug', '/_debug/assets/debug.js', '/_debug/events', '/_debug/ops.json', '/_debug/assets/nothing.js']
    const credentials = [{}, { authorization: 'Bearer not-the-token-at-all' }, { cookie: 'capture_debug=forged' }, { authorization: `Bearer ${DEBUG_TOKEN}x` }]
    for (const p of paths) {
      for (const headers of credentials) {
        const reply = await request(server.url, p, { headers })
        assert.equal(reply.status, 401, `${p} ${JSON.stringify(headers)}`)
        assert.equal(JSON.parse(reply.text).code, 'debug_unauthorized')
        assert.equal(JSON.parse(reply.text).type, 'authentication_error')
        assert.equal(reply.headers['x-frame-options'], 'DENY')
        assert.match(String(reply.headers['content-security-policy']), /frame-ancestors 'none'/)
        assert.equal(reply.headers['access-control-allow-origin'], undefined)
      }
    }
    const wrongLink = await request(server.url, '/_debug/?token=guess-guess-guess-guess')
    assert.equal(wrongLink.status, 401)
    assert.equal(wrongLink.headers['set-cookie'], undefined)
    const inBrowser = await browser.page.goto(`${server.url}/_debug/`)
    assert.equal(inBrowser?.status(), 401)
    assert.match(await browser.page.locator('body').innerText(), /debug_unauthorized/)
    await sleep(500)
    errorsFromHere = browser.pageErrors.length
  })

  it('logs in through ?token=, which leaves the address bar, with an HttpOnly SameSite=Strict cookie', async () => {
    const { page, context } = browser
    await page.goto(`${server.url}/_debug/?token=${DEBUG_TOKEN}`)
    assert.equal(page.url(), `${server.url}/_debug/`)
    assert.equal(await page.evaluate('document.cookie'), '')
    const cookie = (await context.cookies(`${server.url}/_debug/`)).find((c) => c.name === 'capture_debug')
    assert.ok(cookie)
    assert.equal(cookie.httpOnly, true)
    assert.equal(cookie.sameSite, 'Strict')
    assert.equal(cookie.value.includes(DEBUG_TOKEN), false)
    await eventually('the stream is live', async () => (await page.locator('#connection').innerText()) === 'live')
    const asset = await page.request.get(`${server.url}/_debug/assets/debug.css`)
    assert.equal(asset.status(), 200)
  })

  it('shows events sent with posthog-node, with the fields the SDK sent and the token masked', async () => {
    const { page } = browser
    const client = new PostHog(TOKEN, { host: server.url, flushAt: 1, flushInterval: 0, fetchRetryCount: 0 })
    for (let i = 0; i < 3; i++) client.capture({ distinctId: `sdk-user-${i}`, event: 'sdk_signup', properties: { plan: 'pro', n: i } })
    await client.shutdown()
    await eventually('three sdk_signup rows', async () => (await rowsOf(page, 'sdk_signup').count()) === 3)
    const ids = await rowsOf(page, 'sdk_signup').locator('.distinct-id').allInnerTexts()
    assert.deepEqual([...ids].sort(), ['sdk-user-0', 'sdk-user-1', 'sdk-user-2'])
    for (const token of await rowsOf(page, 'sdk_signup').locator('.token').allInnerTexts()) {
      assert.notEqual(token, TOKEN)
      assert.equal(token, 'phc_de…oken')
    }
    assert.equal((await page.locator('#rows').innerText()).includes(TOKEN), false)
  })

  it('lists the newest event first', async () => {
    const { page } = browser
    await post(server.url, '/i/v0/e/', anEvent('order_first', 'order-user'))
    await eventually('order_first shown', async () => (await rowsOf(page, 'order_first').count()) === 1)
    await post(server.url, '/i/v0/e/', anEvent('order_second', 'order-user'))
    await eventually('order_second on top', async () => (await page.locator('#rows li .event-name').first().innerText()) === 'order_second')
  })

  it('shows the events of both workers, whichever worker holds the stream', async () => {
    const { page } = browser
    // A new connection per request: the cluster hands connections to its workers in turn.
    for (let i = 0; i < 16; i++) await post(server.url, '/i/v0/e/', anEvent('spread', `spread-${i}`))
    await eventually('16 spread rows', async () => (await rowsOf(page, 'spread').count()) === 16)
    const workers = new Set(await rowsOf(page, 'spread').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-worker'))))
    assert.equal(workers.size, 2, `workers seen: ${[...workers].join(', ')}`)
    // Newest first across workers too, although each worker's records arrive in its own batches.
    const times = await page.locator('#rows li').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-at'))))
    assert.deepEqual(times, [...times].sort((a, b) => b - a))
  })

  it('expands a row to the message as written to the sink: topic, key, headers and data pretty-printed', async () => {
    const { page } = browser
    await post(server.url, '/i/v0/e/', anEvent('expand_me', 'expand-user', { plan: 'enterprise', seats: 12 }))
    const row = rowsOf(page, 'expand_me')
    await eventually('expand_me shown', async () => (await row.count()) === 1)
    await row.locator('.summary').click()
    const details = row.locator('.details')
    assert.match(await details.locator('table.fields').innerText(), /topic\s+events_plugin_ingestion/)
    assert.match(await details.locator('table.fields').innerText(), /key\s+phc_de…oken:expand-user/)
    const headers = await details.locator('table.headers').innerText()
    assert.match(headers, /event\s+expand_me/)
    assert.match(headers, /distinct_id\s+expand-user/)
    assert.match(headers, /uuid\s+[0-9a-f-]{36}/)
    const data = JSON.parse(await details.locator('pre.data').innerText()) as { event: string; properties: Record<string, unknown> }
    assert.equal(data.event, 'expand_me')
    assert.equal(data.properties.plan, 'enterprise')
    assert.equal(data.properties.seats, 12)
    assert.match(await details.locator('pre.data').innerText(), /\n {2}"event": "expand_me"/)
    const envelope = JSON.parse(await details.locator('pre.envelope').innerText()) as Record<string, unknown>
    assert.equal(envelope.distinct_id, 'expand-user')
    assert.equal(envelope.token, 'phc_de…oken')
  })

  it('shows refused requests with their error code, status and reason', async () => {
    const { page } = browser
    await post(server.url, '/i/v0/e/', '{"event": "broken', { 'content-type': 'application/json' })
    await post(server.url, '/batch/', JSON.stringify({ api_key: TOKEN, batch: [{ event: 'x'.repeat(201), distinct_id: 'u' }] }))
    const invalidJson = page.locator('#rows li[data-kind="refused"][data-code="invalid_json"]')
    await eventually('an invalid_json refusal', async () => (await invalidJson.count()) >= 1)
    assert.match(await invalidJson.first().locator('.summary').innerText(), /400[\s\S]*invalid_json[\s\S]*POST \/i\/v0\/e\//)
    const tooLong = page.locator('#rows li[data-kind="refused"][data-code="event_name_too_long"]')
    await eventually('an event_name_too_long refusal', async () => (await tooLong.count()) >= 1)
    assert.match(await tooLong.first().locator('.reason').innerText(), /200/)
    await rowsOf(page, 'expand_me').locator('.summary').click()
    await rowsOf(page, 'expand_me').locator('.summary').click()
    await page.setViewportSize({ width: 1280, height: 1500 })
    await page.screenshot({ path: path.join(SCREENSHOTS, 'debug-events.png'), fullPage: false })
    await page.setViewportSize({ width: 1280, height: 900 })
  })

  it('filters on the server by event name and distinct_id; an exact token filter reveals that token only', async () => {
    const { page } = browser
    await page.fill('input[name="event"]', 'keep_me')
    await page.click('#apply')
    await eventually('the filtered stream is live', async () => (await page.locator('#connection').innerText()) === 'live')
    await post(server.url, '/i/v0/e/', anEvent('drop_me', 'f-user'))
    await post(server.url, '/i/v0/e/', anEvent('keep_me', 'f-user'))
    await eventually('keep_me shown', async () => (await rowsOf(page, 'keep_me').count()) === 1)
    await sleep(600)
    assert.equal(await rowsOf(page, 'drop_me').count(), 0)
    assert.equal(await page.locator('#rows li').count(), 1)

    await page.fill('input[name="event"]', '')
    await page.fill('input[name="distinct_id"]', 'only-this-user')
    await page.click('#apply')
    await eventually('the distinct_id stream is live', async () => (await page.locator('#connection').innerText()) === 'live')
    await post(server.url, '/i/v0/e/', anEvent('by_user', 'someone-else'))
    await post(server.url, '/i/v0/e/', anEvent('by_user', 'only-this-user'))
    await eventually('the one user shown', async () => (await rowsOf(page, 'by_user').count()) === 1)
    await sleep(600)
    assert.deepEqual(await rowsOf(page, 'by_user').locator('.distinct-id').allInnerTexts(), ['only-this-user'])

    await page.fill('input[name="distinct_id"]', '')
    await page.fill('input[name="token"]', TOKEN)
    await page.click('#apply')
    await eventually('the token stream is live', async () => (await page.locator('#connection').innerText()) === 'live')
    await post(server.url, '/i/v0/e/', JSON.stringify({ api_key: 'phc_another_project_token', event: 'by_token', distinct_id: 'u' }))
    await post(server.url, '/i/v0/e/', anEvent('by_token', 'u'))
    await eventually('by_token shown', async () => (await rowsOf(page, 'by_token').count()) === 1)
    await sleep(600)
    assert.deepEqual(await rowsOf(page, 'by_token').locator('.token').allInnerTexts(), [TOKEN])
    await page.fill('input[name="token"]', '')
    await page.click('#apply')
  })

  it('holds events that arrive while paused and shows them on resume', async () => {
    const { page } = browser
    await eventually('the unfiltered stream is live', async () => (await page.locator('#connection').innerText()) === 'live')
    await page.click('#pause')
    assert.equal(await page.locator('#pause').innerText(), 'Resume')
    for (let i = 0; i < 3; i++) await post(server.url, '/i/v0/e/', anEvent('while_paused', `p-${i}`))
    await eventually('three held', async () => (await page.locator('#held').innerText()) === '3')
    await sleep(500)
    assert.equal(await rowsOf(page, 'while_paused').count(), 0)
    await page.click('#pause')
    await eventually('shown after resume', async () => (await rowsOf(page, 'while_paused').count()) === 3)
    assert.equal(await page.locator('#held').innerText(), '0')
  })

  it('counts what the per-second cap skipped and says why', async () => {
    const { page } = browser
    const batch = Array.from({ length: 200 }, (_, i) => ({ event: 'burst', distinct_id: `b-${i}` }))
    assert.equal((await post(server.url, '/batch/', JSON.stringify({ api_key: TOKEN, batch }))).status, 200)
    await eventually('skipped counted', async () => Number(await page.locator('#skipped').innerText()) >= 150)
    assert.match(await page.locator('#skipped-why').innerText(), /rate cap: \d+/)
    assert.ok((await rowsOf(page, 'burst').count()) <= 40)
  })

  it('charts received, ingested and dropped traffic of both workers on the operations page', async () => {
    const { page } = browser
    await page.goto(`${server.url}/_debug/#ops`)
    const stopAt = Date.now() + 9000
    let sent = 0
    while (Date.now() < stopAt) {
      await post(server.url, '/batch/', JSON.stringify({ api_key: TOKEN, batch: [{ event: 'load', distinct_id: `l-${sent}` }, { event: 'load', distinct_id: `l-${sent}-b` }] }))
      if (sent % 10 === 0) await post(server.url, '/i/v0/e/', '{"nope', { 'content-type': 'application/json' })
      // The same event again (same uuid and timestamp): de-duplication drops it with a 200.
      if (sent % 4 === 0) await post(server.url, '/i/v0/e/', JSON.stringify({ ...JSON.parse(anEvent('dup', 'dup-user')), uuid: DUP_UUID, timestamp: '2026-12-01T00:00:00Z' }))
      sent++
      await sleep(20)
    }
    const received = page.locator('figure[data-chart="events"] .legend span[data-series="received"]')
    await eventually('received charted', async () => Number(await received.getAttribute('data-last')) > 0, 10_000)
    const ingested = Number(await page.locator('figure[data-chart="events"] .legend span[data-series="ingested"]').getAttribute('data-last'))
    assert.ok(ingested > 0)
    const points = await page.locator('figure[data-chart="events"] polyline[data-series="received"]').getAttribute('points')
    assert.ok((points ?? '').split(' ').length >= 3, `received line: ${points}`)
    await eventually('invalid_json charted', async () => (await page.locator('figure[data-chart="refused"] .legend span[data-series="invalid_json"]').count()) === 1)
    await eventually('duplicates charted', async () => (await page.locator('figure[data-chart="dropped"] .legend span[data-series="duplicate"]').count()) === 1)
    const latency = Number(await page.locator('figure[data-chart="latency"] .legend span[data-series="p99"]').getAttribute('data-last'))
    assert.ok(latency > 0, `p99 ${latency}`)
    const workers = page.locator('#workers tbody tr')
    assert.equal(await workers.count(), 2)
    for (const text of await workers.allInnerTexts()) assert.match(text, /serving/)
    assert.match(await page.locator('.tile[data-tile="store"]').innerText(), /healthy \(primary: answering\)/)
    await page.screenshot({ path: path.join(SCREENSHOTS, 'debug-operations.png'), fullPage: true })
  })

  it('never writes the debug token to the log, and the page raised no script error', () => {
    assert.equal(server.output().includes(DEBUG_TOKEN), false)
    assert.equal(server.output().includes(DEBUG_TOKEN.slice(0, 6)), false)
    assert.deepEqual(browser.pageErrors.slice(errorsFromHere), [])
  })
})

describe('debug UI off (DEBUG_UI_TOKEN unset)', () => {
  let server: ServerProcess
  let dataDir: string

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'capture-debug-off-'))
    // debug level: 404s are logged, so the check below sees what a refusal line would hold.
    server = await spawnServer({ dataDir, env: { WORKERS: '1', LOG_LEVEL: 'debug' } })
  })

  after(async () => {
    if (server !== undefined) {
      server.child.kill('SIGTERM')
      await exitOf(server, 15_000)
    }
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  })

  it('answers every /_debug path exactly as an unknown path', async () => {
    const unknown = await request(server.url, '/no-such-path')
    for (const p of ['/_debug/', '/_debug/events', '/_debug/ops.json', '/_debug/assets/debug.js', `/_debug/?token=${DEBUG_TOKEN}`]) {
      const reply = await request(server.url, p, { headers: { authorization: `Bearer ${DEBUG_TOKEN}` } })
      assert.equal(reply.status, unknown.status, p)
      assert.equal(reply.text, unknown.text.replace('/no-such-path', p.split('?')[0]!), p)
      assert.equal(reply.headers['content-type'], unknown.headers['content-type'])
      assert.equal(reply.headers['x-frame-options'], undefined)
    }
    assert.match(server.output(), /"code":"not_found"/)
    assert.equal(server.output().includes(DEBUG_TOKEN.slice(0, 6)), false, 'a debug token sent to /_debug reached the log')
  })
})
