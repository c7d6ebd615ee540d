/**
 * Capture V1 exactly-once under a real Redis, across instances and workers:
 * two capture processes (A with one worker, B with two) share one Redis and
 * write to their own local logs. A resend of a request that A made durable
 * answers `ok` on B and writes nothing; and when A is SIGKILLed after it wrote
 * a request but before the client read any reply, the client's resend to B
 * lands every uuid exactly once across both logs.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { uuidDedupKey } from '../../src/limiters/uuid-dedup.js'
import { readLog } from '../../src/sinks/local-log/log-reader.js'
import { aV1Batch, aV1Event, postV1, resultsOf, V1_PATH, v1Headers } from '../helpers/capture-v1.js'
import { TOKEN } from '../helpers/http-client.js'
import { randomPrefix, rawClient, requireRedisUrl } from '../helpers/redis.js'
import { spawnServer, type ServerProcess } from '../helpers/server-process.js'

let redisUrl: string
let prefix: string
const dirs: string[] = []
const servers: ServerProcess[] = []

async function instance(workers: number): Promise<{ server: ServerProcess; dataDir: string }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'capture-v1-eo-'))
  dirs.push(dataDir)
  const server = await spawnServer({ dataDir, env: { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, WORKERS: String(workers), LOG_LEVEL: 'warn' } })
  servers.push(server)
  return { server, dataDir }
}

async function uuidCounts(): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  for (const dir of dirs) {
    for await (const record of readLog(dir)) {
      const uuid = (record.value as { uuid: string }).uuid
      counts.set(uuid, (counts.get(uuid) ?? 0) + 1)
    }
  }
  return counts
}

/** Sends the request on a raw socket and never reads the reply: the client sees the attempt fail. */
function sendWithoutReading(port: number, body: string): net.Socket {
  const headers = { ...v1Headers(), host: `127.0.0.1:${port}`, 'content-length': String(Buffer.byteLength(body)) }
  const head = `POST ${V1_PATH} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${String(v)}`).join('\r\n')}\r\n\r\n`
  const socket = net.connect(port, '127.0.0.1')
  socket.on('error', () => {})
  socket.pause()
  socket.write(head + body)
  return socket
}

before(async () => {
  redisUrl = await requireRedisUrl()
  prefix = randomPrefix()
})

after(async () => {
  for (const server of servers) if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL')
  await Promise.all(servers.map((server) => server.exited))
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

describe('Capture V1 exactly-once with Redis and two instances', () => {
  it('answers ok on instance B for events A made durable, and B writes none of them', async () => {
    const a = await instance(1)
    const b = await instance(2)
    const events = Array.from({ length: 20 }, () => aV1Event())
    const first = await postV1(a.server.url, aV1Batch(events))
    assert.deepEqual(new Set(Object.values(resultsOf(first)).map((r) => r.result)), new Set(['ok']))
    // New connections each time: B's two workers both answer some of these.
    for (let attempt = 2; attempt <= 5; attempt++) {
      const again = await postV1(b.server.url, aV1Batch(events), { 'posthog-attempt': String(attempt) })
      assert.deepEqual(new Set(Object.values(resultsOf(again)).map((r) => r.result)), new Set(['ok']))
    }
    const counts = await uuidCounts()
    for (const event of events) assert.equal(counts.get(event.uuid), 1, event.uuid)
    a.server.child.kill('SIGTERM')
    b.server.child.kill('SIGTERM')
    await Promise.all([a.server.exited, b.server.exited])
  })

  it('lands every uuid once when A is SIGKILLed between its write and its reply and the client resends to B', async () => {
    const a = await instance(1)
    const b = await instance(1)
    const redis = rawClient(redisUrl)
    try {
      const events = Array.from({ length: 50 }, () => aV1Event({ distinct_id: `user-${randomUUID()}` }))
      const body = JSON.stringify(aV1Batch(events))
      const socket = sendWithoutReading(a.server.port, body)
      const keys = events.map((event) => prefix + uuidDedupKey(TOKEN, event.uuid))
      const deadline = Date.now() + 10_000
      while ((await redis.exists(...keys)) < keys.length) {
        assert.ok(Date.now() < deadline, 'A never marked its write durable')
        await sleep(1)
      }
      a.server.child.kill('SIGKILL')
      assert.equal((await a.server.exited).signal, 'SIGKILL')
      socket.destroy()
      const resend = await postV1(b.server.url, body, { 'posthog-attempt': '2' })
      assert.equal(resend.status, 200, resend.text)
      assert.deepEqual(new Set(Object.values(resultsOf(resend)).map((r) => r.result)), new Set(['ok']))
      const counts = await uuidCounts()
      for (const event of events) assert.equal(counts.get(event.uuid), 1, `${event.uuid} written ${counts.get(event.uuid) ?? 0} times`)
    } finally {
      redis.disconnect()
      b.server.child.kill('SIGTERM')
      await b.server.exited
    }
  })
})
