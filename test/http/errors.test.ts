/**
 * The error catalogue, tested from the wire: every code in src/errors/codes.ts
 * is either produced by a request below (and its reply has the catalogue's
 * status, type and JSON shape — Capture V1's own shape for V1_CASES) or listed
 * in NOT_YET_REACHABLE with the reason. A new code fails this suite until it
 * is given a case or a reason.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { gzipSync } from 'node:zlib'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { aBareEvent, anEvent, collect, connect, errorOf, parseRawReply, post, postJson, request, TOKEN, type Reply } from '../helpers/http-client.js'
import { gzipZeros } from '../helpers/bombs.js'
import { codes, type CaptureCode } from '../../src/errors/codes.js'
import { DROP_OVER_QUOTA } from '../../src/limiters/decisions.js'
import { aV1Batch, aV1Event, postV1, v1Headers, V1_PATH } from '../helpers/capture-v1.js'

/** Codes no request to a single capture process with the local log can produce yet, and why. */
const NOT_YET_REACHABLE: Partial<Record<CaptureCode, string>> = {
  message_too_large: 'only the Kafka sink refuses an oversized message; covered with a real broker in test/integration',
  sink_unavailable: 'needs a sink that fails to write (Kafka down and spool failing); test/integration',
  spool_full: 'needs Kafka down and the spool budget used up; test/integration',
  shutting_down: 'the local sink refuses publishes only after close(), which waits for every in-flight request first',
  internal_error: 'only a bug produces it',
  service_unavailable: 'Capture V1 answers a failing sink per event (retry with Retry-After); no V1 path raises a request-level 503 yet',
}

const KIB = 1024
const DEBUG_TOKEN = 'errors-test-debug-ui-token'
const env = {
  EVENT_BODY_SIZE: String(64 * KIB),
  EVENT_MAX_BYTES: String(8 * KIB),
  DECODED_BODY_MAX_BYTES: String(128 * KIB),
  RECORDING_MESSAGE_MAX_BYTES: String(16 * KIB),
  BODY_CHUNK_READ_TIMEOUT_MS: '200',
  CAPTURE_V1_MAX_COMPRESSED_BODY_BYTES: String(64 * KIB),
  DEBUG_UI_TOKEN: DEBUG_TOKEN,
}
const rateEnv = { RATE_LIMIT_TOKEN_EVENTS_PER_SECOND: '1', RATE_LIMIT_TOKEN_BURST: '2' }

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const bearer = { authorization: `Bearer ${TOKEN}` }
const one = (overrides: Record<string, unknown>): Record<string, unknown> => ({ ...anEvent(), ...overrides })
const recording = (properties: Record<string, unknown>): Record<string, unknown> =>
  ({ event: '$snapshot', distinct_id: 'r-1', api_key: TOKEN, properties: { $session_id: 'session-1', $window_id: 'window-1', $snapshot_data: [{ type: 2, data: {} }], ...properties } })

interface Case {
  readonly code: CaptureCode
  readonly how: string
  /** 'rate' runs against the app with a tiny per-token rate limit. */
  readonly app?: 'rate'
  readonly send: (t: TestApp) => Promise<Reply>
}

async function stalledBody(t: TestApp): Promise<Reply> {
  const socket = await connect(t.app.port)
  const outcome = collect(socket, 10_000)
  socket.write('POST /e/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"event":')
  const { received } = await outcome
  socket.destroy()
  return parseRawReply(received)
}

/** Raw bytes on a fresh connection, for requests node:http's parser refuses. */
async function raw(t: TestApp, bytes: string): Promise<Reply> {
  const socket = await connect(t.app.port)
  const outcome = collect(socket, 5_000)
  socket.write(Buffer.from(bytes, 'latin1'))
  const { received } = await outcome
  socket.destroy()
  return parseRawReply(received)
}

