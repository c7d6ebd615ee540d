/**
 * Early refusals over raw sockets: a client that writes its whole body
 * before it reads (python requests, curl) still receives the 413 sent while
 * it was uploading (lingering close, not an RST that turns into EPIPE), the
 * lingering is bounded, and a body dripped slower than BODY_READ_TIMEOUT_MS
 * allows is cut off with 408 although it never stalls.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { anEvent, collect, connect, dribble, errorOf, parseRawReply, postJson } from '../helpers/http-client.js'
import { LINGER_MAX_BYTES } from '../../src/http/lingering-close.js'

const MiB = 1024 * 1024

interface Outcome {
  readonly received: string
  readonly writeError?: string
}

/** Sends the head and the whole body, and reads only once the body is written (or the write failed). */
function sendThenRead(port: number, head: string, body: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    let received = ''
    let writeError: string | undefined
    socket.pause()
    socket.on('error', (err: NodeJS.ErrnoException) => (writeError ??= err.code ?? err.message))
    socket.on('close', () => resolve({ received, writeError }))
    socket.on('connect', () => {
      socket.write(head)
      socket.write(body, () => {
        socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')))
        socket.resume()
        socket.end()
      })
    })
  })
}

const head = (path: string, framing: string): string => `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${framing}\r\n\r\n`

describe('early refusals', () => {
  let t: TestApp
  before(async () => {
    t = await startTestApp({ env: { EVENT_BODY_SIZE: String(2 * MiB), BODY_CHUNK_READ_TIMEOUT_MS: '1000', BODY_READ_TIMEOUT_MS: '1500' } })
  })
  after(() => t.close())

  it('delivers the 413 to a client that uploads 8 MiB with Content-Length before reading, every time', async () => {
    const body = Buffer.alloc(8 * MiB, 0x20)
    for (let attempt = 0; attempt < 5; attempt++) {
      const { received, writeError } = await sendThenRead(t.app.port, head('/e/', `Content-Length: ${body.length}`), body)
      assert.ok(received.startsWith('HTTP/1.1 413'), `attempt ${attempt}: no 413 (write error ${writeError}): ${JSON.stringify(received.slice(0, 80))}`)
      assert.equal(errorOf(parseRawReply(received)).code, 'body_too_large')
    }
  })

  it('delivers the 413 to a chunked upload past the limit', async () => {
    const chunk = Buffer.alloc(MiB, 0x20)
    const chunks = Buffer.concat(Array.from({ length: 6 }, () => Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])).concat(Buffer.from('0\r\n\r\n')))
    const { received, writeError } = await sendThenRead(t.app.port, head('/e/', 'Transfer-Encoding: chunked'), chunks)
    assert.ok(received.startsWith('HTTP/1.1 413'), `no 413 (write error ${writeError}): ${JSON.stringify(received.slice(0, 80))}`)
  })

  it('stops reading a refused upload after LINGER_MAX_BYTES', async () => {
    const socket = await connect(t.app.port)
    const outcome = collect(socket, 20_000)
    socket.on('error', () => {})
    socket.write(head('/e/', `Content-Length: ${10 * LINGER_MAX_BYTES}`))
    const chunk = Buffer.alloc(MiB, 0x20)
    let sent = 0
    while (!socket.destroyed && sent < 4 * LINGER_MAX_BYTES) {
      sent += chunk.length
      if (!socket.write(chunk)) await new Promise((resolve) => { socket.once('drain', resolve); socket.once('close', resolve) })
    }
    const { closed, received } = await outcome
    socket.destroy()
    assert.ok(closed, 'the server kept reading')
    assert.ok(sent < 4 * LINGER_MAX_BYTES, `the server read all ${sent} bytes`)
    assert.ok(received.startsWith('HTTP/1.1 413'))
  })

  it('answers a body dripped one byte every 200 ms with 408 once BODY_READ_TIMEOUT_MS has passed', async () => {
    const socket = await connect(t.app.port)
    const outcome = collect(socket, 15_000)
    const started = performance.now()
    socket.write(head('/e/', 'Content-Length: 1000'))
    const dripping = dribble(socket, Array.from({ length: 100 }, () => ' '), 200)
    const { received, closed } = await outcome
    const elapsed = performance.now() - started
    socket.destroy()
    await dripping
    assert.ok(closed)
    const reply = parseRawReply(received)
    assert.equal(reply.status, 408, received.slice(0, 200))
    assert.match(errorOf(reply).detail, /within 1500 ms/)
    assert.ok(elapsed < 5_000, `the dripping client was held ${elapsed.toFixed(0)} ms`)
  })

  it('keeps serving', async () => {
    assert.equal((await postJson(t.url, '/e/', anEvent())).status, 200)
  })
})
