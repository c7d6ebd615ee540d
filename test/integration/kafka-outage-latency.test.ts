/**
 * Kafka down must not turn into client-visible stalls (docs/kafka.md), with
 * real processes and a private broker that is SIGKILLed:
 * - a capture (re)started while Kafka is down serves at once, into the spool,
 *   instead of refusing connections for KAFKA_CONNECT_TIMEOUT_MS;
 * - requests in flight when the broker dies are spooled and answered within a
 *   few seconds, not after KAFKA_MESSAGE_TIMEOUT_MS;
 * - SIGTERM during the outage spools what is pending and exits within
 *   SHUTDOWN_TIMEOUT_MS; a capture started on the same DATA_DIR once the
 *   broker is back forwards the spool, and every acknowledged event is in
 *   Kafka.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { anEvent, postJson, TOKEN } from '../helpers/http-client.js'
import { createTopics, eventually, kafkaHosts, readTopics, runPrefix, startPrivateBroker } from '../helpers/kafka.js'
import { exitOf, freePort, spawnServer, type ServerProcess } from '../helpers/server-process.js'

kafkaHosts() // fail early without a broker setup
const cleanups: Array<() => Promise<unknown>> = []
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
})

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'capture-kafka-latency-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

async function start(dataDir: string, env: Record<string, string>): Promise<{ server: ServerProcess; readyMs: number }> {
  const started = Date.now()
  const server = await spawnServer({ dataDir, env })
  const readyMs = Date.now() - started
  cleanups.push(async () => {
    server.child.kill('SIGKILL')
    await exitOf(server, 5000)
  })
  return { server, readyMs }
}

interface Timed {
  readonly acked: Set<string>
  /** [start ms, duration ms] of every answered request. */
  readonly requests: Array<[number, number]>
  stop(): Promise<void>
}

function startLoad(url: string, clients: number, topicKey: string): Timed {
  const acked = new Set<string>()
  const requests: Array<[number, number]> = []
  let running = true
  const client = async (c: number): Promise<void> => {
    for (let n = 0; running; n++) {
      const events = Array.from({ length: 5 }, (_, i) => anEvent({ distinct_id: `${topicKey}-${c}`, properties: { n, i } }))
      const began = Date.now()
      try {
        const reply = await postJson(url, '/batch', { api_key: TOKEN, batch: events })
        requests.push([began, Date.now() - began])
        if (reply.status === 200) for (const event of events) acked.add(event.uuid)
      } catch {
        requests.push([began, Date.now() - began])
      }
      await sleep(20)
    }
  }
  const loops = Array.from({ length: clients }, (_, c) => client(c))
  return { acked, requests, stop: async () => { running = false; await Promise.all(loops) } }
}

describe('Kafka outage: latency seen by clients', { timeout: 300_000 }, () => {
  it('starts serving at once when Kafka is down, instead of after KAFKA_CONNECT_TIMEOUT_MS', async () => {
    const local = await start(await tempDir(), {})
    local.server.child.kill('SIGTERM')
    await exitOf(local.server, 20_000)
    const deadPort = await freePort()
    const down = await start(await tempDir(), { KAFKA_HOSTS: `127.0.0.1:${deadPort}`, KAFKA_CONNECT_TIMEOUT_MS: '15000' })
    process.stdout.write(`# ready after ${down.readyMs} ms with Kafka down (local log: ${local.readyMs} ms)\n`)
    assert.ok(down.readyMs < local.readyMs + 4000, `ready after ${down.readyMs} ms with Kafka down, ${local.readyMs} ms without Kafka`)
    const reply = await postJson(down.server.url, '/batch', { api_key: TOKEN, batch: [anEvent()] })
    assert.equal(reply.status, 200, 'the spool takes the events while Kafka is down')
  })

  it('spools requests in flight within seconds when the broker dies, exits promptly on SIGTERM during the outage, and loses nothing', async () => {
    const broker = await startPrivateBroker()
    cleanups.push(() => broker.stop())
    const topic = `${runPrefix('latency')}_events`
    await createTopics(broker.hosts, [topic], { partitions: 4 })
    const dataDir = await tempDir()
    const env = { KAFKA_HOSTS: broker.hosts, KAFKA_TOPIC: topic, KAFKA_MESSAGE_TIMEOUT_MS: '20000', SHUTDOWN_TIMEOUT_MS: '5000' }
    const { server } = await start(dataDir, env)
    const load = startLoad(server.url, 6, 'latency')
    let killedAt = 0
    let exitMs = 0
    try {
      await sleep(2000)
      killedAt = Date.now()
      await broker.kill()
      await sleep(6000)
      const termAt = Date.now()
      server.child.kill('SIGTERM')
      const exit = await exitOf(server, 30_000)
      exitMs = Date.now() - termAt
      assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}`)
    } finally {
      await load.stop()
    }
    const around = load.requests.filter(([began]) => began >= killedAt - 1000 && began <= killedAt + 4000)
    const slowest = Math.max(0, ...around.map(([, took]) => took))
    process.stdout.write(`# broker killed: ${around.length} requests around it, slowest ${slowest} ms; SIGTERM to exit ${exitMs} ms; ${load.acked.size} events acknowledged\n`)
    assert.ok(around.length > 0, 'no request was sent around the kill')
    assert.ok(slowest < 8000, `a request around the broker's death took ${slowest} ms (KAFKA_MESSAGE_TIMEOUT_MS is 20000)`)
    assert.ok(exitMs < 5000 + 3000, `SIGTERM during the outage took ${exitMs} ms to exit (SHUTDOWN_TIMEOUT_MS is 5000)`)

    await broker.restart()
    const { server: again } = await start(dataDir, env)
    const inKafka = new Set<string>()
    await eventually('every acknowledged event in Kafka', async () => {
      for (const record of await readTopics(broker.hosts, [topic], 10_000)) inKafka.add(record.headers.uuid!)
      return [...load.acked].every((uuid) => inKafka.has(uuid))
    }, 90_000, 1000)
    again.child.kill('SIGTERM')
    await exitOf(again, 20_000)
  })
})
