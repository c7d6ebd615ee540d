/**
 * `capture log replay --to-kafka` against the real broker (KAFKA_HOSTS): a
 * local log written by the embedded default sink is pushed into Kafka as
 * stored; running it again resumes (sends only what was added since); it
 * fails cleanly, keeping its progress, when Kafka is unreachable.
 */
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { runCli } from '../../src/cli/main.js'
import { valueText } from '../../src/sinks/local-log/log-line.js'
import { anEvent, postJson, TOKEN } from '../helpers/http-client.js'
import { createTopics, kafkaHosts, readTopics, runPrefix } from '../helpers/kafka.js'
import { freePort } from '../helpers/server-process.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const hosts = kafkaHosts()
const topic = `${runPrefix('replay')}_events`
let app: TestApp

async function capture(count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    const reply = await postJson(app.url, '/batch', { api_key: TOKEN, batch: [anEvent({ distinct_id: `user-${n % 3}` }), anEvent({ distinct_id: `user-${n % 5}` })] })
    assert.equal(reply.status, 200)
  }
}

async function replay(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
  const code = await runCli(['log', 'replay', '--to-kafka', '--dir', app.dataDir, ...args], {
    stdout, stderr, env: { KAFKA_HOSTS: hosts, KAFKA_CONNECT_TIMEOUT_MS: '2000', ...env }, signal: new AbortController().signal,
  })
  return { code, stdout: out, stderr: err }
}

const storedUuids = async (): Promise<string[]> => (await app.readLog()).map((r) => r.headers.uuid!).sort()
const kafkaUuids = async (): Promise<string[]> => (await readTopics(hosts, [topic])).map((r) => r.headers.uuid!).sort()

before(async () => {
  await createTopics(hosts, [topic], { partitions: 3 })
  app = await startTestApp({ env: { KAFKA_TOPIC: topic } })
})
after(() => app?.close())

describe('capture log replay --to-kafka', { timeout: 120_000 }, () => {
  it('sends every stored message as stored, with a progress line on stderr', async () => {
    await capture(20)
    const result = await replay([])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /replayed 40 messages to Kafka/)
    assert.match(result.stderr, /replay \[#+\] 100%/)
    const stored = await app.readLog()
    const inKafka = await readTopics(hosts, [topic])
    assert.deepEqual(inKafka.map((r) => r.headers.uuid).sort(), stored.map((r) => r.headers.uuid).sort())
    for (const record of inKafka) {
      const line = stored.find((s) => s.headers.uuid === record.headers.uuid)!
      assert.equal(record.valueText, valueText(line.raw, line))
      assert.equal(record.key, line.key)
      assert.deepEqual(record.headers, line.headers)
    }
  })

  it('resumes: a second run sends only what was stored since the first', async () => {
    assert.match((await replay([])).stdout, /nothing to replay/)
    await capture(5)
    const result = await replay([])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /replayed 10 messages/)
    assert.deepEqual(await kafkaUuids(), await storedUuids())
  })

  it('fails with exit 1 and keeps its progress when Kafka is unreachable', async () => {
    await capture(3)
    const down = await replay([], { KAFKA_HOSTS: `127.0.0.1:${await freePort()}` })
    assert.equal(down.code, 1)
    assert.match(down.stderr, /could not connect to Kafka/)
    const result = await replay([])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /replayed 6 messages/)
    assert.deepEqual(await kafkaUuids(), await storedUuids())
  })

  it('refuses to run without KAFKA_HOSTS or without --to-kafka', async () => {
    const noHosts = await replay([], { KAFKA_HOSTS: '' })
    assert.equal(noHosts.code, 1)
    assert.match(noHosts.stderr, /KAFKA_HOSTS is not set/)
    const stderr = new PassThrough()
    let err = ''
    stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
    const code = await runCli(['log', 'replay', '--dir', app.dataDir], { stdout: new PassThrough(), stderr, env: {}, signal: new AbortController().signal })
    assert.equal(code, 2)
    assert.match(err, /--to-kafka is required/)
  })
})
