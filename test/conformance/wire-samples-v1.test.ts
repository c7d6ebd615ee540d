/**
 * Replay of the recorded Capture V1 requests (test/fixtures/wire-samples/
 * node-capture-v1.jsonl, python-capture-v1.jsonl: posthog-node 5.70.0 and
 * posthog-python 7.53.0 in V1 mode): each is sent byte for byte with its
 * headers to a fresh app, must get 200 with `ok` for every uuid, and must land
 * exactly the events it carries, in order, with the V1 mapping (raw client
 * timestamp in `data`, `$lib` from PostHog-Sdk-Info, session id folded in).
 * A second attempt of the same request writes nothing new.
 *
 * The expected events are decoded here (gunzip), independently of
 * src/pipeline, and checked against the recorder's own decoding.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { fixedClock } from '../../src/clock.js'
import { startTestApp } from '../helpers/test-app.js'
import { FIXTURES_DIR, send } from './replay-http.js'

interface V1Sample {
  readonly t: string
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string>
  readonly body_b64: string
  readonly decoded: { readonly json: { readonly batch: readonly Record<string, unknown>[] } }
}

const FILES = ['node-capture-v1.jsonl', 'python-capture-v1.jsonl']
const DROPPED_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding'])

function load(): { title: string; sample: V1Sample }[] {
  return FILES.flatMap((file) =>
    readFileSync(path.join(FIXTURES_DIR, 'wire-samples', file), 'utf8')
      .split('\n')
      .map((text, index) => ({ text, line: index + 1 }))
      .filter(({ text }) => text.trim() !== '')
      .map(({ text, line }) => ({ line, sample: JSON.parse(text) as V1Sample }))
      .filter(({ sample }) => sample.url.startsWith('/i/v1/'))
      .map(({ line, sample }) => ({ title: `${file}:${line} ${sample.method} ${sample.url}`, sample })),
  )
}

function headersOf(sample: V1Sample, attempt?: number): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(sample.headers)) if (!DROPPED_HEADERS.has(name)) headers[name] = value
  if (attempt !== undefined) headers['posthog-attempt'] = String(attempt)
  return headers
}

describe('Capture V1 wire samples from real SDKs', () => {
  const samples = load()

  it('holds the three recorded V1 requests', () => {
    assert.equal(samples.length, 3)
  })

  for (const { title, sample } of samples) {
    it(`${title} lands exactly its events, once`, async () => {
      const body = Buffer.from(sample.body_b64, 'base64')
      const batch = (JSON.parse(gunzipSync(body).toString('utf8')) as V1Sample['decoded']['json']).batch
      assert.deepEqual(batch, sample.decoded.json.batch, 'test decoder disagrees with the recorder')
      const app = await startTestApp({ overrides: { clock: fixedClock(sample.t) } })
      try {
        const reply = await send(app.url, { method: sample.method, path: sample.url, headers: headersOf(sample), body })
        assert.equal(reply.status, 200, reply.text)
        assert.equal(reply.headers['posthog-request-id'], sample.headers['posthog-request-id'])
        const results = (JSON.parse(reply.text) as { results: Record<string, unknown> }).results
        assert.deepEqual(results, Object.fromEntries(batch.map((event) => [event.uuid, { result: 'ok' }])))
        const [lib, version] = sample.headers['posthog-sdk-info']!.split('/')
        const records = await app.readLog()
        assert.deepEqual(records.map((r) => (r.value as { uuid: unknown }).uuid), batch.map((event) => event.uuid))
        records.forEach((record, i) => {
          const want = batch[i]!
          const envelope = record.value as Record<string, unknown>
          const data = JSON.parse(envelope.data as string) as Record<string, unknown> & { properties: Record<string, unknown> }
          assert.equal(envelope.event, want.event)
          assert.equal(envelope.distinct_id, want.distinct_id)
          assert.equal(record.key, `${envelope.token as string}:${want.distinct_id as string}`)
          assert.equal(data.timestamp, want.timestamp, 'data keeps the raw client timestamp')
          assert.equal(data.properties.$lib, lib)
          assert.equal(data.properties.$lib_version, version)
          if (typeof want.session_id === 'string') assert.equal(data.properties.$session_id, want.session_id)
        })
        const again = await send(app.url, { method: sample.method, path: sample.url, headers: headersOf(sample, 2), body })
        assert.equal(again.status, 200)
        assert.deepEqual(JSON.parse(again.text), { results })
        assert.equal((await app.readLog()).length, records.length, 'the second attempt writes nothing')
      } finally {
        await app.close()
      }
    })
  }
})
