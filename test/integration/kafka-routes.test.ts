/**
 * What lands in Kafka for each route, against the real broker (KAFKA_HOSTS).
 *
 * The same requests go to two apps with the same clock and uuids: one on the
 * local log, one on Kafka. For every route, Kafka must hold exactly what the
 * local log holds (topic, key, headers, and the envelope bytes), and one
 * event is also checked field by field against upstream's envelope, key and
 * headers.
 * Routing: historical_migration batches, $exception, $$heatmap,
 * $$client_ingestion_warning and recordings each reach their own topic (every
 * topic name is unique to this run), and the batches carry lz4, the default
 * codec.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { valueText } from '../../src/sinks/local-log/log-line.js'
import { postJson, TOKEN, anEvent, aBareEvent, type Reply } from '../helpers/http-client.js'
import { createTopics, kafkaHosts, readTopics, runPrefix, type ConsumedRecord } from '../helpers/kafka.js'
import { fetchBatches } from '../helpers/kafka-wire.js'
import { manualClock } from '../helpers/manual-clock.js'
import { aSnapshotEvent, snapshotItems } from '../helpers/recordings.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const hosts = kafkaHosts()
const prefix = runPrefix('routes')
const topics = {
  KAFKA_TOPIC: `${prefix}_main`,
  KAFKA_OVERFLOW_TOPIC: `${prefix}_overflow`,
  KAFKA_HISTORICAL_TOPIC: `${prefix}_historical`,
  KAFKA_EXCEPTIONS_TOPIC: `${prefix}_exceptions`,
  KAFKA_HEATMAPS_TOPIC: `${prefix}_heatmaps`,
  KAFKA_CLIENT_INGESTION_WARNING_TOPIC: `${prefix}_warnings`,
  KAFKA_DLQ_TOPIC: `${prefix}_dlq`,
  KAFKA_REPLAY_TOPIC: `${prefix}_replay`,
  KAFKA_REPLAY_OVERFLOW_TOPIC: `${prefix}_replay_overflow`,
}
const allTopics = Object.values(topics)
const T0 = Date.UTC(2025, 0, 1, 12)

function sequentialUuids(): () => string {
  let n = 0
  return () => `01940000-0000-7000-8000-${String(++n).padStart(12, '0')}`
}

let local: TestApp
let kafka: TestApp

async function both(path: string, body: unknown): Promise<[Reply, Reply]> {
  return [await postJson(local.url, path, body), await postJson(kafka.url, path, body)]
}

interface Stored { topic: string; key: string | null; headers: Record<string, string>; value: string }

async function storedLocally(): Promise<Stored[]> {
  return (await local.readLog()).map((r) => ({ topic: r.topic, key: r.key, headers: r.headers, value: valueText(r.raw, r) }))
}

function storedInKafka(records: readonly ConsumedRecord[]): Stored[] {
  return records.map((r) => ({ topic: r.topic, key: r.key, headers: r.headers, value: r.valueText }))
}

const byUuidHeader = (a: Stored, b: Stored): number => (a.headers.uuid! + a.topic < b.headers.uuid! + b.topic ? -1 : 1)

let kafkaRecords: ConsumedRecord[] = []

before(async () => {
  await createTopics(hosts, allTopics, { partitions: 2 })
  const env = { ...topics, LOG_LEVEL: 'silent' }
  local = await startTestApp({ env, overrides: { clock: manualClock(T0), newUuid: sequentialUuids() } })
  kafka = await startTestApp({ env: { ...env, KAFKA_HOSTS: hosts }, overrides: { clock: manualClock(T0), newUuid: sequentialUuids() } })
  const replies: Reply[] = []
  for (const path of ['/e', '/engage', '/track', '/capture', '/i/v0/e', '/e/', '/batch/']) {
    replies.push(...await both(path, anEvent({ event: `route ${path}`, distinct_id: `user ${path}`, properties: { path } })))
  }
  replies.push(...await both('/batch', { api_key: TOKEN, batch: [aBareEvent({ event: 'batched', distinct_id: 'b1' }), aBareEvent({ event: 'batched', distinct_id: 'b2', uuid: undefined })] }))
  replies.push(...await both('/batch', { api_key: TOKEN, historical_migration: true, batch: [aBareEvent({ event: 'imported', distinct_id: 'h1' })] }))
  for (const event of ['$exception', '$$heatmap', '$$client_ingestion_warning']) replies.push(...await both('/i/v0/e', anEvent({ event, distinct_id: `u ${event}` })))
  for (const [i, path] of ['/s', '/capture/recording'].entries()) {
    replies.push(...await both(path, [aSnapshotEvent(snapshotItems(3), { uuid: undefined, timestamp: new Date(T0 - 1000 * (i + 1)).toISOString() })]))
  }
  for (const reply of replies) assert.equal(reply.status, 200, reply.text)
  kafkaRecords = await readTopics(hosts, allTopics)
})

after(async () => {
  await local?.close()
  await kafka?.close()
})

describe('Kafka mode: what each route writes', () => {
  it('puts on Kafka exactly the messages the local log stores: topic, key, headers and envelope bytes', async () => {
    const expected = (await storedLocally()).sort(byUuidHeader)
    const actual = storedInKafka(kafkaRecords).sort(byUuidHeader)
    assert.equal(expected.length, 15, expected.map((m) => m.headers.event ?? m.topic).join(", "))
    assert.deepEqual(actual, expected)
  })

  it('writes the upstream envelope, key and headers for an event on /e', () => {
    const record = kafkaRecords.find((r) => r.headers.event === 'route /e')
    assert.ok(record, 'no message for /e')
    assert.equal(record.topic, topics.KAFKA_TOPIC)
    assert.equal(record.key, `${TOKEN}:user /e`)
    const envelope = record.value as Record<string, unknown>
    const now = new Date(T0).toISOString()
    assert.deepEqual(Object.keys(envelope), ['uuid', 'distinct_id', 'ip', 'data', 'now', 'sent_at', 'token', 'event', 'timestamp'])
    assert.equal(envelope.distinct_id, 'user /e')
    assert.equal(envelope.ip, '127.0.0.1')
    assert.equal(envelope.now, now)
    assert.equal(envelope.sent_at, null)
    assert.equal(envelope.token, TOKEN)
    assert.equal(envelope.event, 'route /e')
    assert.equal(envelope.timestamp, now)
    const data = JSON.parse(envelope.data as string) as Record<string, unknown>
    assert.equal(data.event, 'route /e')
    assert.equal(data.uuid, envelope.uuid)
    assert.deepEqual((data.properties as Record<string, unknown>).path, '/e')
    assert.deepEqual(record.headers, { token: TOKEN, distinct_id: 'user /e', timestamp: String(T0), event: 'route /e', uuid: envelope.uuid, now })
  })

  it('routes each kind of event to its topic', () => {
    const topicOf = (event: string): string[] => [...new Set(kafkaRecords.filter((r) => r.headers.event === event).map((r) => r.topic))]
    assert.deepEqual(topicOf('route /batch/'), [topics.KAFKA_TOPIC])
    assert.deepEqual(topicOf('batched'), [topics.KAFKA_TOPIC])
    assert.deepEqual(topicOf('imported'), [topics.KAFKA_HISTORICAL_TOPIC])
    assert.deepEqual(topicOf('$exception'), [topics.KAFKA_EXCEPTIONS_TOPIC])
    assert.deepEqual(topicOf('$$heatmap'), [topics.KAFKA_HEATMAPS_TOPIC])
    assert.deepEqual(topicOf('$$client_ingestion_warning'), [topics.KAFKA_CLIENT_INGESTION_WARNING_TOPIC])
    assert.deepEqual([...new Set(kafkaRecords.filter((r) => r.topic === topics.KAFKA_REPLAY_TOPIC).map((r) => r.key))], ['01a215db-e4ef-7c20-b3ec-c7a110e2b06a'])
  })

  it('marks a historical_migration batch in the envelope and the headers', () => {
    const record = kafkaRecords.find((r) => r.headers.event === 'imported')!
    assert.equal((record.value as Record<string, unknown>).historical_migration, true)
    assert.equal(record.headers.historical_migration, 'true')
    assert.equal(record.key, `${TOKEN}:h1`)
  })

  it('stores the batches compressed with lz4 (the default KAFKA_COMPRESSION_CODEC)', async () => {
    const batches = await fetchBatches(hosts, topics.KAFKA_TOPIC, 2)
    assert.ok(batches.length > 0)
    assert.deepEqual([...new Set(batches.map((b) => b.codec))], ['lz4'])
  })
})
