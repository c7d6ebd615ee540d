/**
 * Wire-sample replay: every analytics request that a real SDK sent while we
 * recorded it (test/fixtures/wire-samples/*.jsonl: posthog-node 5.70, posthog-
 * python 7.53, posthog-js 1.449 in Chromium) is sent to a fresh app byte for
 * byte, with its method, path, query and headers. Each one must get 200 and
 * land exactly the events it carries, in order.
 *
 * Samples recorded while the logging server scripted a failure (400, 413,
 * 429, 503) are still valid requests: the failure was the server's, so we
 * expect 200 for them too.
 *
 * The expected events are decoded here, independently of src/pipeline
 * (gunzip by magic bytes, urlencoded form `data=`, base64), and checked
 * against the sample's own `decoded.json` when the recorder kept it.
 *
 * The other recorded requests are replayed too, and pinned to what capture
 * answers: CORS preflights on capture routes → 200; session recordings on
 * /s/ → 200 with `$snapshot_items` messages (their content is checked in
 * test/recordings); /flags and /decide → 200 with a "no flags" reply (capture
 * evaluates no flags, http/flags-route.ts); Capture V1 (/i/v1/*) → 200 with a
 * result per event (its events are checked in wire-samples-v1.test.ts); remote
 * config under /array/ is not capture's (PostHog serves it from another
 * service) → 404 not_found.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { startTestApp } from '../helpers/test-app.js'
import { fixedClock } from '../../src/clock.js'
import { OK_BODY, send, FIXTURES_DIR } from './replay-http.js'

const SAMPLES = `${FIXTURES_DIR}/wire-samples`

interface Sample {
  readonly seq: number
  readonly t: string
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string>
  readonly body_b64?: string
  readonly decoded?: { readonly json?: unknown; readonly json_summary?: unknown; readonly decoded_via?: string } | null
  readonly response?: { readonly status: number }
}

interface LoadedSample {
  readonly file: string
  readonly line: number
  readonly sample: Sample
}

type OtherKind = 'preflight' | 'feature flags' | 'remote config' | 'session recording (/s)' | 'Capture V1 (/i/v1)' | 'not a capture route'

const INGEST_PATHS = new Set(['/batch', '/e', '/i/v0/e', '/engage', '/track', '/capture'])
/** Hop-by-hop and framing headers that the replay client sets itself. */
const DROPPED_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding'])

function loadSamples(): LoadedSample[] {
  const files = readdirSync(SAMPLES).filter((name) => name.endsWith('.jsonl')).sort()
  return files.flatMap((file) =>
    readFileSync(path.join(SAMPLES, file), 'utf8')
      .split('\n')
      .map((text, index) => ({ text, index }))
      .filter(({ text }) => text.trim() !== '')
      .map(({ text, index }) => ({ file, line: index + 1, sample: JSON.parse(text) as Sample })),
  )
}

function pathOf(url: string): string {
  const mark = url.indexOf('?')
  const route = mark === -1 ? url : url.slice(0, mark)
  return route.length > 1 && route.endsWith('/') ? route.slice(0, -1) : route
}

function otherKind(sample: Sample): OtherKind | undefined {
  const route = pathOf(sample.url)
  if (route === '/flags' || route === '/decide') return 'feature flags'
  if (route.startsWith('/array/')) return 'remote config'
  if (route.startsWith('/i/v1/')) return 'Capture V1 (/i/v1)'
  if (sample.method !== 'POST' && sample.method !== 'GET') return 'preflight'
  if (route === '/s') return 'session recording (/s)'
  if (!INGEST_PATHS.has(route)) return 'not a capture route'
  return undefined
}

