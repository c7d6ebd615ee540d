/**
 * Capture SIGKILLed while its spool holds events: a capture whose Kafka is
 * unreachable (a port nobody listens on) acknowledges events into the spool
 * and is killed; a new capture on the same DATA_DIR, with the real broker
 * (KAFKA_HOSTS), forwards every one of them, each exactly once, and
 * deletes the dead process's segment once it is forwarded.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { anEvent, metricValue, postJson, request, TOKEN } from '../helpers/http-client.js'
import { createTopics, eventually, kafkaHosts, readTopics, runPrefix } from '../helpers/kafka.js'
import { exitOf, freePort, spawnServer } from '../helpers/server-process.js'

const hosts = kafkaHosts()
const dirs: string[] = []
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

describe('capture killed while the spool holds events', { timeout: 120_000 }, () => {
  it('forwards them, exactly once, after a restart with Kafka reachable', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'capture-kafka-crash-'))
    dirs.push(dataDir)
    const topic = `${runPrefix('crash')}_events`
    await createTopics(hosts, [topic], { partitions: 4 })
    const env = { KAFKA_TOPIC: topic, KAFKA_CONNECT_TIMEOUT_MS: '2000' }

    const first = await spawnServer({ dataDir, env: { ...env, KAFKA_HOSTS: `127.0.0.1:${await freePort()}` } })
    const acked: string[] = []
    try {
      for (let n = 0; n < 30; n++) {
        const events = Array.from({ length: 4 }, (_, i) => anEvent({ distinct_id: `user-${i}`, properties: { n } }))
        const reply = await postJson(first.url, '/batch', { api_key: TOKEN, batch: events })
        assert.equal(reply.status, 200, reply.text)
        acked.push(...events.map((e) => e.uuid))
      }
      assert.equal(metricValue((await request(first.url, '/metrics')).text, 'capture_spool_written_total'), 120)
    } finally {
      first.child.kill('SIGKILL')
      await exitOf(first, 10_000)
    }
    const leftBehind = (await readdir(path.join(dataDir, 'spool'))).filter((f) => f.endsWith('.ndjson'))
    assert.equal(leftBehind.length, 1)

    const second = await spawnServer({ dataDir, env: { ...env, KAFKA_HOSTS: hosts } })
    try {
      await eventually('the spool to be forwarded', async () => metricValue((await request(second.url, '/metrics')).text, 'capture_spool_drained_total') >= 120, 30_000)
      await eventually('the dead segment to be deleted', async () => !(await readdir(path.join(dataDir, 'spool'))).includes(leftBehind[0]!), 10_000)
    } finally {
      second.child.kill('SIGTERM')
      await exitOf(second, 20_000)
    }
    const uuids = (await readTopics(hosts, [topic])).map((r) => r.headers.uuid!)
    assert.deepEqual([...uuids].sort(), [...acked].sort())
  })
})
