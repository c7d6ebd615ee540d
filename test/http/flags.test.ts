/**
 * The quiet flags endpoints over real sockets: /flags and /decide answer
 * "no flags" in the shape each version reads, accept GET and POST (any body,
 * compressed or not), answer preflights, write nothing, and are 404s with
 * FLAGS_ENDPOINTS_ENABLED=false.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { gzipSync } from 'node:zlib'
import { request } from '../helpers/http-client.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

let app: TestApp
before(async () => { app = await startTestApp() })
after(() => app.close())

const post = (path: string, body: Buffer | string = '{"token":"phc_x","distinct_id":"u1"}') =>
  request(app.url, path, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
const bodyOf = (reply: { text: string }): Record<string, unknown> => JSON.parse(reply.text) as Record<string, unknown>

describe('flags endpoints', () => {
  it('/flags/?v=2 answers the v2 shape: no flags, no errors, a request id', async () => {
    const reply = await post('/flags/?v=2')
    assert.equal(reply.status, 200)
    assert.equal(reply.headers['content-type'], 'application/json')
    const body = bodyOf(reply)
    assert.deepEqual(body.flags, {})
    assert.equal(body.errorsWhileComputingFlags, false)
    assert.deepEqual(body.quotaLimited, [])
    assert.equal(typeof body.requestId, 'string')
  })

  it('/flags without v answers the v1 map shape', async () => {
    const body = bodyOf(await post('/flags'))
    assert.deepEqual([body.featureFlags, body.featureFlagPayloads, body.errorsWhileComputingFlags], [{}, {}, false])
  })

  for (const [version, check] of [
    [undefined, (b: Record<string, unknown>) => assert.deepEqual(b.featureFlags, [])],
    ['2', (b: Record<string, unknown>) => assert.deepEqual(b.featureFlags, {})],
    ['3', (b: Record<string, unknown>) => assert.deepEqual([b.featureFlags, b.featureFlagPayloads, b.errorsWhileComputingFlags], [{}, {}, false])],
    ['4', (b: Record<string, unknown>) => assert.deepEqual([b.flags, b.errorsWhileComputingFlags], [{}, false])],
  ] as const) {
    it(`/decide/${version === undefined ? '' : `?v=${version}`} answers its version's shape with recording and autocapture config off`, async () => {
      const body = bodyOf(await post(`/decide/${version === undefined ? '' : `?v=${version}`}`))
      check(body)
      assert.equal(body.sessionRecording, false)
    })
  }

  it('takes GET, a gzip body and a base64 form body alike', async () => {
    assert.equal((await request(app.url, '/decide/?v=3', { method: 'GET' })).status, 200)
    assert.equal((await post('/flags/?v=2', gzipSync('{"distinct_id":"u"}'))).status, 200)
    assert.equal((await post('/flags/?v=2&compression=base64', 'data=eyJ0b2tlbiI6InBoY194In0%3D')).status, 200)
  })

  it('answers a preflight with CORS headers', async () => {
    const reply = await request(app.url, '/flags/?v=2', { method: 'OPTIONS', headers: { origin: 'https://site.example', 'access-control-request-method': 'POST' } })
    assert.equal(reply.status, 200)
    assert.equal(reply.headers['access-control-allow-origin'], 'https://site.example')
  })

  it('writes nothing', async () => {
    await post('/flags/?v=2')
    assert.equal((await app.readLog()).length, 0)
  })

  it('is a 404 with FLAGS_ENDPOINTS_ENABLED=false', async () => {
    const off = await startTestApp({ env: { FLAGS_ENDPOINTS_ENABLED: 'false' } })
    try {
      assert.equal((await request(off.url, '/flags/?v=2', { method: 'POST', body: '{}' })).status, 404)
      assert.equal((await request(off.url, '/decide/', { method: 'POST', body: '{}' })).status, 404)
    } finally {
      await off.close()
    }
  })
})
