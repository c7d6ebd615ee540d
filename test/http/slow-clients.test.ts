/**
 * Slow and lingering clients over raw sockets: a client that dribbles its
 * headers is cut off after HTTP1_HEADER_READ_TIMEOUT_MS, a body that stalls
 * longer than BODY_CHUNK_READ_TIMEOUT_MS gets 408 (or the connection closed),
 * other clients are served meanwhile, and keep-alive connections carry
 * several requests.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { anEvent, collect, connect, dribble, errorOf, postJson, request } from '../helpers/http-client.js'

const HEADER_TIMEOUT_MS = 500
const BODY_STALL_MS = 400

describe('slow clients', () => {
  let t: TestApp
  before(async () => {
    t = await startTestApp({ env: { HTTP1_HEADER_READ_TIMEOUT_MS: String(HEADER_TIMEOUT_MS), BODY_CHUNK_READ_TIMEOUT_MS: String(BODY_STALL_MS) } })
  })
  after(() => t.close())

  it('cuts off a client that sends its headers too slowly (slowloris)', async () => {
    const socket = await connect(t.app.port)
    const outcome = collect(socket, 15_000)
    const head = `POST /e/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${Array.from({ length: 200 }, (_, i) => `X-Slow-${i}: ${i}\r\n`).join('')}`
    // One header line every 100 ms: the whole head would take 20 s, far past the timeout.
    const writing = dribble(socket, head.match(/[^\n]*\n/g) ?? [], 100)
    const { closed, received } = await outcome
    socket.destroy()
    await writing
    assert.ok(closed, 'the server never closed the connection')
    if (received !== '') assert.match(received, /^HTTP\/1\.1 408/)
  })

  it('serves other clients while a slowloris client is connected', async () => {
    const socket = await connect(t.app.port)
    socket.write('POST /e/ HTTP/1.1\r\nHost: 127.0.0.1\r\n')
    for (let i = 0; i < 3; i++) {
      const event = anEvent()
      assert.equal((await postJson(t.url, '/e/', event)).status, 200)
    }
    socket.destroy()
  })

  it('answers a body that stalls past BODY_CHUNK_READ_TIMEOUT_MS with 408 request_timeout, or closes', async () => {
    const socket = await connect(t.app.port)
    const outcome = collect(socket, 15_000)
    const partial = JSON.stringify(anEvent()).slice(0, 20)
    socket.write(`POST /e/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n${partial}`)
    // While that body stalls, another client is served.
    assert.equal((await postJson(t.url, '/i/v0/e', anEvent())).status, 200)
    const { closed, received } = await outcome
    socket.destroy()
    assert.ok(closed, 'the server kept the stalled connection open')
    if (received !== '') {
      assert.match(received, /^HTTP\/1\.1 408 /)
      const body = received.slice(received.indexOf('\r\n\r\n') + 4)
      assert.equal(JSON.parse(body).code, 'request_timeout')
    }
  })

  it('answers a chunked body that stalls between chunks with 408', async () => {
    const chunks: Buffer[] = []
    const reply = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: t.app.port, path: '/batch', method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }))
      })
      req.on('error', reject)
      req.write('[')
      req.flushHeaders()
      // never finish the body
    })
    assert.equal(reply.status, 408)
    assert.equal(errorOf({ status: reply.status, headers: {}, body: Buffer.from(reply.text), text: reply.text }).code, 'request_timeout')
  })

  it('accepts a body that arrives slowly but never stalls past the timeout', async () => {
    const event = anEvent()
    const text = JSON.stringify(event)
    const socket = await connect(t.app.port)
    const outcome = collect(socket, 15_000)
    socket.write(`POST /e/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${text.length}\r\nConnection: close\r\n\r\n`)
    const pieces = text.match(/.{1,40}/g) ?? []
    await dribble(socket, pieces, BODY_STALL_MS / 4)
    const { received } = await outcome
    socket.destroy()
    assert.match(received, /^HTTP\/1\.1 200 /)
    assert.ok((await t.envelopes()).some((envelope) => envelope.uuid === event.uuid))
  })

  it('serves two requests on one keep-alive connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    try {
      const ports: number[] = []
      for (let i = 0; i < 2; i++) {
        const event = anEvent()
        const status = await new Promise<number>((resolve, reject) => {
          const body = JSON.stringify(event)
          const req = http.request({ host: '127.0.0.1', port: t.app.port, path: '/e/', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
            ports.push(res.socket.localPort ?? -1)
            res.resume()
            res.on('end', () => resolve(res.statusCode ?? 0))
          })
          req.on('error', reject)
          req.end(body)
        })
        assert.equal(status, 200)
        assert.ok((await t.envelopes()).some((envelope) => envelope.uuid === event.uuid))
      }
      assert.equal(ports[0], ports[1], 'the second request used a new connection')
    } finally {
      agent.destroy()
    }
  })

  it('serves two pipelined requests written at once on one raw connection', async () => {
    const first = JSON.stringify(anEvent())
    const second = JSON.stringify(anEvent())
    const socket = await connect(t.app.port)
    const outcome = collect(socket, 5_000)
    const message = (body: string, close: boolean): string =>
      `POST /e/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${close ? 'Connection: close\r\n' : ''}\r\n${body}`
    socket.write(message(first, false) + message(second, true))
    const { received } = await outcome
    socket.destroy()
    assert.equal(received.match(/HTTP\/1\.1 200 /g)?.length, 2, received)
  })
})

describe('timeout configuration', () => {
  it('starts with a body stall timeout far below the header timeout', async () => {
    const t = await startTestApp({ env: { BODY_CHUNK_READ_TIMEOUT_MS: '100', HTTP1_HEADER_READ_TIMEOUT_MS: '60000' } })
    try {
      assert.equal((await postJson(t.url, '/e/', anEvent())).status, 200)
    } finally {
      await t.close()
    }
  })
})

describe('graceful close with a request in flight', () => {
  it('finishes the in-flight request with 200, turns readiness to 503, then stops', async () => {
    const t = await startTestApp()
    const event = anEvent()
    const text = JSON.stringify(event)
    const socket = await connect(t.app.port)
    const outcome = collect(socket, 15_000)
    socket.write(`POST /e/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${text.length}\r\n\r\n${text.slice(0, 10)}`)
    await sleep(50)
    const closing = t.app.close()
    assert.equal(t.app.health.lifecycle(), 'draining')
    assert.equal(t.app.health.ready(), false)
    socket.write(text.slice(10))
    const { received } = await outcome
    socket.destroy()
    await closing
    assert.match(received, /^HTTP\/1\.1 200 /)
    assert.match(received, /connection: close/i)
    assert.ok((await t.envelopes()).some((envelope) => envelope.uuid === event.uuid))
    await t.close()
  })

  it('answers readiness 503 on a kept-alive connection while draining', async () => {
    const t = await startTestApp()
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    try {
      assert.equal((await request(t.url, '/_readiness', { agent })).status, 200)
      t.app.health.setLifecycle('draining')
      const reply = await request(t.url, '/_readiness', { agent })
      assert.equal(reply.status, 503)
      assert.equal(reply.headers.connection, 'close')
    } finally {
      agent.destroy()
      await t.close()
    }
  })
})
