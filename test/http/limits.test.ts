/**
 * Size limits over real sockets (docs/configuration.md): raw body caps per route,
 * with and without Content-Length; the decoded-size cap against gzip and lz64
 * bombs; the per-event cap. Every refusal is a 413 whose JSON names the limit
 * and the size seen, and the server keeps serving afterwards.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { aBareEvent, anEvent, errorOf, post, postJson, request, TOKEN } from '../helpers/http-client.js'
import { gzipZeros, lz64Bomb, lz64BombLength } from '../helpers/bombs.js'

const MiB = 1024 * 1024
const EVENT_MAX_BYTES = 64 * 1024
const DECODED_MAX_BYTES = 4 * MiB

async function assertStillServing(t: TestApp): Promise<void> {
  const event = anEvent()
  const reply = await postJson(t.url, '/e/', event)
  assert.equal(reply.status, 200, `server stopped serving: ${reply.status} ${reply.text}`)
  assert.ok((await t.envelopes()).some((envelope) => envelope.uuid === event.uuid))
}

/** A JSON batch of roughly `bytes` bytes whose events each stay under EVENT_MAX_BYTES. */
function batchOfSize(bytes: number): { body: string; count: number } {
  const filler = 'x'.repeat(48 * 1024)
  const count = Math.ceil(bytes / filler.length)
  const batch = Array.from({ length: count }, (_, i) => aBareEvent({ distinct_id: `big-${i}`, properties: { filler } }))
  return { body: JSON.stringify({ api_key: TOKEN, batch }), count }
}

describe('body size limits', () => {
  let t: TestApp
  before(async () => {
    t = await startTestApp({ env: { EVENT_MAX_BYTES: String(EVENT_MAX_BYTES), DECODED_BODY_MAX_BYTES: String(DECODED_MAX_BYTES) } })
  })
  after(() => t.close())

  it('refuses a /e body just over 2 MiB with 413 body_too_large naming the limit and the size', async () => {
    const body = Buffer.alloc(2 * MiB + 1, 0x20)
    const reply = await post(t.url, '/e/', body)
    assert.equal(reply.status, 413, reply.text)
    const error = errorOf(reply)
    assert.equal(error.code, 'body_too_large')
    assert.equal(error.limit_bytes, 2 * MiB)
    assert.equal(error.size_bytes, 2 * MiB + 1)
    assert.match(error.detail, /2097152/)
    await assertStillServing(t)
  })

  it('accepts a /e body of exactly 2 MiB past the body check', async () => {
    const event = anEvent({ properties: {} })
    const text = JSON.stringify(event)
    const body = text + ' '.repeat(2 * MiB - text.length)
    const reply = await post(t.url, '/e/', body)
    assert.equal(reply.status, 200, reply.text)
  })

  it('accepts a 3 MiB batch on /batch and writes every event', async () => {
    const { body, count } = batchOfSize(3 * MiB)
    assert.ok(body.length > 3 * MiB)
    const reply = await post(t.url, '/batch/', body)
    assert.equal(reply.status, 200, reply.text)
    const written = (await t.envelopes()).filter((envelope) => String(envelope.distinct_id).startsWith('big-'))
    assert.equal(written.length, count)
  })

  it('refuses the same 3 MiB batch on /e with 413', async () => {
    const reply = await post(t.url, '/e', batchOfSize(3 * MiB).body)
    assert.equal(reply.status, 413)
    assert.equal(errorOf(reply).code, 'body_too_large')
    await assertStillServing(t)
  })

  it('refuses a /batch body over 20 MiB with 413 body_too_large', async () => {
    const reply = await post(t.url, '/batch', Buffer.alloc(20 * MiB + 1, 0x20))
    assert.equal(reply.status, 413)
    const error = errorOf(reply)
    assert.equal(error.code, 'body_too_large')
    assert.equal(error.limit_bytes, 20 * MiB)
    assert.equal(error.size_bytes, 20 * MiB + 1)
    await assertStillServing(t)
  })

  it('refuses a chunked body (no Content-Length) once it passes the limit', async () => {
    const chunk = Buffer.alloc(256 * 1024, 0x20)
    const reply = await request(t.url, '/e/', { method: 'POST', headers: { 'content-type': 'application/json' }, chunks: Array.from({ length: 12 }, () => chunk) })
    assert.equal(reply.status, 413, reply.text)
    const error = errorOf(reply)
    assert.equal(error.code, 'body_too_large')
    assert.equal(error.limit_bytes, 2 * MiB)
    assert.ok(error.size_bytes !== undefined && error.size_bytes > 2 * MiB, `size_bytes ${error.size_bytes}`)
    await assertStillServing(t)
  })
})

