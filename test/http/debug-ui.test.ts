/**
 * The debug UI in one process (no cluster: the in-process relay), over real
 * HTTP: the stream carries an accepted event's message as written to the
 * log and a refusal, masked; the login link swaps the token for a cookie;
 * the ops snapshot counts the traffic. The browser suite (test/ui) covers
 * the page and two workers.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import http, { type IncomingMessage } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { post, request } from '../helpers/http-client.js'
import { collectSse, type SseMessage as Message } from '../helpers/sse.js'

const DEBUG_TOKEN = 'in-process-debug-ui-token'
const TOKEN = 'phc_in_process_debug_token'

function openStream(url: string, query = ''): Promise<{ messages: Message[]; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/_debug/events${query}`, { headers: { authorization: `Bearer ${DEBUG_TOKEN}` } }, (res: IncomingMessage) => {
      assert.equal(res.statusCode, 200)
      assert.match(String(res.headers['content-type']), /^text\/event-stream/)
      const messages = collectSse(res)
      resolve({ messages, close: () => req.destroy() })
    })
    req.on('error', reject)
  })
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`)
    await sleep(25)
  }
}

describe('debug UI in one process', () => {
  let t: TestApp

  before(async () => {
    t = await startTestApp({ env: { DEBUG_UI_TOKEN: DEBUG_TOKEN } })
  })
  after(() => t.close())

  it('streams an accepted event exactly as written to the log, with its token masked', async () => {
    const stream = await openStream(t.url)
    await sleep(50)
    assert.equal((await post(t.url, '/i/v0/e/', JSON.stringify({ api_key: TOKEN, event: 'one_process', distinct_id: 'u-1', properties: { plan: 'pro' } }))).status, 200)
    await until('the event on the stream', () => stream.messages.some((m) => m.type === 'event'))
    stream.close()
    const record = stream.messages.find((m) => m.type === 'event')!.data as { topic: string; key: string; value: string; headers: Record<string, string> }
    const [logged] = await t.readLog()
    assert.equal(record.topic, logged!.topic)
    assert.equal(record.headers.uuid, logged!.headers.uuid)
    assert.equal(record.key, 'phc_in…oken:u-1')
    assert.equal(record.value.includes(TOKEN), false)
    const masked = JSON.stringify(logged!.value).split(TOKEN).join('phc_in…oken')
    assert.deepEqual(JSON.parse(record.value), JSON.parse(masked))
  })

  it('streams a refusal with its code, status and reason', async () => {
    const stream = await openStream(t.url)
    await sleep(50)
    await post(t.url, '/batch/', JSON.stringify({ api_key: TOKEN, batch: [{ event: 'no distinct id' }] }))
    await until('the refusal on the stream', () => stream.messages.some((m) => m.type === 'refused'))
    stream.close()
    const refusal = stream.messages.find((m) => m.type === 'refused')!.data
    assert.equal(refusal.code, 'missing_distinct_id')
    assert.equal(refusal.status, 400)
    assert.equal(refusal.route, '/batch/')
    assert.match(String(refusal.reason), /distinct_id/)
  })

  it('swaps the login link\'s token for a cookie that opens the page and the snapshot', async () => {
    const login = await request(t.url, `/_debug/?token=${DEBUG_TOKEN}`)
    assert.equal(login.status, 303)
    assert.equal(login.headers.location, '/_debug/')
    const cookie = String(login.headers['set-cookie']).split(';')[0]!
    const page = await request(t.url, '/_debug/', { headers: { cookie } })
    assert.equal(page.status, 200)
    assert.match(page.text, /<title>capture · debug<\/title>/)
    assert.equal((await request(t.url, '/_debug/assets/debug.js', { headers: { cookie } })).status, 200)
    assert.equal((await request(t.url, '/_debug/assets/index.html', { headers: { cookie } })).status, 404)
    assert.equal((await request(t.url, '/_debug/events', { method: 'HEAD', headers: { cookie } })).status, 405)
    assert.equal((await request(t.url, '/_debug/', { method: 'POST', headers: { cookie } })).status, 405)
  })

  it('counts the traffic in the ops snapshot within two samples', async () => {
    for (let i = 0; i < 5; i++) await post(t.url, '/batch/', JSON.stringify({ api_key: TOKEN, batch: [{ event: 'ops', distinct_id: `o-${i}` }, { event: 'ops', distinct_id: `o-${i}-b` }] }))
    let received = 0
    const deadline = Date.now() + 6000
    while (received === 0 && Date.now() < deadline) {
      await sleep(250)
      const snapshot = JSON.parse((await request(t.url, '/_debug/ops.json', { headers: { authorization: `Bearer ${DEBUG_TOKEN}` } })).text) as { points: { received: number }[]; workers: { answered: boolean }[]; sink: string }
      received = snapshot.points.reduce((n, p) => n + p.received, 0)
      assert.equal(snapshot.sink, 'local')
      assert.deepEqual(snapshot.workers.map((w) => w.answered), [true])
    }
    assert.ok(received > 0, 'no received events in the ops points')
  })
})
