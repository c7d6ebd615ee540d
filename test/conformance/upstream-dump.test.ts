/**
 * Upstream replay (test/fixtures/upstream): every request in
 * PostHog's requests_dump.jsonl (recorded from Django capture with
 * posthog-js, posthog-node and a batch export) is posted to a fresh app whose
 * clock returns the line's `now`, and every message we write must match the
 * message Django produced, in order.
 *
 * Differences the comparison allows, as upstream's own replay does: `site_url`
 * is ignored, `sent_at` is compared as an instant (Python prints `+00:00` and
 * microseconds), and `type`/`library`/`library_version` are removed from the
 * expected `data` (capture keeps only RawEvent keys). Our envelope also carries
 * `event` and `timestamp` (MONO-mid+), checked for consistency.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { startTestApp } from '../helpers/test-app.js'
import { fixedClock } from '../../src/clock.js'
import { OK_BODY, send, FIXTURES_DIR } from './replay-http.js'

const UPSTREAM = `${FIXTURES_DIR}/upstream`

interface DumpLine {
  readonly path: string
  readonly method: string
  readonly content_encoding: string
  readonly content_type: string
  readonly ip: string
  readonly now: string
  readonly body: string
  readonly output: readonly DumpOutput[]
  readonly historical_migration?: boolean
}

interface DumpOutput {
  readonly uuid: string
  readonly distinct_id: string
  readonly ip: string
  readonly site_url: string
  readonly data: string
  readonly now: string
  readonly sent_at: string
  readonly token: string
}

function readDump(file: string): DumpLine[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => JSON.parse(line) as DumpLine)
}

const IGNORED_DATA_KEYS = ['type', 'library', 'library_version']

function expectedData(output: DumpOutput): Record<string, unknown> {
  const data = JSON.parse(output.data) as Record<string, unknown>
  for (const key of IGNORED_DATA_KEYS) delete data[key]
  return data
}

function assertSentAt(actual: unknown, expected: string, where: string): void {
  if (expected === '') {
    assert.equal(actual ?? null, null, `${where}: sent_at should be absent`)
    return
  }
  assert.equal(typeof actual, 'string', `${where}: sent_at should be a string`)
  assert.equal(Date.parse(actual as string), Date.parse(expected), `${where}: sent_at ${String(actual)} is not the instant ${expected}`)
}

function assertIsoTimestamp(value: unknown, where: string): void {
  assert.equal(typeof value, 'string', `${where}: timestamp should be a string`)
  assert.match(value as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, `${where}: timestamp is not ISO 8601`)
  assert.ok(!Number.isNaN(Date.parse(value as string)), `${where}: timestamp does not parse`)
}

/** Upstream trusts X-Forwarded-For from anyone; capture only when told to (test/http/client-ip.test.ts). */
const UPSTREAM_PROXY_TRUST = { TRUST_PROXY_HEADERS: 'true' }

async function replayLine(line: DumpLine): Promise<void> {
  const app = await startTestApp({ env: UPSTREAM_PROXY_TRUST, overrides: { clock: fixedClock(line.now) } })
  try {
    const headers: Record<string, string> = { 'x-forwarded-for': line.ip }
    if (line.content_encoding !== '') headers['content-encoding'] = line.content_encoding
    if (line.content_type !== '') headers['content-type'] = line.content_type
    const res = await send(app.url, { method: line.method, path: line.path, headers, body: Buffer.from(line.body, 'base64') })
    assert.equal(res.status, 200, `status ${res.status}: ${res.text}`)
    assert.equal(res.text, OK_BODY)

    const records = await app.readLog()
    assert.equal(records.length, line.output.length, 'number of messages')
    const topic = line.historical_migration === true ? 'events_plugin_ingestion_historical' : 'events_plugin_ingestion'
    line.output.forEach((expected, i) => {
      const where = `message ${i} (${expected.uuid})`
      const record = records[i]!
      const envelope = record.value as Record<string, unknown>
      assert.equal(record.topic, topic, `${where}: topic`)
      for (const field of ['uuid', 'distinct_id', 'ip', 'now', 'token'] as const) {
        assert.equal(envelope[field], expected[field], `${where}: ${field}`)
      }
      assertSentAt(envelope.sent_at, expected.sent_at, where)
      const data = JSON.parse(envelope.data as string) as Record<string, unknown>
      assert.deepEqual(data, expectedData(expected), `${where}: data`)
      assert.equal(envelope.event, data.event, `${where}: event`)
      assertIsoTimestamp(envelope.timestamp, where)
      assert.equal(record.key, `${expected.token}:${expected.distinct_id}`, `${where}: key`)
      assert.equal(record.headers.token, expected.token, `${where}: header token`)
      assert.equal(record.headers.distinct_id, expected.distinct_id, `${where}: header distinct_id`)
      assert.equal(record.headers.event, data.event, `${where}: header event`)
      assert.equal(record.headers.uuid, expected.uuid, `${where}: header uuid`)
      if (line.historical_migration === true) {
        assert.equal(envelope.historical_migration, true, `${where}: envelope historical_migration`)
        assert.equal(record.headers.historical_migration, 'true', `${where}: header historical_migration`)
      }
    })
  } finally {
    await app.close()
  }
}

describe('upstream requests_dump.jsonl replay', () => {
  const lines = readDump(`${UPSTREAM}/requests_dump.jsonl`)

  it('has the recorded lines to replay', () => {
    assert.equal(lines.length, 16)
  })

  lines.forEach((line, index) => {
    it(`${index}: ${line.method} ${line.path}`, () => replayLine(line))
  })
})

describe('upstream single_engage_event_payload.json', () => {
  it('lands as $identify when posted to /engage', async () => {
    const body = readFileSync(`${UPSTREAM}/single_engage_event_payload.json`)
    const fixture = JSON.parse(body.toString('utf8')) as { api_key: string; distinct_id: string; timestamp: string; properties: Record<string, unknown> }
    const app = await startTestApp({ env: UPSTREAM_PROXY_TRUST, overrides: { clock: fixedClock('2025-07-01T11:00:01.000Z') } })
    try {
      const res = await send(app.url, { method: 'POST', path: '/engage/', headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.0.0.1' }, body })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.text, OK_BODY)
      const records = await app.readLog()
      assert.equal(records.length, 1)
      const record = records[0]!
      const envelope = record.value as Record<string, unknown>
      assert.equal(record.topic, 'events_plugin_ingestion')
      assert.equal(envelope.event, '$identify')
      assert.equal(envelope.token, fixture.api_key)
      assert.equal(envelope.distinct_id, fixture.distinct_id)
      assert.equal(envelope.ip, '10.0.0.1')
      assert.equal(record.key, `${fixture.api_key}:${fixture.distinct_id}`)
      const data = JSON.parse(envelope.data as string) as Record<string, unknown>
      assert.equal(data.event, '$identify')
      assert.deepEqual(data.properties, fixture.properties)
      assert.equal(data.timestamp, fixture.timestamp)
    } finally {
      await app.close()
    }
  })
})
