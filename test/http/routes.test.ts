/**
 * Route × method × encoding matrix over real sockets: every event route, with
 * and without its trailing slash, accepts each encoding an SDK sends and the
 * event lands in the local log; probes, 404/405, beacon replies and /metrics
 * behave as docs/compatibility.md says.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { gzipSync } from 'node:zlib'
import LZString from 'lz-string'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { anEvent, errorOf, metricValue, post, postJson, request, type Reply, type TestEvent } from '../helpers/http-client.js'

const EVENT_ROUTES = ['/e', '/engage', '/track', '/i/v0/e', '/capture', '/batch']
const PATHS = EVENT_ROUTES.flatMap((route) => [route, `${route}/`])
/** Upstream's legacy paths base64-decode a payload a second time, hint or not. */
const LEGACY = new Set(['/e', '/engage', '/track', '/capture'])
const isLegacy = (path: string): boolean => LEGACY.has(path.replace(/\/$/, ''))
const OK = '{"code":1,"status":"ok"}'

const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64')
const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString()
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

/** Each encoding as a function that sends `event` to `path`. */
const ENCODINGS: Record<string, (t: TestApp, path: string, event: TestEvent) => Promise<Reply>> = {
  'GET ?data=base64': (t, path, event) => request(t.url, `${path}?data=${encodeURIComponent(b64(JSON.stringify(event)))}`),
  'POST JSON': (t, path, event) => postJson(t.url, path, event),
  'POST JSON array': (t, path, event) => postJson(t.url, path, [event]),
  'POST gzip with Content-Encoding': (t, path, event) => post(t.url, path, gzipSync(JSON.stringify(event)), { 'content-encoding': 'gzip' }),
  'POST gzip as text/plain, no hints': (t, path, event) => post(t.url, path, gzipSync(JSON.stringify([event])), { 'content-type': 'text/plain' }),
  'POST form with ?compression=base64': (t, path, event) =>
    post(t.url, `${path}?compression=base64`, form({ data: b64(JSON.stringify([event])) }), FORM),
  'POST raw base64 with ?compression=base64': (t, path, event) =>
    post(t.url, `${path}?compression=base64`, b64(JSON.stringify(event)), { 'content-type': 'text/plain' }),
  'POST form lz64 (posthog-js 1.x)': (t, path, event) =>
    post(t.url, `${path}?compression=lz64`, form({ data: LZString.compressToBase64(JSON.stringify([event])) }), FORM),
  'POST form data= with compression=lz64 field': (t, path, event) =>
    post(t.url, path, form({ data: LZString.compressToBase64(JSON.stringify(event)), compression: 'lz64' }), FORM),
  'POST gzip-js hint in query (posthog-js)': (t, path, event) =>
    post(t.url, `${path}?compression=gzip-js&ver=1.200.0`, gzipSync(JSON.stringify([event])), { 'content-type': 'text/plain' }),
}

async function logHas(t: TestApp, uuid: string): Promise<Record<string, unknown> | undefined> {
  return (await t.envelopes()).find((envelope) => envelope.uuid === uuid)
}

describe('event routes', () => {
  let t: TestApp
  before(async () => {
    t = await startTestApp()
  })
  after(() => t.close())

  for (const path of PATHS) {
    describe(path, () => {
      for (const [name, send] of Object.entries(ENCODINGS)) {
        it(`accepts ${name} and writes the event`, async () => {
          const event = anEvent({ distinct_id: `d-${name}`, properties: { path } })
          const reply = await send(t, path, event)
          assert.equal(reply.status, 200, reply.text)
          assert.equal(reply.text, OK)
          assert.match(String(reply.headers['content-type']), /^application\/json/)
          const envelope = await logHas(t, event.uuid)
          assert.ok(envelope, `event ${event.uuid} not in the log`)
          assert.equal(envelope.event, 'test_event')
          assert.equal(envelope.distinct_id, `d-${name}`)
          assert.equal(envelope.token, event.api_key)
          assert.deepEqual(JSON.parse(envelope.data as string).properties, { path })
        })
      }

      if (isLegacy(path)) {
        it('accepts a form data=base64 without a compression hint (legacy second base64 pass)', async () => {
          const event = anEvent()
          const reply = await post(t.url, path, form({ data: b64(JSON.stringify(event)) }), FORM)
          assert.equal(reply.status, 200, reply.text)
          assert.ok(await logHas(t, event.uuid))
        })
      } else {
        it('refuses a form data=base64 without a compression hint with 400 invalid_json, as upstream', async () => {
          const reply = await post(t.url, path, form({ data: b64(JSON.stringify(anEvent())) }), FORM)
          assert.equal(reply.status, 400)
          assert.equal(errorOf(reply).code, 'invalid_json')
        })
      }

      it('answers a plain OPTIONS with 200 and the ok body', async () => {
        const reply = await request(t.url, path, { method: 'OPTIONS' })
        assert.equal(reply.status, 200)
        assert.equal(reply.text, OK)
      })

      it('answers ?beacon=1 with 204 and an empty body, and still writes the event', async () => {
        const event = anEvent()
        const reply = await postJson(t.url, `${path}?beacon=1`, event)
        assert.equal(reply.status, 204)
        assert.equal(reply.body.length, 0)
        assert.ok(await logHas(t, event.uuid))
      })

      for (const method of ['PUT', 'DELETE', 'PATCH']) {
        it(`refuses ${method} with 405 method_not_allowed`, async () => {
          const reply = await request(t.url, path, { method, body: JSON.stringify(anEvent()) })
          assert.equal(reply.status, 405)
          assert.equal(errorOf(reply).code, 'method_not_allowed')
        })
      }
    })
  }

  it('turns an engage object without an event name into $identify on /engage', async () => {
    const uuid = anEvent().uuid
    const reply = await postJson(t.url, '/engage/', { $distinct_id: 'person-1', $token: 'phc_engage', uuid, $set: { plan: 'pro' } })
    assert.equal(reply.status, 200, reply.text)
    const envelope = await logHas(t, uuid)
    assert.equal(envelope?.event, '$identify')
    assert.equal(envelope?.distinct_id, 'person-1')
  })

  it('ignores the query string when routing', async () => {
    const event = anEvent()
    const reply = await postJson(t.url, '/i/v0/e/?ip=1&_=1700000000000&ver=1.2.3&unknown=x', event)
    assert.equal(reply.status, 200, reply.text)
    assert.ok(await logHas(t, event.uuid))
  })
})