/** The JSON payload a request carries, decoded without src/pipeline. */
function decodeSample(sample: Sample): unknown {
  let body = Buffer.from(sample.body_b64 ?? '', 'base64')
  const query = new URLSearchParams(sample.url.includes('?') ? sample.url.slice(sample.url.indexOf('?') + 1) : '')
  if (body.length === 0 && query.get('data')) body = Buffer.from(query.get('data')!, 'utf8')
  if (body[0] === 0x1f && body[1] === 0x8b) body = gunzipSync(body)
  let text = body.toString('utf8')
  if ((sample.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    const data = new URLSearchParams(text).get('data')
    assert.ok(data !== null, 'form body without data=')
    text = data.replaceAll(' ', '+')
  }
  if (!/^\s*[[{]/.test(text)) text = Buffer.from(text, 'base64').toString('utf8')
  return JSON.parse(text)
}

interface ExpectedEvent {
  readonly uuid?: string
  readonly event: string
  readonly topic: string
  readonly token: string
  readonly distinctId: string
}

function stringifyId(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return [...text].slice(0, 200).join('')
}

/** Default topics, as upstream: historical batches first, then by event name. */
function expectedTopic(event: string, historical: boolean): string {
  if (historical) return 'events_plugin_ingestion_historical'
  return event === '$$heatmap' ? 'heatmaps_ingestion' : 'events_plugin_ingestion'
}

function expectedEvents(payload: unknown): ExpectedEvent[] {
  const isBatch = !Array.isArray(payload) && Array.isArray((payload as { batch?: unknown }).batch)
  const batch = payload as { batch: Record<string, unknown>[]; api_key?: string; token?: string; historical_migration?: unknown }
  const events = Array.isArray(payload) ? (payload as Record<string, unknown>[]) : isBatch ? batch.batch : [payload as Record<string, unknown>]
  const requestToken = isBatch ? (batch.api_key ?? batch.token) : undefined
  const historical = isBatch && batch.historical_migration === true
  return events
    .filter((event) => event.event !== '$performance_event')
    .map((event) => {
      const properties = (event.properties ?? {}) as Record<string, unknown>
      const token = requestToken ?? event.token ?? event.$token ?? event.api_key ?? properties.token
      const distinctId = event.distinct_id ?? event.$distinct_id ?? properties.distinct_id
      assert.equal(typeof token, 'string', 'sample event without a token')
      assert.ok(distinctId !== undefined && distinctId !== null, 'sample event without a distinct_id')
      const name = event.event as string
      return { uuid: event.uuid as string | undefined, event: name, topic: expectedTopic(name, historical), token: token as string, distinctId: stringifyId(distinctId) }
    })
}

function replayHeaders(sample: Sample): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(sample.headers)) {
    if (!DROPPED_HEADERS.has(name.toLowerCase())) headers[name] = value
  }
  return headers
}

async function replaySample(sample: Sample): Promise<void> {
  const payload = decodeSample(sample)
  if (sample.decoded?.json !== undefined) assert.deepEqual(payload, sample.decoded.json, 'test decoder disagrees with the recorder')
  const expected = expectedEvents(payload)
  const app = await startTestApp({ overrides: { clock: fixedClock(sample.t) } })
  try {
    const res = await send(app.url, { method: sample.method, path: sample.url, headers: replayHeaders(sample), body: Buffer.from(sample.body_b64 ?? '', 'base64') })
    assert.equal(res.status, 200, `status ${res.status}: ${res.text}`)
    assert.equal(res.text, OK_BODY)
    const records = await app.readLog()
    assert.deepEqual(
      records.map((record) => (record.value as { event: unknown }).event),
      expected.map((event) => event.event),
      'event names in order',
    )
    records.forEach((record, i) => {
      const envelope = record.value as Record<string, unknown>
      const want = expected[i]!
      const where = `message ${i} (${want.event})`
      assert.equal(record.topic, want.topic, `${where}: topic`)
      if (want.uuid !== undefined) assert.equal(envelope.uuid, want.uuid.toLowerCase(), `${where}: uuid`)
      assert.equal(envelope.token, want.token, `${where}: token`)
      assert.equal(envelope.distinct_id, want.distinctId, `${where}: distinct_id`)
      assert.equal(record.key, `${want.token}:${want.distinctId}`, `${where}: key`)
      assert.equal((JSON.parse(envelope.data as string) as { event: unknown }).event, want.event, `${where}: data.event`)
    })
  } finally {
    await app.close()
  }
}

function title({ file, line, sample }: LoadedSample): string {
  return `${file}:${line} ${sample.method} ${sample.url} (recorded ${sample.response?.status ?? '?'})`
}

/** Requests that carry no analytics events: pin what capture answers. */
async function replayOther(sample: Sample, kind: OtherKind): Promise<void> {
  const app = await startTestApp({ overrides: { clock: fixedClock(sample.t) } })
  try {
    const res = await send(app.url, { method: sample.method, path: sample.url, headers: replayHeaders(sample), body: Buffer.from(sample.body_b64 ?? '', 'base64') })
    const records = await app.readLog()
    if (kind === 'preflight') {
      assert.equal(res.status, 200, `preflight status: ${res.text}`)
      if (sample.headers.origin !== undefined) assert.equal(res.headers['access-control-allow-origin'], sample.headers.origin)
      assert.equal(records.length, 0)
    } else if (kind === 'session recording (/s)') {
      assert.equal(res.status, 200, `status ${res.status}: ${res.text}`)
      assert.ok(records.length > 0, 'a recording request writes messages')
      for (const record of records) assert.equal((record.value as { event: unknown }).event, '$snapshot_items')
    } else if (kind === 'feature flags') {
      assert.equal(res.status, 200, `flags status ${res.status}: ${res.text}`)
      if (sample.method === 'OPTIONS') assert.equal(res.headers['access-control-allow-origin'], sample.headers.origin)
      else assert.equal(typeof JSON.parse(res.text), 'object')
      assert.equal(records.length, 0)
    } else if (kind === 'Capture V1 (/i/v1)') {
      assert.equal(res.status, 200, `V1 status ${res.status}: ${res.text}`)
      assert.equal(typeof (JSON.parse(res.text) as { results?: unknown }).results, 'object')
    } else {
      assert.equal(res.status, 404, `${kind}: status ${res.status}`)
      assert.equal((JSON.parse(res.text) as { code: unknown }).code, 'not_found')
      assert.equal(records.length, 0)
    }
  } finally {
    await app.close()
  }
}

describe('wire samples from real SDKs', () => {
  const samples = loadSamples()
  const others = new Map<OtherKind, number>()
  for (const loaded of samples) {
    const kind = otherKind(loaded.sample)
    if (kind !== undefined) others.set(kind, (others.get(kind) ?? 0) + 1)
  }

  it('holds 85 analytics requests and 26 others, by kind', () => {
    assert.deepEqual(Object.fromEntries([...others].sort(([a], [b]) => a.localeCompare(b))), {
      'Capture V1 (/i/v1)': 3,
      'feature flags': 11,
      preflight: 4,
      'remote config': 6,
      'session recording (/s)': 2,
    })
    assert.equal(samples.length - [...others.values()].reduce((a, b) => a + b, 0), 85)
  })

  for (const loaded of samples) {
    const kind = otherKind(loaded.sample)
    if (kind !== undefined) it(`${title(loaded)} → ${kind}`, () => replayOther(loaded.sample, kind))
    else it(title(loaded), () => replaySample(loaded.sample))
  }
})
