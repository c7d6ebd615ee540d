/**
 * Malformed HTTP over raw sockets: what node:http's parser refuses before any
 * route runs gets the catalogue's JSON error (not node's empty 400/431/417),
 * is counted in capture_http_malformed_requests_total{reason}, and the server
 * keeps serving. A request with more than 1000 headers is refused with 431
 * instead of having the rest dropped.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { anEvent, collect, connect, errorOf, metricValue, parseRawReply, postJson, request, TOKEN, type Reply } from '../helpers/http-client.js'
import { codes, type CaptureCode } from '../../src/errors/codes.js'

const HEAD = 'POST /e/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n'
const BODY = JSON.stringify(anEvent())

/** Writes `bytes` on a fresh connection and parses what comes back before the server closes it. */
async function exchange(t: TestApp, bytes: string): Promise<{ reply: Reply; closed: boolean }> {
  const socket = await connect(t.app.port)
  const outcome = collect(socket, 5_000)
  socket.write(Buffer.from(bytes, 'latin1'))
  const { received, closed } = await outcome
  socket.destroy()
  return { reply: parseRawReply(received), closed }
}

interface Case {
  readonly name: string
  readonly bytes: string
  readonly code: CaptureCode
  readonly reason: string
}

const CASES: readonly Case[] = [
  { name: 'a space in a header name', bytes: `${HEAD}Bad Name: 1\r\nContent-Length: 2\r\n\r\n{}`, code: 'malformed_request', reason: 'invalid_header' },
  { name: 'a control byte in a header value', bytes: `${HEAD}X-A: a\x01b\r\nContent-Length: 2\r\n\r\n{}`, code: 'malformed_request', reason: 'invalid_header' },
  { name: 'an obs-fold continuation line', bytes: `${HEAD}X-A: a\r\n  folded\r\nContent-Length: 2\r\n\r\n{}`, code: 'malformed_request', reason: 'invalid_header' },
  { name: 'a chunk size that is not hex', bytes: `${HEAD}Transfer-Encoding: chunked\r\n\r\nzz\r\n${BODY}\r\n0\r\n\r\n`, code: 'malformed_request', reason: 'invalid_chunk' },
  { name: 'Content-Length with Transfer-Encoding', bytes: `${HEAD}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, code: 'malformed_request', reason: 'invalid_framing' },
  { name: 'two different Content-Lengths', bytes: `${HEAD}Content-Length: 1\r\nContent-Length: 2\r\n\r\n{}`, code: 'malformed_request', reason: 'invalid_framing' },
  { name: 'a Content-Length that is not a number', bytes: `${HEAD}Content-Length: abc\r\n\r\n`, code: 'malformed_request', reason: 'invalid_framing' },
  { name: 'a raw non-ASCII byte in the request target', bytes: 'GET /e/\xe9 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', code: 'malformed_request', reason: 'invalid_target' },
  { name: 'an unknown HTTP version', bytes: 'GET /e/ HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n', code: 'http_version_not_supported', reason: 'invalid_version' },
  { name: 'LF-only line ends', bytes: 'GET /e/ HTTP/1.1\nHost: 127.0.0.1\n\n', code: 'http_version_not_supported', reason: 'invalid_version' },
  { name: 'something that is not a request line', bytes: 'G@T /e/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', code: 'malformed_request', reason: 'invalid_request_line' },
  { name: 'an HTTP/2 prior-knowledge preface', bytes: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', code: 'http_version_not_supported', reason: 'http2_preface' },
  { name: 'more than 16 KiB of headers', bytes: `${HEAD}X-Big: ${'a'.repeat(20_000)}\r\nContent-Length: 2\r\n\r\n{}`, code: 'headers_too_large', reason: 'header_overflow' },
  { name: 'an Expect other than 100-continue', bytes: `${HEAD}Expect: 200-ok\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`, code: 'expectation_failed', reason: 'unsupported_expect' },
  { name: 'an HTTP/1.1 request without Host', bytes: `POST /e/ HTTP/1.1\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`, code: 'malformed_request', reason: 'missing_host' },
  {
    name: '1001 headers',
    bytes: `${HEAD}${Array.from({ length: 1000 }, (_, i) => `x-${i}: 1\r\n`).join('')}Content-Length: ${BODY.length}\r\n\r\n${BODY}`,
    code: 'too_many_headers',
    reason: 'too_many_headers',
  },
]

describe('malformed HTTP', () => {
  let t: TestApp
  before(async () => {
    t = await startTestApp()
  })
  after(async () => {
    const envelopes = await t.envelopes()
    assert.ok(envelopes.every((envelope) => envelope.event === 'still_serving'), 'a malformed request wrote an event')
    await t.close()
  })

  const malformedCount = async (reason: string): Promise<number> =>
    metricValue((await request(t.url, '/metrics')).text, 'capture_http_malformed_requests_total', { reason }) || 0

  for (const { name, bytes, code, reason } of CASES) {
    it(`answers ${name} with ${codes[code].status} ${code} as JSON, closes, and counts it as ${reason}`, async () => {
      const before = await malformedCount(reason)
      const { reply, closed } = await exchange(t, bytes)
      assert.equal(reply.status, codes[code].status, reply.text)
      assert.match(String(reply.headers['content-type']), /^application\/json/)
      assert.equal(String(reply.headers.connection).toLowerCase(), 'close')
      const body = errorOf(reply)
      assert.equal(body.code, code)
      assert.equal(body.type, codes[code].type)
      assert.ok(closed, 'the server kept the connection open')
      assert.equal(await malformedCount(reason), before + 1)
      const probe = await postJson(t.url, '/e/', anEvent({ event: 'still_serving' }))
      assert.equal(probe.status, 200)
    })
  }

  it('still serves a request with exactly 1000 headers, reading the last of them', async () => {
    const headers = Array.from({ length: 996 }, (_, i) => `x-${i}: 1\r\n`).join('')
    const body = JSON.stringify(anEvent({ event: 'still_serving' }))
    // Host, Content-Type, 996 x-*, Authorization (the 999th) and Content-Length (the 1000th).
    const { reply } = await exchange(t, `${HEAD}${headers}Authorization: Bearer ${TOKEN}\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
    assert.equal(reply.status, 200, reply.text)
  })

  it('answers a head that never completes with 408 request_timeout as JSON', async () => {
    const slow = await startTestApp({ env: { HTTP1_HEADER_READ_TIMEOUT_MS: '300' } })
    try {
      const socket = await connect(slow.app.port)
      const outcome = collect(socket, 5_000)
      socket.write('POST /e/ HTTP/1.1\r\nHost: 127.0.0.1\r\n')
      const { received } = await outcome
      socket.destroy()
      const reply = parseRawReply(received)
      assert.equal(reply.status, 408)
      assert.equal(errorOf(reply).code, 'request_timeout')
    } finally {
      await slow.close()
    }
  })
})
