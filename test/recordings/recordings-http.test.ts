/**
 * Session recordings over real HTTP: the routes and encodings SDKs use, the
 * split of large recordings into ordered chunks under the message limit, the
 * 413 (and warning event) for a single item too large for any message, the
 * validation rules of docs/recordings.md, the recordings quota and the replay overflow
 * set. What was written is read back from the local log.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { gzipSync } from 'node:zlib'
import type { LogRecord } from '../../src/sinks/local-log/log-reader.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { errorOf, json, metricValue, post, postJson, request } from '../helpers/http-client.js'
import { aSnapshotEvent, bigItem, RECORDING_TOKEN, SESSION_ID, snapshotData, snapshotItems } from '../helpers/recordings.js'

const OK = '{"code":1,"status":"ok"}'
const MESSAGE_LIMIT = 1_000_000
const TEXT = { 'content-type': 'text/plain' }

/** Bytes of a logged message as the split counts them: value + key + headers. */
function messageBytes(record: LogRecord): number {
  let bytes = Buffer.byteLength(JSON.stringify(record.value)) + Buffer.byteLength(record.key ?? '')
  for (const [name, value] of Object.entries(record.headers)) bytes += Buffer.byteLength(name) + Buffer.byteLength(value)
  return bytes
}

describe('session recordings over HTTP', () => {
  let t: TestApp
  let seen = 0
  /** Log records written since the last call. */
  const newRecords = async (): Promise<LogRecord[]> => {
    const all = await t.readLog()
    const fresh = all.slice(seen)
    seen = all.length
    return fresh
  }

  before(async () => {
    t = await startTestApp()
  })
  after(() => t.close())

  for (const path of ['/s', '/s/', '/capture/recording', '/capture/recording/']) {
    it(`writes a gzip'd posthog-js recording sent to ${path}`, async () => {
      const items = snapshotItems(3)
      const reply = await post(t.url, path, gzipSync(JSON.stringify([aSnapshotEvent(items)])), TEXT)
      assert.equal(reply.status, 200, reply.text)
      assert.equal(reply.text, OK)
      const [record, ...rest] = await newRecords()
      assert.equal(rest.length, 0)
      assert.equal(record!.topic, 'session_recording_snapshot_item_events')
      assert.equal(record!.key, SESSION_ID)
      assert.deepEqual(snapshotData(record!.value).properties.$snapshot_items, items)
    })
  }

  it('accepts a sendBeacon body: ?compression=base64 with a urlencoded data= form', async () => {
    const body = new URLSearchParams({ data: Buffer.from(JSON.stringify([aSnapshotEvent([{ n: 1 }])])).toString('base64') }).toString()
    const reply = await post(t.url, '/s/?compression=base64', body, { 'content-type': 'application/x-www-form-urlencoded' })
    assert.equal(reply.status, 200, reply.text)
    assert.deepEqual(snapshotData((await newRecords())[0]!.value).properties.$snapshot_items, [{ n: 1 }])
  })

  it('accepts GET /s?data=<base64> and answers ?beacon=1 with 204', async () => {
    const data = encodeURIComponent(Buffer.from(JSON.stringify(aSnapshotEvent({ n: 2 }))).toString('base64'))
    const reply = await request(t.url, `/s/?data=${data}&beacon=1`)
    assert.equal(reply.status, 204)
    assert.equal((await newRecords()).length, 1)
  })

  it('answers OPTIONS with 200 and refuses PUT with 405', async () => {
    assert.equal((await request(t.url, '/s/', { method: 'OPTIONS' })).status, 200)
    assert.equal((await request(t.url, '/capture/recording', { method: 'PUT' })).status, 405)
  })

  it('splits a 10 MB recording into ordered chunks under 1 MB whose items concatenate to the original', async () => {
    const items = snapshotItems(20_000, 500)
    const reply = await post(t.url, '/s/', gzipSync(JSON.stringify([aSnapshotEvent(items.slice(0, 12_000)), aSnapshotEvent(items.slice(12_000))])), TEXT)
    assert.equal(reply.status, 200, reply.text)
    const records = await newRecords()
    assert.ok(records.length >= 10 && records.length <= 13, `${records.length} chunks`)
    const datas = records.map((record) => snapshotData(record.value))
    assert.deepEqual(datas.flatMap((data) => data.properties.$snapshot_items), items)
    records.forEach((record, index) => {
      assert.ok(messageBytes(record) <= MESSAGE_LIMIT, `chunk ${index}: ${messageBytes(record)} bytes`)
      assert.equal(record.key, SESSION_ID)
      assert.equal(record.topic, 'session_recording_snapshot_item_events')
      assert.equal(record.headers.chunk_index, String(index))
      assert.equal(record.headers.chunk_count, String(records.length))
      assert.equal(record.headers.chunk_id, records[0]!.headers.uuid)
      assert.equal(datas[index]!.properties.$snapshot_chunk_index, index)
      assert.equal(datas[index]!.properties.$snapshot_chunk_count, records.length)
    })
    assert.equal(new Set(records.map((record) => (record.value as { uuid: string }).uuid)).size, records.length)
  })

  it('refuses a recording holding one 3 MB item with 413 naming the limit, and logs a warning event', async () => {
    const reply = await post(t.url, '/s/', gzipSync(JSON.stringify([aSnapshotEvent([...snapshotItems(5), bigItem(3_000_000)])])), TEXT)
    assert.equal(reply.status, 413)
    const error = errorOf(reply)
    assert.equal(error.code, 'snapshot_item_too_large')
    assert.equal(error.limit_bytes, MESSAGE_LIMIT)
    assert.ok(error.size_bytes! > 3_000_000)
    assert.match(error.detail, /1000000 bytes \(RECORDING_MESSAGE_MAX_BYTES\)/)
    const records = await newRecords()
    assert.equal(records.length, 1, 'only the warning is written')
    assert.equal(records[0]!.topic, 'events_plugin_ingestion')
    const envelope = records[0]!.value as { event: string; token: string; data: string }
    assert.equal(envelope.event, '$$client_ingestion_warning')
    assert.equal(envelope.token, RECORDING_TOKEN)
    const properties = (JSON.parse(envelope.data) as { properties: Record<string, unknown> }).properties
    assert.equal(properties.$session_id, SESSION_ID)
    assert.equal(properties.$snapshot_item_index, 5)
    assert.equal(properties.$snapshot_message_max_bytes, MESSAGE_LIMIT)
    assert.match(String(properties.$$client_ingestion_warning_message), /dropped/)
  })

  const refusals: [string, Record<string, unknown>, string][] = [
    ['no $session_id', { $session_id: undefined }, 'missing_session_id'],
    ['a numeric $session_id', { $session_id: 12345 }, 'invalid_session_id'],
    ['a 71-character $session_id', { $session_id: 'a'.repeat(71) }, 'invalid_session_id'],
    ['a $session_id with an underscore', { $session_id: 'abc_def' }, 'invalid_session_id'],
    ['no $snapshot_data', { $snapshot_data: undefined }, 'missing_snapshot_data'],
    ['a string $snapshot_data', { $snapshot_data: 'rrweb' }, 'missing_snapshot_data'],
    ['no distinct_id', { distinct_id: undefined }, 'missing_distinct_id'],
  ]
  for (const [what, properties, code] of refusals) {
    it(`refuses a request whose second event has ${what} with 400 ${code}, writing nothing`, async () => {
      const reply = await postJson(t.url, '/s/', [aSnapshotEvent([{ n: 1 }]), aSnapshotEvent([{ n: 2 }], { properties })])
      assert.equal(reply.status, 400, reply.text)
      const error = errorOf(reply)
      assert.equal(error.code, code)
      assert.match(error.detail, /^event 1: /)
      assert.equal((await newRecords()).length, 0)
    })
  }

  it('accepts a session id of 70 characters from [A-Za-z0-9-]', async () => {
    const id = `${'Ab9-'.repeat(17)}xy`
    assert.equal((await postJson(t.url, '/s/', [aSnapshotEvent([1], { properties: { $session_id: id } })])).status, 200)
    assert.equal((await newRecords())[0]!.key, id)
  })

  it('refuses a recording without any token with 401', async () => {
    const reply = await postJson(t.url, '/s/', [aSnapshotEvent([1], { properties: { token: undefined } })])
    assert.equal(reply.status, 401)
    assert.equal(errorOf(reply).code, 'no_token')
  })

  it('exports the recording metrics', async () => {
    const text = (await request(t.url, '/metrics')).text
    assert.ok(metricValue(text, 'capture_recording_received_bytes_total', { stage: 'raw' }) > 0)
    assert.ok(metricValue(text, 'capture_recording_messages_total', { lane: 'main' }) >= 16)
    assert.equal(metricValue(text, 'capture_recording_refusals_total', { cause: 'snapshot_item_too_large' }), 1)
    assert.equal(metricValue(text, 'capture_recording_refusals_total', { cause: 'invalid_session_id' }), 3)
    assert.ok(metricValue(text, 'capture_recording_chunks_per_request_count') >= 8)
  })
})

describe('recording body limit', () => {
  it('refuses a body over RECORDING_BODY_SIZE with 413 body_too_large', async () => {
    const t = await startTestApp({ env: { RECORDING_BODY_SIZE: '4096' } })
    try {
      const reply = await postJson(t.url, '/s/', [aSnapshotEvent(snapshotItems(40))])
      assert.equal(reply.status, 413)
      assert.equal(json(reply).code, 'body_too_large')
    } finally {
      await t.close()
    }
  })
})
