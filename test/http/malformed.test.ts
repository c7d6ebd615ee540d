/**
 * Malformed input over real sockets: every kind of broken body gets its
 * catalogue 4xx with a JSON `{type, code, detail, attr}` body, nothing is
 * written, and the server keeps serving: bad input never takes the process
 * down.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { gzipSync } from 'node:zlib'
import { performance } from 'node:perf_hooks'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { aBareEvent, anEvent, errorOf, post, postJson, request, TOKEN, type Reply } from '../helpers/http-client.js'
import { codes, type CaptureCode } from '../../src/errors/codes.js'

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

function assertError(reply: Reply, code: CaptureCode): ReturnType<typeof errorOf> {
  assert.equal(reply.status, codes[code].status, `expected ${code}, got ${reply.status} ${reply.text.slice(0, 300)}`)
  assert.match(String(reply.headers['content-type']), /^application\/json/)
  const body = errorOf(reply)
  assert.equal(body.code, code, reply.text.slice(0, 300))
  assert.equal(body.type, codes[code].type)
  assert.ok(body.detail.length > 0)
  return body
}

/** `depth` nested arrays around `inner`, as JSON text, built without recursion. */
const nestedArrays = (depth: number, inner = '1'): string => '['.repeat(depth) + inner + ']'.repeat(depth)

