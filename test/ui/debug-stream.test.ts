/**
 * The debugger's stream against a viewer that stops reading (a stalled or
 * far too slow browser), on a real capture process with two workers: capture
 * keeps answering at once, the stream drops what the viewer cannot take
 * instead of buffering it (3000 events of 8 KiB: far more than the stream's
 * 1 MiB budget and the kernel's socket buffers), and every event is accounted for: delivered, or
 * counted in a `skipped` message that says why.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import http, { type IncomingMessage } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { post } from '../helpers/http-client.js'
import { collectSse, type SseMessage as Message } from '../helpers/sse.js'
import { exitOf, spawnServer, type ServerProcess } from '../helpers/server-process.js'

const DEBUG_TOKEN = 'stream-test-debug-token-42b1d0'
const TOKEN = 'phc_debug_stream_test'
const EVENTS = 3000
const PER_REQUEST = 50

/** Opens /_debug/events and leaves the response paused: nothing is read until `resume()`. */
function openStalledStream(url: string): Promise<{ res: IncomingMessage; resume(): Message[] }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/_debug/events`, { headers: { authorization: `Bearer ${DEBUG_TOKEN}` } }, (res) => {
      assert.equal(res.statusCode, 200)
      const resume = (): Message[] => collectSse(res)
      resolve({ res, resume })
    })
    req.on('error', reject)
  })
}

describe('debug stream with a viewer that stops reading', () => {
  let server: ServerProcess
  let dataDir: string

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'capture-debug-stream-'))
    server = await spawnServer({ dataDir, env: { WORKERS: '2', DEBUG_UI_TOKEN: DEBUG_TOKEN, DEBUG_UI_EVENTS_PER_SECOND: '10000' } })
  })

  after(async () => {
    if (server !== undefined) {
      server.child.kill('SIGTERM')
      await exitOf(server, 15_000)
    }
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  })

  it('keeps capture answering, drops what the viewer cannot take, and accounts for every event', async () => {
    const stream = await openStalledStream(server.url)
    await sleep(300)
    const padding = 'x'.repeat(8192)
    const slowest: number[] = []
    for (let sent = 0; sent < EVENTS; sent += PER_REQUEST) {
      const batch = Array.from({ length: PER_REQUEST }, (_, i) => ({ event: 'stalled', distinct_id: `s-${sent + i}`, properties: { padding } }))
      const started = Date.now()
      const reply = await post(server.url, '/batch/', JSON.stringify({ api_key: TOKEN, batch }))
      slowest.push(Date.now() - started)
      assert.equal(reply.status, 200)
    }
    // Capture did not wait for the viewer: no request took anything like a stalled write.
    assert.ok(Math.max(...slowest) < 5000, `slowest request ${Math.max(...slowest)} ms`)
    await sleep(1000)
    const messages = stream.resume()
    await sleep(1000)
    // One more event makes the stream report what it skipped before sending it.
    assert.equal((await post(server.url, '/i/v0/e/', JSON.stringify({ api_key: TOKEN, event: 'after', distinct_id: 'a' }))).status, 200)
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline && !messages.some((m) => m.type === 'event' && (m.data.headers as Record<string, string>).event === 'after')) await sleep(100)
    stream.res.destroy()

    const delivered = messages.filter((m) => m.type === 'event' && (m.data.headers as Record<string, string>).event === 'stalled').length
    const skipped = messages.filter((m) => m.type === 'skipped')
    const slowViewer = skipped.filter((m) => m.data.reason === 'slow_viewer').reduce((n, m) => n + (m.data.count as number), 0)
    const other = skipped.filter((m) => m.data.reason !== 'slow_viewer').reduce((n, m) => n + (m.data.count as number), 0)
    assert.ok(slowViewer > 0, `nothing skipped for the slow viewer (delivered ${delivered})`)
    assert.ok(delivered < EVENTS / 2, `delivered ${delivered} of ${EVENTS}: the stream buffered instead of dropping`)
    assert.equal(delivered + slowViewer + other, EVENTS, `delivered ${delivered} + skipped ${slowViewer} (slow) + ${other} (other)`)
  })

  it('ends open streams on SIGTERM, so shutdown does not wait for the browser', async () => {
    const stream = await openStalledStream(server.url)
    const ended = new Promise<void>((resolve) => stream.res.once('close', () => resolve()))
    stream.resume()
    const started = Date.now()
    server.child.kill('SIGTERM')
    const exit = await exitOf(server, 15_000)
    await ended
    assert.equal(exit.code, 0)
    assert.ok(Date.now() - started < 5000, `exit took ${Date.now() - started} ms`)
  })
})
