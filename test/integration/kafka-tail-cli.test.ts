/**
 * `posthog-capture kafka tail` against the real broker (KAFKA_HOSTS): what a
 * Kafka-mode capture wrote is printed back decoded as the envelope, one JSON
 * line per message with partition and offset; -n bounds it per partition;
 * following prints what arrives later; nothing is committed.
 */
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { runCli } from '../../src/cli/main.js'
import type { TailLine } from '../../src/cli/kafka-record.js'
import { anEvent, postJson, TOKEN } from '../helpers/http-client.js'
import { createTopics, eventually, kafkaHosts, readTopics, runPrefix } from '../helpers/kafka.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const hosts = kafkaHosts()
const topic = `${runPrefix('tail')}_events`
let app: TestApp

function tail(args: string[], signal = new AbortController().signal): { done: Promise<number>; lines: () => TailLine[]; stderr: () => string } {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
  const done = runCli(['kafka', 'tail', '--topic', topic, ...args], {
    stdout, stderr, env: { KAFKA_HOSTS: hosts, KAFKA_CONNECT_TIMEOUT_MS: '5000' }, signal,
  })
  return { done, lines: () => out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as TailLine), stderr: () => err }
}

async function capture(distinctIds: string[]): Promise<void> {
  const reply = await postJson(app.url, '/batch', { api_key: TOKEN, batch: distinctIds.map((id) => anEvent({ distinct_id: id, properties: { plan: 'free' } })) })
  assert.equal(reply.status, 200, reply.text)
}

before(async () => {
  await createTopics(hosts, [topic], { partitions: 2 })
  app = await startTestApp({ env: { KAFKA_HOSTS: hosts, KAFKA_TOPIC: topic, LOG_LEVEL: 'silent' } })
  await capture(['a', 'b', 'c', 'd', 'e', 'f'])
})
after(() => app?.close())

describe('posthog-capture kafka tail', { timeout: 120_000 }, () => {
  it('--from-start --no-follow prints every message, decoded as the envelope, as Kafka holds it', async () => {
    const run = tail(['--from-start', '--no-follow'])
    assert.equal(await run.done, 0, run.stderr())
    const printed = run.lines()
    const inKafka = await readTopics(hosts, [topic])
    assert.equal(printed.length, 6)
    for (const line of printed) {
      const record = inKafka.find((r) => r.partition === line.partition && r.offset === line.offset)!
      assert.deepEqual(line.value, JSON.parse(record.valueText))
      assert.deepEqual([line.topic, line.key, line.headers], [topic, record.key, record.headers])
      assert.equal(typeof (line.value as { data: unknown }).data, 'string')
    }
    assert.deepEqual(printed.map((l) => (l.value as { distinct_id: string }).distinct_id).sort(), ['a', 'b', 'c', 'd', 'e', 'f'])
  })

  it('-n N prints at most the last N of each partition; --decode-data parses the event', async () => {
    const run = tail(['-n', '1', '--no-follow', '--decode-data'])
    assert.equal(await run.done, 0, run.stderr())
    const printed = run.lines()
    assert.ok(printed.length >= 1 && printed.length <= 2, `${printed.length} lines`)
    assert.equal(new Set(printed.map((l) => l.partition)).size, printed.length)
    for (const line of printed) assert.deepEqual((line.value as { data: { properties: unknown } }).data.properties, { plan: 'free' })
  })

  it('follows: prints messages captured after it started, until stopped', async () => {
    const stop = new AbortController()
    const run = tail(['-n', '0'], stop.signal)
    await new Promise((resolve) => setTimeout(resolve, 1500)) // assigned and polling
    await capture(['late-1', 'late-2'])
    await eventually('the late events in the tail', () => run.lines().length === 2, 30_000)
    stop.abort()
    assert.equal(await run.done, 0, run.stderr())
    assert.deepEqual(run.lines().map((l) => (l.value as { distinct_id: string }).distinct_id).sort(), ['late-1', 'late-2'])
  })

  it('fails with exit 1 naming the topic when it does not exist', async () => {
    const run = runCli(['kafka', 'tail', '--topic', `${topic}_missing`, '--no-follow'], {
      stdout: new PassThrough(), stderr: new PassThrough(), env: { KAFKA_HOSTS: hosts, KAFKA_CONNECT_TIMEOUT_MS: '5000' }, signal: new AbortController().signal,
    })
    assert.equal(await run, 1)
  })
})