describe('malformed requests', () => {
  let t: TestApp
  let logLinesBefore = 0
  before(async () => {
    t = await startTestApp()
  })
  after(async () => {
    // Nothing malformed was written: only the probes' events are in the log.
    const envelopes = await t.envelopes()
    assert.ok(envelopes.every((envelope) => envelope.event === 'still_serving'), 'a malformed request wrote an event')
    await t.close()
  })

  async function assertStillServing(): Promise<void> {
    const event = anEvent({ event: 'still_serving' })
    const reply = await postJson(t.url, '/e/', event)
    assert.equal(reply.status, 200, `server stopped serving: ${reply.status} ${reply.text}`)
    const envelopes = await t.envelopes()
    assert.ok(envelopes.length > logLinesBefore)
    logLinesBefore = envelopes.length
  }

  const cases: { name: string; send: () => Promise<Reply>; code: CaptureCode; attr?: string | null }[] = [
    { name: 'invalid JSON', send: () => post(t.url, '/e/', '{"event": "x", '), code: 'invalid_json' },
    { name: 'JSON with a trailing comma', send: () => post(t.url, '/batch', '[{"event":"x"},]'), code: 'invalid_json' },
    { name: 'invalid gzip (magic bytes, then garbage)', send: () => post(t.url, '/e/', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08]), Buffer.from('garbage garbage garbage')])), code: 'invalid_gzip' },
    {
      name: 'truncated gzip',
      send: () => {
        const whole = gzipSync(JSON.stringify([anEvent(), anEvent()]))
        return post(t.url, '/batch', whole.subarray(0, Math.floor(whole.length / 2)), { 'content-type': 'text/plain' })
      },
      code: 'invalid_gzip',
    },
    // A base64 hint on something that is not base64 falls through to text (upstream), so the JSON parse fails.
    { name: 'invalid base64 with ?compression=base64', send: () => post(t.url, '/i/v0/e/?compression=base64', 'this is *not* base64!', { 'content-type': 'text/plain' }), code: 'invalid_json' },
    { name: 'invalid base64 in a form with compression=base64', send: () => post(t.url, '/batch/?compression=base64', 'data=%%%not-base64%%%', FORM), code: 'invalid_json' },
    { name: 'invalid lz64 with ?compression=lz64', send: () => post(t.url, '/e/?compression=lz64', 'data=***', FORM), code: 'invalid_lz64' },
    {
      name: 'invalid UTF-8 bytes in a JSON body',
      send: () => post(t.url, '/i/v0/e', Buffer.concat([Buffer.from('{"event":"x","distinct_id":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(`","api_key":"${TOKEN}"}`)])),
      code: 'invalid_utf8',
    },
    { name: 'an empty body', send: () => post(t.url, '/e/', ''), code: 'empty_payload' },
    { name: 'an empty GET', send: () => request(t.url, '/e/'), code: 'empty_payload' },
    { name: 'an empty ?data= on GET', send: () => request(t.url, '/e/?data='), code: 'empty_payload' },
    { name: 'JSON null (padded past the base64 sniff)', send: () => post(t.url, '/i/v0/e', ' null'), code: 'invalid_shape' },
    { name: 'a JSON number', send: () => post(t.url, '/i/v0/e', '12345'), code: 'invalid_shape' },
    { name: 'a JSON string', send: () => post(t.url, '/batch', '"an event"'), code: 'invalid_shape' },
    { name: 'JSON true', send: () => post(t.url, '/batch', 'true '), code: 'invalid_shape' },
    { name: 'an empty array', send: () => post(t.url, '/batch', '[]'), code: 'empty_batch' },
    { name: 'an empty batch object', send: () => postJson(t.url, '/batch', { api_key: TOKEN, batch: [] }), code: 'empty_batch' },
    { name: 'a non-object event in an array', send: () => postJson(t.url, '/batch', { api_key: TOKEN, batch: [aBareEvent(), 'oops', aBareEvent()] }), code: 'invalid_event' },
    { name: 'null as an event in an array', send: () => postJson(t.url, '/batch', { api_key: TOKEN, batch: [null] }), code: 'invalid_event' },
    { name: 'an array nested as an event', send: () => postJson(t.url, '/batch', { api_key: TOKEN, batch: [aBareEvent(), [aBareEvent()]] }), code: 'invalid_event' },
    { name: 'a form content type without data=', send: () => post(t.url, '/e/', 'foo=bar&baz=1', FORM), code: 'invalid_form' },
    { name: 'a form content type with JSON in the body', send: () => postJson(t.url, '/e/', anEvent(), FORM), code: 'invalid_form' },
    { name: 'a form with compression= but no data=', send: () => post(t.url, '/e/', 'compression=gzip-js', FORM), code: 'invalid_form' },
  ]

  for (const { name, send, code } of cases) {
    it(`answers ${name} with ${codes[code].status} ${code}`, async () => {
      assertError(await send(), code)
      await assertStillServing()
    })
  }

  it('tolerates a gzip Content-Encoding on a body that is not gzip (a wrong hint, see decode-body.ts)', async () => {
    const reply = await post(t.url, '/i/v0/e', JSON.stringify(anEvent({ event: 'still_serving' })), { 'content-encoding': 'gzip' })
    assert.equal(reply.status, 200, reply.text)
    logLinesBefore++
  })

  it('names the index of a non-object event', async () => {
    const reply = await postJson(t.url, '/batch', { api_key: TOKEN, batch: [aBareEvent(), aBareEvent(), 42] })
    const body = assertError(reply, 'invalid_event')
    assert.match(body.detail, /event 2\b/)
    assert.ok(body.attr?.startsWith('[2]'), `attr ${body.attr}`)
  })

  it('names a non-object event by its bare index in attr, without a trailing dot', async () => {
    const reply = await postJson(t.url, '/batch', { api_key: TOKEN, batch: [aBareEvent(), aBareEvent(), 42] })
    assert.equal(assertError(reply, 'invalid_event').attr, '[2]')
  })

  it('answers JSON null without padding with a 400 (the base64 sniff turns "null" into bytes that are not UTF-8)', async () => {
    const reply = await post(t.url, '/i/v0/e', 'null')
    assert.equal(reply.status, 400)
    errorOf(reply)
  })

  it('refuses 100k invalid items with 400 naming index 0', async (ctx) => {
    const body = `{"api_key":"${TOKEN}","batch":[${Array.from({ length: 100_000 }, () => '1').join(',')}]}`
    const started = performance.now()
    const reply = await post(t.url, '/batch', body)
    ctx.diagnostic(`100k invalid items answered in ${(performance.now() - started).toFixed(0)} ms`)
    const error = assertError(reply, 'invalid_event')
    assert.match(error.detail, /event 0\b/)
    assert.ok(error.attr?.startsWith('[0]'), `attr ${error.attr}`)
    await assertStillServing()
  })

  it('refuses 100k events missing their name with 400 naming index 0', async () => {
    const body = JSON.stringify(Array.from({ length: 100_000 }, () => ({ distinct_id: 'd', api_key: TOKEN })))
    const error = assertError(await post(t.url, '/batch', body), 'missing_event_name')
    assert.equal(error.attr, '[0].event')
    await assertStillServing()
  })

  it('refuses 100k nested arrays inside properties with 400 event_too_deep', async () => {
    const body = `{"event":"deep","distinct_id":"d","api_key":"${TOKEN}","properties":{"deep":${nestedArrays(100_000)}}}`
    const error = assertError(await post(t.url, '/batch', body), 'event_too_deep')
    assert.ok(error.attr?.startsWith('[0]'), `attr ${error.attr}`)
    await assertStillServing()
  })

  it('refuses a deeply nested distinct_id with 400 event_too_deep', async () => {
    const body = `{"event":"deep","distinct_id":${nestedArrays(100_000)},"api_key":"${TOKEN}"}`
    assertError(await post(t.url, '/batch', body), 'event_too_deep')
    await assertStillServing()
  })

  it('refuses a deeply nested event after a valid one, naming index 1', async () => {
    const body = `{"api_key":"${TOKEN}","batch":[${JSON.stringify(aBareEvent())},{"event":"deep","distinct_id":"d","properties":{"o":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}}]}`
    const error = assertError(await post(t.url, '/batch', body), 'event_too_deep')
    assert.ok(error.attr?.startsWith('[1]'), `attr ${error.attr}`)
    await assertStillServing()
  })

  it('answers a deeply nested body that is not an event with a 4xx, not a crash', async () => {
    const reply = await post(t.url, '/batch', nestedArrays(200_000), { authorization: `Bearer ${TOKEN}` })
    assert.equal(reply.status, 400, reply.text.slice(0, 200))
    errorOf(reply)
    await assertStillServing()
  })
})

describe('a large batch of tiny events', () => {
  let t: TestApp
  before(async () => {
    t = await startTestApp()
  })
  after(() => t.close())

  it('accepts 100k tiny valid events and writes them all', async (ctx) => {
    const count = 100_000
    const batch = Array.from({ length: count }, (_, i) => ({ event: 'tiny', distinct_id: `t${i}` }))
    const body = JSON.stringify({ api_key: TOKEN, batch })
    const started = performance.now()
    const reply = await post(t.url, '/batch', body)
    ctx.diagnostic(`100k tiny events (${body.length} bytes) answered in ${(performance.now() - started).toFixed(0)} ms`)
    assert.equal(reply.status, 200, reply.text)
    const readStarted = performance.now()
    const tiny = (await t.envelopes()).filter((envelope) => envelope.event === 'tiny')
    ctx.diagnostic(`reading them back from the log took ${(performance.now() - readStarted).toFixed(0)} ms`)
    assert.equal(tiny.length, count)
    assert.equal(new Set(tiny.map((envelope) => envelope.distinct_id)).size, count)
    assert.equal(new Set(tiny.map((envelope) => envelope.uuid)).size, count)
  })
})
