/**
 * Crash safety of the real process (a 200 means the event is durable): SIGKILL right after a 200 loses nothing; SIGTERM lets in-flight
 * requests finish and exits 0; with WORKERS=2 the primary runs two workers,
 * aggregates their metrics and stops cleanly.
 */
import { after, afterEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { readLog } from '../../src/sinks/local-log/log-reader.js'
import { anEvent, collect, connect, eventually, metricValue, postJson, request } from '../helpers/http-client.js'
import { exitOf, spawnServer, type ServerProcess } from '../helpers/server-process.js'

const running = new Set<ServerProcess>()
const dirs: string[] = []

async function start(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await spawnServer({ dataDir, env })
  running.add(server)
  void server.exited.then(() => running.delete(server))
  return server
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'capture-crash-'))
  dirs.push(dir)
  return dir
}

async function loggedUuids(dataDir: string): Promise<Set<string>> {
  const uuids = new Set<string>()
  for await (const record of readLog(dataDir)) uuids.add((record.value as { uuid: string }).uuid)
  return uuids
}

afterEach(async () => {
  for (const server of running) {
    server.child.kill('SIGKILL')
    await server.exited
  }
})
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

describe('SIGKILL after a 200', () => {
  it('keeps the acknowledged event across a kill and a restart on the same DATA_DIR', async () => {
    const dataDir = await tempDir()
    const first = await start(dataDir)
    const event = anEvent({ event: 'before_kill' })
    const reply = await postJson(first.url, '/e/', event)
    assert.equal(reply.status, 200, reply.text)
    first.child.kill('SIGKILL')
    assert.equal((await first.exited).signal, 'SIGKILL')

    const second = await start(dataDir)
    assert.ok((await loggedUuids(dataDir)).has(event.uuid), 'the acknowledged event is not in the log')
    const later = anEvent({ event: 'after_restart' })
    assert.equal((await postJson(second.url, '/e/', later)).status, 200)
    second.child.kill('SIGTERM')
    assert.equal((await exitOf(second, 40_000)).code, 0)
    const uuids = await loggedUuids(dataDir)
    assert.ok(uuids.has(event.uuid) && uuids.has(later.uuid))
  })

  it('keeps every acknowledged event when killed with requests still in flight', async () => {
    const dataDir = await tempDir()
    const server = await start(dataDir)
    const acknowledged: string[] = []
    let killed = false
    const sends = Array.from({ length: 200 }, async () => {
      const event = anEvent({ event: 'in_flight' })
      try {
        const reply = await postJson(server.url, '/e/', event)
        if (reply.status === 200 && !killed) acknowledged.push(event.uuid)
        // Kill as soon as 50 are acknowledged, with the rest still on the wire.
        if (acknowledged.length >= 50 && !killed) {
          killed = true
          server.child.kill('SIGKILL')
        }
      } catch {
        // refused or reset by the kill: not acknowledged
      }
    })
    await Promise.all(sends)
    await server.exited
    assert.ok(acknowledged.length >= 50)
    const uuids = await loggedUuids(dataDir)
    const lost = acknowledged.filter((uuid) => !uuids.has(uuid))
    assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged events are missing`)
  })
})

describe('SIGTERM', () => {
  it('finishes a slow in-flight request with 200, closes its connection and exits 0', async () => {
    const dataDir = await tempDir()
    const server = await start(dataDir, { SHUTDOWN_TIMEOUT_MS: '20000' })
    const event = anEvent({ event: 'slow_in_flight' })
    const text = JSON.stringify(event)
    const socket = await connect(server.port)
    const outcome = collect(socket, 30_000)
    // HTTP/1.1 keep-alive by default: the server has to end this connection itself.
    socket.write(`POST /e/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${text.length}\r\n\r\n${text.slice(0, 10)}`)
    await eventually(async () => metricValue((await request(server.url, '/metrics')).text, 'capture_http_inflight_requests') >= 2)

    server.child.kill('SIGTERM')
    await eventually(() => server.logLines().some((line) => line.msg === 'shutting down'))
    socket.write(text.slice(10))
    const { received, closed } = await outcome
    socket.destroy()
    assert.match(received, /^HTTP\/1\.1 200 /)
    // Told to close, the client does not reuse the connection and shutdown need not wait for SHUTDOWN_TIMEOUT_MS.
    assert.match(received, /\r\nConnection: close\r\n/i)
    assert.ok(closed, 'the server kept the connection open after the last reply')
    const exit = await exitOf(server, 40_000)
    assert.equal(exit.code, 0, server.output())
    assert.ok((await loggedUuids(dataDir)).has(event.uuid))
  })

  it('exits 0 promptly when idle keep-alive connections are open', async () => {
    const dataDir = await tempDir()
    const server = await start(dataDir, { SHUTDOWN_TIMEOUT_MS: '20000' })
    const socket = await connect(server.port)
    const outcome = collect(socket, 30_000)
    const text = JSON.stringify(anEvent())
    socket.write(`POST /e/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${text.length}\r\n\r\n${text}`)
    await eventually(() => server.logLines().length > 0 && !socket.destroyed)
    await eventually(async () => metricValue((await request(server.url, '/metrics')).text, 'capture_events_ingested_total', { route: 'events' }) >= 1)
    server.child.kill('SIGTERM')
    const { closed } = await outcome
    socket.destroy()
    assert.ok(closed)
    assert.equal((await exitOf(server, 40_000)).code, 0, server.output())
  })
})

describe('WORKERS=2', () => {
  it('runs two workers that share the port, aggregates /metrics, and exits 0 on SIGTERM', async () => {
    const dataDir = await tempDir()
    const server = await start(dataDir, { WORKERS: '2' })
    await eventually(() => new Set(server.logLines().filter((line) => line.msg === 'capture is serving').map((line) => line.pid)).size === 2)

    const events = Array.from({ length: 20 }, () => anEvent({ event: 'clustered' }))
    for (const event of events) assert.equal((await postJson(server.url, '/e/', event)).status, 200)

    const metrics = (await request(server.url, '/metrics')).text
    assert.equal(metricValue(metrics, 'capture_events_ingested_total', { route: 'events' }), events.length)
    assert.equal(metricValue(metrics, 'capture_events_received_total', { route: 'events' }), events.length)

    server.child.kill('SIGTERM')
    const exit = await exitOf(server, 60_000)
    assert.equal(exit.code, 0, server.output())
    const uuids = await loggedUuids(dataDir)
    for (const event of events) assert.ok(uuids.has(event.uuid), `event ${event.uuid} missing`)
    // Each worker writes its own segment; round-robin scheduling gave both some of the requests,
    // so the total above really was summed over two registries.
    const segments = new Set<string>()
    for await (const record of readLog(dataDir)) if ((record.value as { event: string }).event === 'clustered') segments.add(record.file)
    assert.equal(segments.size, 2, `events were written by ${segments.size} worker(s)`)
  })
})
