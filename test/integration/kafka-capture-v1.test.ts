/**
 * Capture V1 in Kafka mode, against the real broker (KAFKA_HOSTS): the same
 * V1 requests go to an app on the local log and to an app on Kafka with the
 * same clock; Kafka must hold exactly what the local log holds (topic, key,
 * headers, envelope bytes), the V1 mapping must be there (sent_at from
 * PostHog-Request-Timestamp, session_id header, historical topic, warnings
 * without a key), and a second attempt must answer ok without producing again.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { gzipSync } from 'node:zlib'
import { valueText } from '../../src/sinks/local-log/log-line.js'
import { aV1Batch, aV1Event, postV1, resultsOf } from '../helpers/capture-v1.js'
import { createTopics, kafkaHosts, readTopics, runPrefix, type ConsumedRecord } from '../helpers/kafka.js'
import { manualClock } from '../helpers/manual-clock.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const hosts = kafkaHosts()
const prefix = runPrefix('v1')
const topics = {
  KAFKA_TOPIC: `${prefix}_main`,
  KAFKA_OVERFLOW_TOPIC: `${prefix}_overflow`,
  KAFKA_HISTORICAL_TOPIC: `${prefix}_historical`,
  KAFKA_EXCEPTIONS_TOPIC: `${prefix}_exceptions`,
  KAFKA_HEATMAPS_TOPIC: `${prefix}_heatmaps`,
  KAFKA_CLIENT_INGESTION_WARNING_TOPIC: `${prefix}_warnings`,
}
const T0 = Date.UTC(2025, 0, 1, 12)
const SENT_AT = new Date(T0 + 5000).toISOString()

let local: TestApp
let kafka: TestApp
let records: ConsumedRecord[] = []
const plain = aV1Event({ event: 'v1 plain', distinct_id: 'k1', session_id: 'sess-k', timestamp: new Date(T0).toISOString() })
const personless = aV1Event({ event: 'v1 personless', distinct_id: 'anonymous', timestamp: new Date(T0).toISOString() })
const exception = aV1Event({ event: '$exception', distinct_id: 'k2', timestamp: new Date(T0).toISOString() })
const imported = aV1Event({ event: 'v1 imported', distinct_id: 'k3', timestamp: new Date(T0).toISOString() })

interface Stored { topic: string; key: string | null; headers: Record<string, string>; value: string }
const byUuid = (a: Stored, b: Stored): number => (a.headers.uuid! < b.headers.uuid! ? -1 : 1)

before(async () => {
  await createTopics(hosts, Object.values(topics), { partitions: 2 })
  const env = { ...topics, LOG_LEVEL: 'silent' }
  local = await startTestApp({ env, overrides: { clock: manualClock(T0) } })
  kafka = await startTestApp({ env: { ...env, KAFKA_HOSTS: hosts }, overrides: { clock: manualClock(T0) } })
  const headers = { 'posthog-request-timestamp': SENT_AT, 'content-encoding': 'gzip' }
  const bodies = [
    gzipSync(JSON.stringify(aV1Batch([plain, personless, exception]))),
    gzipSync(JSON.stringify(aV1Batch([imported], { historical_migration: true }))),
  ]
  for (const app of [local, kafka]) {
    for (const body of bodies) {
      const reply = await postV1(app.url, body, headers)
      assert.equal(reply.status, 200, reply.text)
      assert.ok(Object.values(resultsOf(reply)).every((r) => r.result === 'ok' || r.result === 'warning'), reply.text)
    }
  }
  const again = await postV1(kafka.url, bodies[0]!, { ...headers, 'posthog-attempt': '2' })
  assert.deepEqual(Object.values(resultsOf(again)).map((r) => r.result), ['ok', 'ok', 'ok'])
  records = await readTopics(hosts, Object.values(topics))
})

after(async () => {
  await local?.close()
  await kafka?.close()
})

describe('Capture V1 in Kafka mode', () => {
  it('puts on Kafka exactly what the local log stores, and nothing for the second attempt', async () => {
    const expected = (await local.readLog()).map((r) => ({ topic: r.topic, key: r.key, headers: r.headers, value: valueText(r.raw, r) })).sort(byUuid)
    const actual = records.map((r) => ({ topic: r.topic, key: r.key, headers: r.headers, value: r.valueText })).sort(byUuid)
    assert.equal(expected.length, 4)
    assert.deepEqual(actual, expected)
  })

  it('writes the V1 mapping: sent_at, session_id header, topics, a personless event without a key', () => {
    const find = (uuid: string): ConsumedRecord => records.find((r) => r.headers.uuid === uuid)!
    const p = find(plain.uuid)
    assert.equal(p.topic, topics.KAFKA_TOPIC)
    assert.equal(p.key, 'phc_test_token_0123456789:k1')
    assert.equal(p.headers.session_id, 'sess-k')
    assert.equal((p.value as Record<string, unknown>).sent_at, SENT_AT)
    assert.equal((p.value as Record<string, unknown>).timestamp, new Date(T0 - 5000).toISOString())
    assert.equal(find(personless.uuid).key, null)
    assert.equal(find(personless.uuid).headers.force_disable_person_processing, 'true')
    assert.equal(find(exception.uuid).topic, topics.KAFKA_EXCEPTIONS_TOPIC)
    assert.equal(find(imported.uuid).topic, topics.KAFKA_HISTORICAL_TOPIC)
    assert.equal(find(imported.uuid).headers.historical_migration, 'true')
  })
})
