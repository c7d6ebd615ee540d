/**
 * Capture V1 over real sockets: every header rule, encoding, limit and
 * whole-request validation code of docs/capture-v1.md, with its status and
 * its {error, error_description, error_uri} body; CORS, methods, and the
 * Date / PostHog-Request-Id headers every reply carries.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib'
import { request } from '../helpers/http-client.js'
import { aV1Batch, aV1Event, errorOf, postV1, resultsOf, V1_PATH, V1_REQUEST_ID } from '../helpers/capture-v1.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { zstdBomb, zstdFrame, zstdRaw } from '../helpers/zstd-frames.js'

let app: TestApp
before(async () => {
  app = await startTestApp({ env: { CAPTURE_V1_MAX_COMPRESSED_BODY_BYTES: String(64 * 1024), CAPTURE_V1_MAX_DECOMPRESSED_BODY_BYTES: String(256 * 1024) } })
})
after(() => app.close())

const oneEvent = (): Record<string, unknown> => aV1Batch([aV1Event()])

async function expectError(reply: { status: number; text: string }, status: number, tag: string): Promise<void> {
  assert.equal(reply.status, status, reply.text)
  const body = errorOf(reply as never)
  assert.equal(body.error, tag)
  assert.equal(typeof body.error_description, 'string')
  assert.equal(body.error_uri, tag === 'billing_limit_exceeded' ? 'https://posthog.com/docs/billing/limits' : 'https://posthog.com/docs/api')
}

describe('Capture V1 route', () => {
  it('answers POST on both paths with a result per event', async () => {
    for (const path of [V1_PATH, `${V1_PATH}/`]) {
      const event = aV1Event()
      const reply = await postV1(app.url, aV1Batch([event]), {}, path)
      assert.equal(reply.status, 200, reply.text)
      assert.deepEqual(resultsOf(reply), { [event.uuid]: { result: 'ok' } })
      assert.equal(reply.headers['content-type'], 'application/json')
      assert.equal(reply.headers['retry-after'], undefined)
    }
  })

  it('echoes PostHog-Request-Id and sends Date on success and on errors', async () => {
    for (const headers of [{}, { authorization: undefined }]) {
      const reply = await postV1(app.url, oneEvent(), headers)
      assert.equal(reply.headers['posthog-request-id'], V1_REQUEST_ID)
      assert.ok(!Number.isNaN(Date.parse(reply.headers.date!)), reply.headers.date)
    }
  })

  it('answers GET with 405 and the V1 error body', async () => {
    const reply = await request(app.url, V1_PATH, { method: 'GET' })
    await expectError(reply, 405, 'method_not_allowed')
    assert.equal(reply.headers.allow, 'POST, OPTIONS')
  })

  it('answers a preflight with the origin and requested headers mirrored, credentials, POST and OPTIONS', async () => {
    const reply = await request(app.url, V1_PATH, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, posthog-attempt' },
    })
    assert.equal(reply.status, 200)
    assert.equal(reply.headers['access-control-allow-origin'], 'https://app.example')
    assert.equal(reply.headers['access-control-allow-credentials'], 'true')
    assert.equal(reply.headers['access-control-allow-methods'], 'POST, OPTIONS')
    assert.equal(reply.headers['access-control-allow-headers'], 'authorization, posthog-attempt')
  })

  it('sends the CORS headers on errors too', async () => {
    const reply = await postV1(app.url, oneEvent(), { origin: 'https://app.example', authorization: undefined })
    assert.equal(reply.status, 401)
    assert.equal(reply.headers['access-control-allow-origin'], 'https://app.example')
  })

  it('is a plain 404 with CAPTURE_V1_ENABLED=false', async () => {
    const off = await startTestApp({ env: { CAPTURE_V1_ENABLED: 'false' } })
    try {
      const reply = await postV1(off.url, oneEvent())
      assert.equal(reply.status, 404)
    } finally {
      await off.close()
    }
  })
})

describe('Capture V1 headers', () => {
  it('401 missing_authorization without Authorization, before any other header rule', async () => {
    await expectError(await postV1(app.url, oneEvent(), { authorization: undefined, 'posthog-attempt': undefined }), 401, 'missing_authorization')
  })

  it('400 missing_required_headers naming every missing header', async () => {
    const reply = await postV1(app.url, oneEvent(), { 'posthog-attempt': undefined, 'user-agent': undefined, 'posthog-sdk-info': undefined })
    await expectError(reply, 400, 'missing_required_headers')
    for (const name of ['PostHog-Attempt', 'User-Agent', 'PostHog-Sdk-Info']) assert.match(errorOf(reply).error_description, new RegExp(name))
  })

  for (const name of ['posthog-request-id', 'posthog-request-timestamp', 'content-type']) {
    it(`400 missing_required_headers without ${name}`, async () => {
      await expectError(await postV1(app.url, oneEvent(), { [name]: undefined }), 400, 'missing_required_headers')
    })
  }

  it('400 invalid_header_value for a scheme other than Bearer', async () => {
    await expectError(await postV1(app.url, oneEvent(), { authorization: 'Basic abc' }), 400, 'invalid_header_value')
  })

  it('takes the Bearer scheme in any case and trims the token', async () => {
    const reply = await postV1(app.url, oneEvent(), { authorization: 'bEaReR   phc_trimmed  ' })
    assert.equal(reply.status, 200, reply.text)
  })

  for (const [what, value] of [['empty', 'Bearer '], ['too long', `Bearer ${'x'.repeat(65)}`], ['personal', 'Bearer phx_abc']] as const) {
    it(`401 invalid_api_token for a ${what} token`, async () => {
      await expectError(await postV1(app.url, oneEvent(), { authorization: value }), 401, 'invalid_api_token')
    })
  }

  it('415 unsupported_content_type for anything but application/json', async () => {
    await expectError(await postV1(app.url, oneEvent(), { 'content-type': 'text/plain' }), 415, 'unsupported_content_type')
  })

  it('takes application/json in any case with parameters', async () => {
    assert.equal((await postV1(app.url, oneEvent(), { 'content-type': 'Application/JSON; charset=utf-8' })).status, 200)
  })

  for (const encoding of ['identity', 'compress', 'lz64']) {
    it(`415 unsupported_encoding for Content-Encoding ${encoding}`, async () => {
      await expectError(await postV1(app.url, oneEvent(), { 'content-encoding': encoding }), 415, 'unsupported_encoding')
    })
  }

  for (const [name, value] of [
    ['posthog-request-id', 'not-a-uuid'],
    ['posthog-attempt', '0'],
    ['posthog-attempt', 'two'],
    ['posthog-attempt', '4294967296'],
    ['posthog-request-timestamp', 'yesterday'],
    ['posthog-request-timestamp', '2026-01-01T00:00:00'],
  ] as const) {
    it(`400 invalid_header_value for ${name}: ${value}`, async () => {
      await expectError(await postV1(app.url, oneEvent(), { [name]: value }), 400, 'invalid_header_value')
    })
  }

  it('400 invalid_header_value for a header that is not visible ASCII', async () => {
    await expectError(await postV1(app.url, oneEvent(), { 'user-agent': 'agent\u00e9' }), 400, 'invalid_header_value')
  })

  it('accepts any RFC 3339 offset and an unusable PostHog-Sdk-Info without error', async () => {
    const event = aV1Event()
    const reply = await postV1(app.url, aV1Batch([event]), { 'posthog-request-timestamp': '2026-01-01T02:00:00.5+02:00', 'posthog-sdk-info': 'no-slash' })
    assert.equal(reply.status, 200, reply.text)
    const envelope = (await app.envelopes()).find((e) => e.uuid === event.uuid)!
    const data = JSON.parse(envelope.data as string) as { properties: Record<string, unknown> }
    assert.equal(data.properties.$lib, undefined)
    assert.equal(envelope.sent_at, '2026-01-01T00:00:00.500Z')
  })
})

const zstd = (input: Buffer): Buffer => zstdRaw(input)

describe('Capture V1 encodings', () => {
  const encoders: Record<string, (input: Buffer) => Buffer> = {
    gzip: (input) => gzipSync(input),
    'deflate (zlib)': (input) => deflateSync(input),
    'deflate (raw)': (input) => deflateRawSync(input),
    br: (input) => brotliCompressSync(input),
    zstd,
  }
  for (const [name, encode] of Object.entries(encoders)) {
    it(`decodes ${name}`, async () => {
      const event = aV1Event()
      const reply = await postV1(app.url, encode(Buffer.from(JSON.stringify(aV1Batch([event])))), { 'content-encoding': name.split(' ')[0]!.toUpperCase() })
      assert.equal(reply.status, 200, reply.text)
      assert.deepEqual(resultsOf(reply), { [event.uuid]: { result: 'ok' } })
    })
  }

  for (const encoding of ['gzip', 'deflate', 'br', 'zstd']) {
    it(`400 request_decoding_error for a corrupt ${encoding} body`, async () => {
      await expectError(await postV1(app.url, Buffer.from('definitely not compressed'), { 'content-encoding': encoding }), 400, 'request_decoding_error')
    })
  }

  it('400 request_decoding_error for a body that is not UTF-8', async () => {
    await expectError(await postV1(app.url, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 400, 'request_decoding_error')
  })
})

describe('Capture V1 limits', () => {
  it('413 payload_too_large for a body over CAPTURE_V1_MAX_COMPRESSED_BODY_BYTES', async () => {
    const big = aV1Batch([aV1Event({ properties: { blob: 'x'.repeat(70 * 1024) } })])
    await expectError(await postV1(app.url, big), 413, 'payload_too_large')
  })

  for (const [name, encode] of [['gzip', (b: Buffer) => gzipSync(b)], ['br', (b: Buffer) => brotliCompressSync(b)], ['zstd', (b: Buffer) => zstdBomb(b.length)]] as const) {
    it(`413 payload_too_large for ${name} that inflates past CAPTURE_V1_MAX_DECOMPRESSED_BODY_BYTES`, async () => {
      const bomb = encode(Buffer.from(JSON.stringify(aV1Batch([aV1Event({ properties: { blob: ' '.repeat(1024 * 1024) } })]))))
      assert.ok(bomb.length < 64 * 1024)
      await expectError(await postV1(app.url, bomb, { 'content-encoding': name }), 413, 'payload_too_large')
    })
  }

  it('413 payload_too_large for a zstd frame whose window is larger than the cap, before decoding it', async () => {
    const frame = zstdFrame([{ raw: Buffer.from(JSON.stringify(aV1Batch([aV1Event()]))) }], { windowLog: 30 })
    await expectError(await postV1(app.url, frame, { 'content-encoding': 'zstd' }), 413, 'payload_too_large')
  })
})

describe('Capture V1 body schema', () => {
  const cases: [string, string | Record<string, unknown>, number, string][] = [
    ['an empty body', '', 400, 'empty_body'],
    ['JSON that does not parse', '{"batch": [', 400, 'request_parsing_error'],
    ['a JSON array', '[]', 400, 'request_parsing_error'],
    ['no created_at', { batch: [aV1Event()] }, 400, 'request_parsing_error'],
    ['a created_at that is not RFC 3339', aV1Batch([aV1Event()], { created_at: 'Tuesday' }), 400, 'invalid_batch'],
    ['no batch', { created_at: '2026-01-01T00:00:00Z' }, 400, 'request_parsing_error'],
    ['an empty batch', aV1Batch([]), 400, 'empty_batch'],
    ['historical_migration that is not a boolean', aV1Batch([aV1Event()], { historical_migration: 'yes' }), 400, 'request_parsing_error'],
    ['an event that is not an object', aV1Batch([42]), 400, 'request_parsing_error'],
    ['an event without event', aV1Batch([{ ...aV1Event(), event: undefined }]), 400, 'request_parsing_error'],
    ['a numeric distinct_id', aV1Batch([aV1Event({ distinct_id: 7 as unknown as string })]), 400, 'request_parsing_error'],
    ['an event without timestamp', aV1Batch([{ ...aV1Event(), timestamp: undefined }]), 400, 'request_parsing_error'],
    ['a session_id that is not a string', aV1Batch([aV1Event({ session_id: 5 as unknown as string })]), 400, 'request_parsing_error'],
    ['an empty uuid', aV1Batch([aV1Event({ uuid: '  ' })]), 400, 'missing_event_uuid'],
    ['a uuid that is not one', aV1Batch([aV1Event({ uuid: 'nope' })]), 400, 'invalid_event_uuid'],
  ]
  for (const [what, body, status, tag] of cases) {
    it(`${status} ${tag} for ${what}`, async () => {
      await expectError(await postV1(app.url, body), status, tag)
    })
  }

  it('400 duplicate_event_uuid when two events share a uuid (in any of its spellings), writing nothing', async () => {
    const first = aV1Event()
    const before = (await app.readLog()).length
    const reply = await postV1(app.url, aV1Batch([first, aV1Event({ uuid: first.uuid.toUpperCase() })]))
    await expectError(reply, 400, 'duplicate_event_uuid')
    assert.equal((await app.readLog()).length, before)
  })

  it('keys results by the canonical lowercase uuid', async () => {
    const uuid = 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'
    const reply = await postV1(app.url, aV1Batch([aV1Event({ uuid })]))
    assert.deepEqual(Object.keys(resultsOf(reply)), [uuid.toLowerCase()])
  })

  it('ignores unknown keys and the classic api_key/token/sent_at', async () => {
    const event = aV1Event({ extra: true })
    const reply = await postV1(app.url, aV1Batch([event], { api_key: 'phc_other', token: 'phc_other', sent_at: 'x', unknown: 1 }))
    assert.equal(reply.status, 200, reply.text)
    const envelope = (await app.envelopes()).find((e) => e.uuid === event.uuid)!
    assert.equal(envelope.token, 'phc_test_token_0123456789')
  })
})