const CASES: readonly Case[] = [
  // Decoding
  { code: 'empty_payload', how: 'an empty POST body', send: (t) => post(t.url, '/e/', '') },
  { code: 'invalid_form', how: 'a form without data=', send: (t) => post(t.url, '/e/', 'a=1&b=2', FORM) },
  { code: 'invalid_gzip', how: 'gzip magic bytes then garbage', send: (t) => post(t.url, '/batch', Buffer.from([0x1f, 0x8b, 0x08, 1, 2, 3, 4, 5, 6, 7, 8])) },
  { code: 'invalid_lz64', how: 'compression=lz64 on characters outside the alphabet', send: (t) => post(t.url, '/e/?compression=lz64', 'data=%21%21%21', FORM) },
  { code: 'invalid_utf8', how: 'a JSON body with 0xff bytes', send: (t) => post(t.url, '/i/v0/e', Buffer.from([0x7b, 0x22, 0xff, 0xff, 0x22, 0x3a, 0x31, 0x7d, 0x20])) },
  { code: 'invalid_json', how: 'a truncated JSON object', send: (t) => post(t.url, '/i/v0/e', '{"event":') },
  { code: 'invalid_shape', how: 'a JSON number', send: (t) => post(t.url, '/i/v0/e', '12345') },
  { code: 'empty_batch', how: 'an empty array', send: (t) => post(t.url, '/batch', '[]', bearer) },
  // One event breaks a rule
  { code: 'invalid_event', how: 'a string in the batch', send: (t) => postJson(t.url, '/batch', { api_key: TOKEN, batch: ['nope'] }) },
  { code: 'missing_event_name', how: 'an empty event name', send: (t) => postJson(t.url, '/e/', one({ event: '' })) },
  { code: 'event_name_too_long', how: 'a 201-character name', send: (t) => postJson(t.url, '/e/', one({ event: 'n'.repeat(201) })) },
  { code: 'missing_distinct_id', how: 'no distinct_id anywhere', send: (t) => postJson(t.url, '/e/', { event: 'x', api_key: TOKEN }) },
  { code: 'invalid_properties', how: 'properties as an array', send: (t) => postJson(t.url, '/e/', one({ properties: [1, 2] })) },
  { code: 'invalid_uuid', how: 'a uuid that is not one', send: (t) => postJson(t.url, '/e/', one({ uuid: 'not-a-uuid' })) },
  { code: 'invalid_timestamp', how: 'a numeric timestamp', send: (t) => postJson(t.url, '/e/', one({ timestamp: 1700000000 })) },
  { code: 'invalid_cookieless_mode', how: '$cookieless_mode as a string', send: (t) => postJson(t.url, '/e/', one({ properties: { $cookieless_mode: 'yes' } })) },
  { code: 'event_too_deep', how: '30k nested arrays in properties', send: (t) => post(t.url, '/batch', `{"event":"x","distinct_id":"d","api_key":"${TOKEN}","properties":{"a":${'['.repeat(30_000)}${']'.repeat(30_000)}}}`) },
  // Recordings
  { code: 'missing_session_id', how: 'a $snapshot without $session_id on /s', send: (t) => postJson(t.url, '/s/', [recording({ $session_id: undefined })]) },
  { code: 'invalid_session_id', how: 'a $session_id with a space on /s', send: (t) => postJson(t.url, '/s/', [recording({ $session_id: 'not valid' })]) },
  { code: 'invalid_window_id', how: 'a numeric $window_id on /s', send: (t) => postJson(t.url, '/s/', [recording({ $window_id: 7 })]) },
  { code: 'missing_snapshot_data', how: 'a $snapshot without $snapshot_data on /s', send: (t) => postJson(t.url, '/s/', [recording({ $snapshot_data: undefined })]) },
  { code: 'snapshot_item_too_large', how: 'one 32 KiB snapshot item with RECORDING_MESSAGE_MAX_BYTES=16 KiB', send: (t) => postJson(t.url, '/s/', [recording({ $snapshot_data: [{ type: 3, data: { blob: 's'.repeat(32 * KIB) } }] })]) },
  // Token
  { code: 'no_token', how: 'an event without any token', send: (t) => postJson(t.url, '/e/', aBareEvent()) },
  { code: 'token_empty', how: 'api_key ""', send: (t) => postJson(t.url, '/e/', one({ api_key: '' })) },
  { code: 'token_too_long', how: 'a 65-byte api_key', send: (t) => postJson(t.url, '/e/', one({ api_key: 'p'.repeat(65) })) },
  { code: 'token_not_ascii', how: 'an api_key with é', send: (t) => postJson(t.url, '/e/', one({ api_key: 'phc_é' })) },
  { code: 'token_personal_api_key', how: 'a phx_ key', send: (t) => postJson(t.url, '/e/', one({ api_key: 'phx_personal' })) },
  { code: 'inconsistent_tokens', how: 'two events with different api_keys', send: (t) => postJson(t.url, '/batch', [anEvent(), anEvent({ api_key: 'phc_other' })]) },
  // HTTP exchange
  { code: 'not_found', how: 'an unknown path', send: (t) => request(t.url, '/nowhere') },
  { code: 'method_not_allowed', how: 'PUT on /e', send: (t) => request(t.url, '/e/', { method: 'PUT', body: '{}' }) },
  { code: 'request_timeout', how: 'a body that stalls past BODY_CHUNK_READ_TIMEOUT_MS', send: stalledBody },
  { code: 'malformed_request', how: 'a header name with a space', send: (t) => raw(t, 'GET /e/ HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n') },
  { code: 'expectation_failed', how: 'Expect: 200-ok', send: (t) => raw(t, 'POST /e/ HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 0\r\n\r\n') },
  { code: 'headers_too_large', how: 'a 20 KiB header', send: (t) => raw(t, `GET /e/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * KIB)}\r\n\r\n`) },
  { code: 'too_many_headers', how: '1001 headers', send: (t) => raw(t, `GET /e/ HTTP/1.1\r\n${Array.from({ length: 1001 }, (_, i) => `x-${i}: 1\r\n`).join('')}\r\n`) },
  { code: 'http_version_not_supported', how: 'an HTTP/2 preface', send: (t) => raw(t, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n') },
  // Sizes
  { code: 'body_too_large', how: 'a body over EVENT_BODY_SIZE', send: (t) => post(t.url, '/e/', Buffer.alloc(64 * KIB + 1, 0x20)) },
  { code: 'decoded_too_large', how: 'a gzip bomb', send: async (t) => post(t.url, '/e/', await gzipZeros(4 * 1024 * KIB)) },
  { code: 'event_too_large', how: 'one event over EVENT_MAX_BYTES', send: (t) => postJson(t.url, '/e/', one({ properties: { blob: 'b'.repeat(9 * KIB) } })) },
  // Limits
  {
    code: 'rate_limited',
    how: 'a second batch right after one of 100 events, against a token limit of 1/s with bursts of 2',
    app: 'rate',
    send: async (t) => {
      // A full bucket admits one batch larger than the burst (it goes 98 tokens into debt); the next waits.
      const first = await postJson(t.url, '/batch', { api_key: TOKEN, batch: Array.from({ length: 100 }, () => aBareEvent()) })
      assert.equal(first.status, 200, first.text)
      return postJson(t.url, '/batch', { api_key: TOKEN, batch: [aBareEvent()] })
    },
  },
  { code: 'token_too_long', how: 'a 65-byte Bearer token', send: (t) => postJson(t.url, '/e/', aBareEvent(), { authorization: `Bearer ${'p'.repeat(65)}` }) },
  { code: 'invalid_gzip', how: 'a truncated gzip stream', send: (t) => post(t.url, '/batch', gzipSync(JSON.stringify([anEvent()])).subarray(0, 12)) },
  { code: 'debug_unauthorized', how: 'the debug page without DEBUG_UI_TOKEN', send: (t) => request(t.url, '/_debug/', { headers: { authorization: 'Bearer not-the-debug-token' } }) },
  { code: 'debug_viewers_full', how: 'a 17th debugger stream on one process', send: seventeenthStream },
]

/** Opens the 16 debugger streams one process serves, asks for one more, then closes them. */
async function seventeenthStream(t: TestApp): Promise<Reply> {
  const open = await Promise.all(Array.from({ length: 16 }, () => new Promise<http.ClientRequest>((resolve, reject) => {
    const req = http.get(`${t.url}/_debug/events`, { headers: { authorization: `Bearer ${DEBUG_TOKEN}` } }, (res) => {
      assert.equal(res.statusCode, 200)
      resolve(req)
    })
    req.on('error', reject)
  })))
  try {
    return await request(t.url, '/_debug/events', { headers: { authorization: `Bearer ${DEBUG_TOKEN}` } })
  } finally {
    for (const req of open) req.destroy()
  }
}

async function stalledV1Body(t: TestApp): Promise<Reply> {
  const socket = await connect(t.app.port)
  const outcome = collect(socket, 10_000)
  const headers = Object.entries({ ...v1Headers(), host: '127.0.0.1', 'content-length': '100' }).map(([k, v]) => `${k}: ${String(v)}`).join('\r\n')
  socket.write(`POST ${V1_PATH} HTTP/1.1\r\n${headers}\r\n\r\n{"created_at":`)
  const { received } = await outcome
  socket.destroy()
  return parseRawReply(received)
}

const v1Event = aV1Event
/** Capture V1 replies `{error, error_description, error_uri}`; 'quota' runs against an app whose limiter finds every event over quota. */
const V1_CASES: readonly (Omit<Case, 'app'> & { readonly app?: 'quota' })[] = [
  { code: 'missing_authorization', how: 'V1 without Authorization', send: (t) => postV1(t.url, aV1Batch([v1Event()]), { authorization: undefined }) },
  { code: 'missing_required_headers', how: 'V1 without PostHog-Attempt', send: (t) => postV1(t.url, aV1Batch([v1Event()]), { 'posthog-attempt': undefined }) },
  { code: 'invalid_header_value', how: 'V1 with PostHog-Attempt: 0', send: (t) => postV1(t.url, aV1Batch([v1Event()]), { 'posthog-attempt': '0' }) },
  { code: 'invalid_api_token', how: 'V1 with a phx_ Bearer token', send: (t) => postV1(t.url, aV1Batch([v1Event()]), { authorization: 'Bearer phx_personal' }) },
  { code: 'unsupported_content_type', how: 'V1 with Content-Type text/plain', send: (t) => postV1(t.url, aV1Batch([v1Event()]), { 'content-type': 'text/plain' }) },
  { code: 'unsupported_encoding', how: 'V1 with Content-Encoding identity', send: (t) => postV1(t.url, aV1Batch([v1Event()]), { 'content-encoding': 'identity' }) },
  { code: 'empty_body', how: 'V1 with an empty body', send: (t) => postV1(t.url, '') },
  { code: 'request_decoding_error', how: 'V1 gzip that is not gzip', send: (t) => postV1(t.url, 'not gzip', { 'content-encoding': 'gzip' }) },
  { code: 'request_parsing_error', how: 'V1 without created_at', send: (t) => postV1(t.url, { batch: [v1Event()] }) },
  { code: 'invalid_batch', how: 'V1 with created_at "Tuesday"', send: (t) => postV1(t.url, aV1Batch([v1Event()], { created_at: 'Tuesday' })) },
  { code: 'missing_event_uuid', how: 'V1 event with an empty uuid', send: (t) => postV1(t.url, aV1Batch([v1Event({ uuid: '' })])) },
  { code: 'invalid_event_uuid', how: 'V1 event with uuid "nope"', send: (t) => postV1(t.url, aV1Batch([v1Event({ uuid: 'nope' })])) },
  { code: 'duplicate_event_uuid', how: 'two V1 events with one uuid', send: (t) => { const e = v1Event(); return postV1(t.url, aV1Batch([e, e])) } },
  { code: 'payload_too_large', how: 'a V1 body over CAPTURE_V1_MAX_COMPRESSED_BODY_BYTES', send: (t) => postV1(t.url, aV1Batch([v1Event({ properties: { blob: 'b'.repeat(65 * KIB) } })])) },
  { code: 'body_read_timeout', how: 'a V1 body that stalls past BODY_CHUNK_READ_TIMEOUT_MS', send: stalledV1Body },
  { code: 'billing_limit_exceeded', how: 'V1 for a token over its events quota', app: 'quota', send: (t) => postV1(t.url, aV1Batch([v1Event()])) },
]

describe('error catalogue from the wire', () => {
  let main: TestApp
  let rate: TestApp
  let quota: TestApp
  before(async () => {
    main = await startTestApp({ env })
    rate = await startTestApp({ env: rateEnv })
    quota = await startTestApp({ overrides: { limiter: { decide: async ({ events }) => ({ decisions: events.map(() => DROP_OVER_QUOTA), quotaLimited: ['events'] }) } } })
  })
  after(async () => {
    await main.close()
    await rate.close()
    await quota.close()
  })

  for (const { code, how, app, send } of V1_CASES) {
    const spec = codes[code]
    it(`${code}: ${how} → ${spec.status} (Capture V1 body)`, async () => {
      const reply = await send(app === 'quota' ? quota : main)
      assert.equal(reply.status, spec.status, reply.text.slice(0, 300))
      assert.match(String(reply.headers['content-type']), /^application\/json/)
      const body = JSON.parse(reply.text) as { error: string; error_description: string; error_uri: string }
      assert.equal(body.error, code)
      assert.equal(typeof body.error_description, 'string')
      assert.match(body.error_uri, /^https:\/\/posthog\.com\/docs\//)
      if (spec.status === 408) assert.equal(reply.headers['retry-after'], '1')
    })
  }

  for (const { code, how, app, send } of CASES) {
    const spec = codes[code]
    it(`${code}: ${how} → ${spec.status} ${spec.type}`, async () => {
      const reply = await send(app === 'rate' ? rate : main)
      assert.equal(reply.status, spec.status, reply.text.slice(0, 300))
      assert.match(String(reply.headers['content-type']), /^application\/json/)
      const body = errorOf(reply)
      assert.equal(body.code, code)
      assert.equal(body.type, spec.type)
      if (spec.status === 429 || spec.status === 503) assert.match(String(reply.headers['retry-after']), /^\d+$/)
      if (spec.status === 413) {
        assert.equal(typeof body.limit_bytes, 'number', `413 without limit_bytes: ${reply.text}`)
        assert.equal(typeof body.size_bytes, 'number', `413 without size_bytes: ${reply.text}`)
        assert.ok(body.size_bytes! > body.limit_bytes!)
      }
      // Every refusal leaves the server serving.
      const probe = await postJson(main.url, '/e/', anEvent())
      assert.equal(probe.status, 200)
    })
  }

  it('reaches every catalogue code, or says why it cannot yet', () => {
    const covered = new Set<string>([...CASES, ...V1_CASES].map((c) => c.code))
    const excused = new Set(Object.keys(NOT_YET_REACHABLE))
    const catalogue = Object.keys(codes)
    const missing = catalogue.filter((code) => !covered.has(code) && !excused.has(code))
    assert.deepEqual(missing, [], `codes without a case or a reason: ${missing.join(', ')}`)
    const stale = [...excused].filter((code) => covered.has(code) || !catalogue.includes(code))
    assert.deepEqual(stale, [], `NOT_YET_REACHABLE lists codes that are covered or gone: ${stale.join(', ')}`)
  })
})
