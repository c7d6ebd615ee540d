/**
 * CORS as upstream's permissive layer does it: preflights are
 * answered 200 with an empty body, mirroring Origin and the requested
 * headers and allowing credentials; normal replies carry the mirrored Origin.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { anEvent, errorOf, post, postJson, request } from '../helpers/http-client.js'

const ORIGIN = 'https://app.example.com'

describe('CORS', () => {
  let t: TestApp
  before(async () => {
    t = await startTestApp()
  })
  after(() => t.close())

  for (const path of ['/e/', '/i/v0/e/', '/batch', '/engage/', '/track', '/capture/']) {
    it(`answers a preflight on ${path} with 200, an empty body and mirrored headers`, async () => {
      const reply = await request(t.url, path, {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-custom-thing' },
      })
      assert.equal(reply.status, 200)
      assert.equal(reply.body.length, 0)
      assert.equal(reply.headers['access-control-allow-origin'], ORIGIN)
      assert.equal(reply.headers['access-control-allow-credentials'], 'true')
      assert.equal(reply.headers['access-control-allow-headers'], 'content-type,x-custom-thing')
      const methods = String(reply.headers['access-control-allow-methods']).split(',').map((m) => m.trim())
      assert.ok(methods.includes('POST'), `allow-methods: ${methods.join(',')}`)
      assert.ok(methods.includes('GET'))
      assert.match(String(reply.headers.vary), /origin/i)
    })
  }

  it('answers a preflight without requested headers without an Allow-Headers header', async () => {
    const reply = await request(t.url, '/e/', { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } })
    assert.equal(reply.status, 200)
    assert.equal(reply.headers['access-control-allow-origin'], ORIGIN)
    assert.equal(reply.headers['access-control-allow-headers'], undefined)
  })

  it('mirrors Origin and allows credentials on a normal POST', async () => {
    const reply = await postJson(t.url, '/e/', anEvent(), { origin: ORIGIN })
    assert.equal(reply.status, 200)
    assert.equal(reply.headers['access-control-allow-origin'], ORIGIN)
    assert.equal(reply.headers['access-control-allow-credentials'], 'true')
  })

  it('mirrors Origin on a GET with ?data=', async () => {
    const data = Buffer.from(JSON.stringify(anEvent())).toString('base64')
    const reply = await request(t.url, `/e/?data=${encodeURIComponent(data)}`, { headers: { origin: 'null' } })
    assert.equal(reply.status, 200)
    assert.equal(reply.headers['access-control-allow-origin'], 'null')
  })

  it('mirrors Origin on an error reply so the browser can read it', async () => {
    const reply = await post(t.url, '/e/', '{not json', { origin: ORIGIN })
    assert.equal(reply.status, 400)
    assert.equal(errorOf(reply).code, 'invalid_json')
    assert.equal(reply.headers['access-control-allow-origin'], ORIGIN)
    assert.equal(reply.headers['access-control-allow-credentials'], 'true')
  })

  it('sends no CORS headers when the request has no Origin', async () => {
    const reply = await postJson(t.url, '/e/', anEvent())
    assert.equal(reply.status, 200)
    assert.equal(reply.headers['access-control-allow-origin'], undefined)
    assert.equal(reply.headers['access-control-allow-credentials'], undefined)
  })

  it('answers a plain OPTIONS with Origin with 200 and the ok body, with CORS headers', async () => {
    const reply = await request(t.url, '/batch/', { method: 'OPTIONS', headers: { origin: ORIGIN } })
    assert.equal(reply.status, 200)
    assert.equal(reply.text, '{"code":1,"status":"ok"}')
    assert.equal(reply.headers['access-control-allow-origin'], ORIGIN)
  })
})
