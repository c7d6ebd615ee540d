/**
 * Recorded posthog-js 1.449.2 session-recording traffic (Chromium 156, samples
 * in test/fixtures/wire-samples/browser-*.jsonl) replayed byte for byte to `/s/`:
 * the gzip body sent as text/plain with no compression marker, and the plain
 * JSON body of disable_compression (with its CORS preflight). Each request
 * must land as the `$snapshot_items` message upstream would write.
 *
 * The expected message is derived here, independently of src/pipeline: the
 * body is gunzipped by magic bytes and parsed, and the expected properties,
 * key, headers and skew-corrected timestamp are computed from the sample's
 * own events and recording time (the app's clock is set to it).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { fixedClock } from '../../src/clock.js'
import { send, FIXTURES_DIR } from '../conformance/replay-http.js'
import { startTestApp } from '../helpers/test-app.js'

const SAMPLES = `${FIXTURES_DIR}/wire-samples`
const OK = '{"code":1,"status":"ok"}'
const DROPPED_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding'])

interface Sample {
  readonly t: string
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string>
  readonly body_b64?: string
  readonly decoded?: { readonly json?: unknown } | null
}

interface SnapshotEvent {
  readonly uuid?: string
  readonly timestamp: string
  readonly sent_at: string
  readonly properties: Record<string, unknown> & { $session_id: string; $window_id: string; $snapshot_data: unknown[]; token: string; distinct_id: string }
}

function recordingSamples(): { title: string; sample: Sample }[] {
  return readdirSync(SAMPLES)
    .filter((name) => name.startsWith('browser-') && name.endsWith('.jsonl'))
    .sort()
    .flatMap((file) =>
      readFileSync(path.join(SAMPLES, file), 'utf8').split('\n').flatMap((line, index) => {
        if (line.trim() === '') return []
        const sample = JSON.parse(line) as Sample
        return /^\/s\/?(\?|$)/.test(sample.url) ? [{ title: `${file}:${index + 1} ${sample.method} ${sample.url}`, sample }] : []
      }),
    )
}

function decode(sample: Sample): SnapshotEvent[] {
  let body = Buffer.from(sample.body_b64 ?? '', 'base64')
  if (body[0] === 0x1f && body[1] === 0x8b) body = gunzipSync(body)
  return JSON.parse(body.toString('utf8')) as SnapshotEvent[]
}

function headersOf(sample: Sample): Record<string, string> {
  return Object.fromEntries(Object.entries(sample.headers).filter(([name]) => !DROPPED_HEADERS.has(name.toLowerCase())))
}

async function replayPreflight(sample: Sample): Promise<void> {
  const app = await startTestApp()
  try {
    const res = await send(app.url, { method: 'OPTIONS', path: sample.url, headers: headersOf(sample), body: Buffer.alloc(0) })
    assert.equal(res.status, 200)
    assert.equal(res.headers['access-control-allow-origin'], sample.headers.origin)
    assert.equal(res.headers['access-control-allow-credentials'], 'true')
    assert.match(String(res.headers['access-control-allow-headers']), /content-type/i)
    assert.deepEqual(await app.readLog(), [])
  } finally {
    await app.close()
  }
}

async function replayPost(sample: Sample): Promise<void> {
  const events = decode(sample)
  if (sample.decoded?.json !== undefined) assert.deepEqual(events, sample.decoded.json, 'test decoder disagrees with the recorder')
  const first = events[0]!
  const nowMs = Date.parse(sample.t)
  const sentAtMs = Date.parse(first.sent_at)
  const app = await startTestApp({ overrides: { clock: fixedClock(sample.t) } })
  try {
    const res = await send(app.url, { method: 'POST', path: sample.url, headers: headersOf(sample), body: Buffer.from(sample.body_b64 ?? '', 'base64') })
    assert.equal(res.status, 200, res.text)
    assert.equal(res.text, OK)
    const records = await app.readLog()
    assert.equal(records.length, 1, 'one $snapshot_items message')
    const [record] = records
    const envelope = record!.value as Record<string, unknown>
    const timestampMs = Date.parse(first.timestamp) - (sentAtMs - nowMs)
    assert.equal(record!.topic, 'session_recording_snapshot_item_events')
    assert.equal(record!.key, first.properties.$session_id)
    assert.deepEqual(record!.headers, {
      token: first.properties.token, distinct_id: first.properties.distinct_id, session_id: first.properties.$session_id,
      timestamp: String(timestampMs), event: '$snapshot_items', uuid: first.uuid, now: sample.t,
    })
    assert.deepEqual({ ...envelope, data: undefined }, {
      uuid: first.uuid, distinct_id: first.properties.distinct_id, ip: '127.0.0.1', data: undefined, now: sample.t,
      sent_at: new Date(sentAtMs).toISOString(), token: first.properties.token, event: '$snapshot_items', timestamp: new Date(timestampMs).toISOString(),
    })
    assert.deepEqual(JSON.parse(envelope.data as string), {
      event: '$snapshot_items',
      properties: {
        distinct_id: first.properties.distinct_id,
        $session_id: first.properties.$session_id,
        $window_id: first.properties.$window_id,
        $snapshot_source: 'web',
        $snapshot_items: events.flatMap((event) => event.properties.$snapshot_data),
        $lib: first.properties.$lib,
      },
    })
  } finally {
    await app.close()
  }
}

describe('posthog-js session recording traffic replayed to /s', () => {
  const samples = recordingSamples()

  it('has the recorded /s requests: two POSTs (gzip text/plain, plain JSON) and one preflight', () => {
    assert.deepEqual(samples.map(({ sample }) => `${sample.method} ${sample.headers['content-type'] ?? '-'}`).sort(), [
      'OPTIONS -', 'POST application/json', 'POST text/plain',
    ])
  })

  for (const { title, sample } of samples) {
    it(title, () => (sample.method === 'OPTIONS' ? replayPreflight(sample) : replayPost(sample)))
  }
})