describe('decoded size limit (bomb guard)', () => {
  let t: TestApp
  before(async () => {
    t = await startTestApp({ env: { EVENT_MAX_BYTES: String(EVENT_MAX_BYTES), DECODED_BODY_MAX_BYTES: String(DECODED_MAX_BYTES) } })
  })
  after(() => t.close())

  it('refuses 128 MiB of gzipped zeros with 413 decoded_too_large without inflating it', async (ctx) => {
    const bomb = await gzipZeros(128 * MiB)
    ctx.diagnostic(`gzip bomb: ${bomb.length} bytes on the wire for ${128 * MiB} inflated`)
    const peakBefore = process.resourceUsage().maxRSS
    const reply = await post(t.url, '/e/', bomb, { 'content-encoding': 'gzip' })
    const grownKiB = process.resourceUsage().maxRSS - peakBefore
    assert.equal(reply.status, 413, reply.text)
    const error = errorOf(reply)
    assert.equal(error.code, 'decoded_too_large')
    assert.equal(error.limit_bytes, DECODED_MAX_BYTES)
    assert.ok(error.size_bytes !== undefined && error.size_bytes > DECODED_MAX_BYTES)
    // The app runs in this process: its peak memory must not have grown by anything like the bomb.
    ctx.diagnostic(`peak RSS grew by ${grownKiB} KiB`)
    assert.ok(grownKiB < 48 * 1024, `peak RSS grew by ${grownKiB} KiB`)
    await assertStillServing(t)
  })

  it('refuses a gzip bomb sent without any hint (magic bytes only)', async () => {
    const reply = await post(t.url, '/batch', await gzipZeros(16 * MiB), { 'content-type': 'text/plain' })
    assert.equal(reply.status, 413)
    assert.equal(errorOf(reply).code, 'decoded_too_large')
    await assertStillServing(t)
  })

  it('refuses an lz64 bomb with 413 decoded_too_large without inflating it', async (ctx) => {
    const codes = 12_000
    const bomb = lz64Bomb(codes)
    ctx.diagnostic(`lz64 bomb: ${bomb.length} characters for ${lz64BombLength(codes)} inflated`)
    const peakBefore = process.resourceUsage().maxRSS
    const reply = await post(t.url, '/e/', new URLSearchParams({ data: bomb, compression: 'lz64' }).toString(), { 'content-type': 'application/x-www-form-urlencoded' })
    const grownKiB = process.resourceUsage().maxRSS - peakBefore
    assert.equal(reply.status, 413, reply.text)
    const error = errorOf(reply)
    assert.equal(error.code, 'decoded_too_large')
    // The bound crossed first: the decoded cap, or (for a bomb this size) 16× the input (decode-body.ts).
    assert.ok(error.limit_bytes! <= DECODED_MAX_BYTES && error.size_bytes! > error.limit_bytes!, reply.text)
    ctx.diagnostic(`peak RSS grew by ${grownKiB} KiB`)
    assert.ok(grownKiB < 48 * 1024, `peak RSS grew by ${grownKiB} KiB`)
    await assertStillServing(t)
  })

  it('refuses plain text longer than the decoded cap on /batch', async () => {
    const reply = await post(t.url, '/batch', Buffer.alloc(DECODED_MAX_BYTES + 1, 0x20))
    assert.equal(reply.status, 413)
    const error = errorOf(reply)
    assert.equal(error.code, 'decoded_too_large')
    assert.equal(error.size_bytes, DECODED_MAX_BYTES + 1)
    await assertStillServing(t)
  })
})

describe('per-event size limit', () => {
  let t: TestApp
  before(async () => {
    t = await startTestApp({ env: { EVENT_MAX_BYTES: String(EVENT_MAX_BYTES) } })
  })
  after(() => t.close())

  it('refuses a batch whose third event is over EVENT_MAX_BYTES with 413 event_too_large naming its index', async () => {
    const big = aBareEvent({ properties: { blob: 'y'.repeat(EVENT_MAX_BYTES) } })
    const small = [aBareEvent(), aBareEvent()]
    const reply = await postJson(t.url, '/batch', { api_key: TOKEN, batch: [...small, big] })
    assert.equal(reply.status, 413, reply.text)
    const error = errorOf(reply)
    assert.equal(error.code, 'event_too_large')
    assert.equal(error.attr, '[2]')
    assert.match(error.detail, /event 2\b/)
    assert.equal(error.limit_bytes, EVENT_MAX_BYTES)
    assert.ok(error.size_bytes !== undefined && error.size_bytes > EVENT_MAX_BYTES)
    // All or nothing: the small events of the refused request are not written.
    const uuids = new Set((await t.envelopes()).map((envelope) => envelope.uuid))
    for (const event of small) assert.ok(!uuids.has(event.uuid))
    await assertStillServing(t)
  })

  it('counts multi-byte characters in bytes, not UTF-16 units', async () => {
    // 30 000 × '€' is 30 000 UTF-16 units but 90 000 bytes.
    const reply = await postJson(t.url, '/e/', anEvent({ properties: { euro: '€'.repeat(30_000) } }))
    assert.equal(reply.status, 413, reply.text)
    assert.equal(errorOf(reply).code, 'event_too_large')
    await assertStillServing(t)
  })

  it('accepts an event just under the limit', async () => {
    const event = anEvent({ properties: { blob: 'z'.repeat(EVENT_MAX_BYTES / 2) } })
    const reply = await postJson(t.url, '/e/', event)
    assert.equal(reply.status, 200, reply.text)
  })
})