describe('unknown paths', () => {
  let t: TestApp
  before(async () => {
    t = await startTestApp()
  })
  after(() => t.close())

  for (const path of ['/nope', '/e/extra', '/batch//', '/s3', '/i/v0', '/E']) {
    it(`answers ${path} with 404 not_found as JSON`, async () => {
      const reply = await postJson(t.url, path, anEvent())
      assert.equal(reply.status, 404)
      assert.match(String(reply.headers['content-type']), /^application\/json/)
      const body = errorOf(reply)
      assert.equal(body.code, 'not_found')
      assert.equal(body.type, 'invalid_request')
    })
  }
})

describe('health probes', () => {
  let t: TestApp
  before(async () => {
    t = await startTestApp()
  })
  after(() => t.close())

  for (const path of ['/', '/_readiness', '/_liveness', '/health']) {
    it(`answers GET ${path} with 200 while serving`, async () => {
      const reply = await request(t.url, path)
      assert.equal(reply.status, 200, reply.text)
    })
  }

  it('reports /health as JSON per component', async () => {
    const body = JSON.parse((await request(t.url, '/health')).text) as { status: string; lifecycle: string; components: Record<string, { healthy: boolean }> }
    assert.equal(body.status, 'healthy')
    assert.equal(body.lifecycle, 'serving')
    assert.equal(body.components.sink?.healthy, true)
  })

  it('refuses POST on a probe with 405', async () => {
    const reply = await request(t.url, '/_readiness', { method: 'POST', body: 'x' })
    assert.equal(reply.status, 405)
    assert.equal(errorOf(reply).code, 'method_not_allowed')
  })

  it('fails readiness and /health with 503 while draining, but stays live', async () => {
    t.app.health.setLifecycle('draining')
    try {
      for (const path of ['/', '/_readiness', '/health']) {
        const reply = await request(t.url, path)
        assert.equal(reply.status, 503, `${path}: ${reply.text}`)
      }
      assert.equal(JSON.parse((await request(t.url, '/health')).text).lifecycle, 'draining')
      assert.equal((await request(t.url, '/_liveness')).status, 200)
    } finally {
      t.app.health.setLifecycle('serving')
    }
    assert.equal((await request(t.url, '/_readiness')).status, 200)
  })
})

describe('/metrics', () => {
  let t: TestApp
  before(async () => {
    t = await startTestApp()
  })
  after(() => t.close())

  it('counts received, ingested and dropped events, request durations and payload sizes', async () => {
    const batch = [anEvent(), anEvent(), anEvent(), anEvent({ event: '$performance_event' })]
    assert.equal((await postJson(t.url, '/batch', batch)).status, 200)
    assert.equal((await postJson(t.url, '/e/', anEvent())).status, 200)
    assert.equal((await post(t.url, '/e/', gzipSync(JSON.stringify([anEvent(), anEvent()])))).status, 200)
    const invalid = await postJson(t.url, '/i/v0/e', [anEvent(), { ...anEvent(), event: '' }])
    assert.equal(invalid.status, 400)

    const reply = await request(t.url, '/metrics')
    assert.equal(reply.status, 200)
    assert.match(String(reply.headers['content-type']), /^text\/plain/)
    const text = reply.text
    // Received counts every decoded event, before validation: 4 + 1 + 2 + 2.
    assert.equal(metricValue(text, 'capture_events_received_total', { route: 'events' }), 9)
    assert.equal(metricValue(text, 'capture_events_ingested_total', { route: 'events' }), 6)
    assert.equal(metricValue(text, 'capture_events_dropped_total', { cause: 'performance_event' }), 1)
    assert.equal(metricValue(text, 'capture_http_request_duration_seconds_count', { route: '/batch' }), 1)
    assert.equal(metricValue(text, 'capture_http_request_duration_seconds_count', { route: '/e' }), 2)
    assert.equal(metricValue(text, 'capture_http_request_duration_seconds_count', { route: '/i/v0/e' }), 1)
    assert.equal(metricValue(text, 'capture_payload_bytes_count', { route: 'events', stage: 'raw' }), 4)
    assert.equal(metricValue(text, 'capture_payload_bytes_count', { route: 'events', stage: 'decoded' }), 4)
    assert.equal(metricValue(text, 'capture_http_requests_total', { route: '/i/v0/e', status: '400' }), 1)
    assert.equal(metricValue(text, 'capture_http_request_errors_total', { code: 'missing_event_name' }), 1)
  })
})
