/**
 * Bench workloads: realistic request bodies, built once per run and replayed by
 * the load generator. Shapes follow the wire samples in
 * test/fixtures/wire-samples (posthog-node 5.70.0, posthog-js 1.449.2):
 *
 * - `json5`   posthog-node `/batch/`, 5 events, plain JSON.
 * - `gzip100` posthog-node `/batch/`, 100 events, `Content-Encoding: gzip`.
 * - `js-e`    posthog-js `/e/?ver=…&_=<ms>`, 10 browser `$pageview`s, gzip body
 *             sent as `text/plain` with no Content-Encoding and no compression
 *             marker (capture must sniff the gzip magic bytes).
 * - `json5-dedup` json5 with every event unique (the generator puts a fresh id
 *             into each distinct_id per request) and capture's de-duplication
 *             on, so its cost shows; the others run with DEDUP_ENABLED=false
 *             because their bodies repeat and would be dropped as duplicates.
 *
 * Each workload is a small pool of distinct requests (different uuids,
 * distinct_ids and property values) that every connection cycles through.
 * Values come from a seeded generator so two runs send the same bytes apart
 * from uuids and timestamps.
 */
import { gzipSync } from 'node:zlib'
import { v7 as uuidv7 } from 'uuid'

export type WorkloadName = 'json5' | 'gzip100' | 'js-e' | 'json5-dedup'
export const WORKLOAD_NAMES: readonly WorkloadName[] = ['json5', 'gzip100', 'js-e', 'json5-dedup']

/** The autocannon placeholder replaced by a fresh id in every request (idReplacement). */
export const UNIQUE_ID = '[<id>]'

export interface BenchRequest {
  readonly method: 'POST'
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer
}

export interface Workload {
  readonly name: WorkloadName
  readonly description: string
  readonly eventsPerRequest: number
  /** Mean size of one event as JSON text (what the SDK serialised). */
  readonly meanEventBytes: number
  /** Mean body size on the wire (after gzip where the workload gzips). */
  readonly meanBodyBytes: number
  readonly requests: readonly BenchRequest[]
  /** Bodies carry UNIQUE_ID placeholders the generator fills per request. */
  readonly uniquePerRequest: boolean
  /** Environment capture runs with for this workload (on top of the bench defaults). */
  readonly captureEnv: Readonly<Record<string, string>>
}

/** Repeated bodies would be dropped as duplicates, so de-duplication is off unless a workload turns it on. */
export const CAPTURE_ENV_DEFAULTS: Readonly<Record<string, string>> = { DEDUP_ENABLED: 'false' }

const TOKEN = 'phc_bench_0123456789abcdefghijklmnopqrstuvwxyzABCD'
const NODE_LIB_VERSION = '5.70.0'
const JS_LIB_VERSION = '1.449.2'
const CHROME_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

/** mulberry32: tiny seeded PRNG, so the pool's content is stable run to run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Rng = () => number
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!
const int = (rng: Rng, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1))
const hex = (rng: Rng, length: number): string => {
  let out = ''
  for (let i = 0; i < length; i++) out += Math.floor(rng() * 16).toString(16)
  return out
}

const NODE_EVENTS = ['order completed', 'invoice paid', 'subscription renewed', 'api request', 'job finished']
const PLANS = ['free', 'startup', 'growth', 'enterprise']
const COUNTRIES = ['GB', 'US', 'DE', 'FR', 'BR', 'IN', 'JP']
const PATHS = ['/', '/pricing', '/docs/getting-started', '/blog/how-we-built-capture', '/settings/billing', '/app/insights']

/** One posthog-node event, ~1.3 KB of JSON: SDK properties plus nested business properties. */
function nodeEvent(rng: Rng, nowMs: number): Record<string, unknown> {
  const items = Array.from({ length: 3 }, () => ({
    sku: `SKU-${hex(rng, 8).toUpperCase()}`,
    name: pick(rng, ['Widget', 'Gadget', 'Gizmo', 'Doohickey']) + ' ' + pick(rng, ['Pro', 'Lite', 'Max']),
    quantity: int(rng, 1, 5),
    unit_price: Math.round(rng() * 10_000) / 100,
  }))
  return {
    event: pick(rng, NODE_EVENTS),
    distinct_id: `user_${hex(rng, 12)}`,
    properties: {
      order_id: `ord_${hex(rng, 16)}`,
      plan: pick(rng, PLANS),
      revenue: Math.round(rng() * 100_000) / 100,
      currency: 'USD',
      items,
      customer: {
        id: `cus_${hex(rng, 14)}`,
        country: pick(rng, COUNTRIES),
        created_at: new Date(nowMs - int(rng, 1, 900) * 86_400_000).toISOString(),
        tags: ['beta', pick(rng, ['b2b', 'b2c']), pick(rng, ['monthly', 'annual'])],
      },
      request: { method: 'POST', path: '/api/v2/orders', status: 201, duration_ms: int(rng, 3, 900), region: 'eu-west-1' },
      app: { name: 'billing-service', version: '2.14.3', environment: 'production', host: `ip-10-0-${int(rng, 0, 255)}-${int(rng, 0, 255)}.eu-west-1.compute.internal` },
      landing_url: `https://www.example.com${pick(rng, PATHS)}?utm_source=google&utm_campaign=spring-${hex(rng, 4)}`,
      coupon: pick(rng, [null, 'SPRING24', 'WELCOME10']),
      discount_pct: int(rng, 0, 30),
      feature_flags: { 'new-checkout': pick(rng, [true, false]), 'pricing-test': pick(rng, ['control', 'test']) },
      $groups: { company: `company_${hex(rng, 6)}` },
      $set: { plan: pick(rng, PLANS), last_order_at: new Date(nowMs).toISOString() },
      $set_once: { first_order_at: new Date(nowMs - int(rng, 1, 400) * 86_400_000).toISOString() },
      $lib: 'posthog-node',
      $lib_version: NODE_LIB_VERSION,
      $is_server: true,
      $geoip_disable: true,
    },
    timestamp: new Date(nowMs - int(rng, 0, 5000)).toISOString(),
    uuid: uuidv7(),
  }
}

/** One posthog-js `$pageview` as 1.449.2 sends it (~1.8 KB). */
function browserEvent(rng: Rng, nowMs: number, session: { distinctId: string; sessionId: string; windowId: string }): Record<string, unknown> {
  const path = pick(rng, PATHS)
  const uuid = uuidv7()
  const timestamp = nowMs - int(rng, 0, 3000)
  return {
    uuid,
    event: '$pageview',
    properties: {
      $os: 'Linux', $browser: 'Chrome', $device_type: 'Desktop', $timezone: 'Europe/London', $timezone_offset: 0,
      $current_url: `https://app.example.com${path}?utm_source=newsletter&utm_medium=email`,
      $host: 'app.example.com', $pathname: path, $raw_user_agent: CHROME_UA,
      $browser_version: 131, $browser_language: 'en-GB', $browser_language_prefix: 'en',
      $screen_height: 1080, $screen_width: 1920, $viewport_height: int(rng, 700, 1000), $viewport_width: int(rng, 1200, 1900),
      $lib: 'web', $lib_version: JS_LIB_VERSION, $insert_id: hex(rng, 16), $time: timestamp / 1000,
      $sdk_dist_channel: 'cdn', $initialization_time: new Date(nowMs - 60_000).toISOString(),
      $configured_session_timeout_ms: 1_800_000,
      distinct_id: session.distinctId, $device_id: session.distinctId,
      $referrer: 'https://www.google.com/', $referring_domain: 'www.google.com',
      utm_source: 'newsletter', utm_medium: 'email', title: 'Example app',
      token: TOKEN, $config_defaults: 'unset',
      $session_id: session.sessionId, $window_id: session.windowId,
      $session_entry_referrer: 'https://www.google.com/', $session_entry_referring_domain: 'www.google.com',
      $session_entry_url: 'https://app.example.com/?utm_source=newsletter', $session_entry_host: 'app.example.com',
      $session_entry_pathname: '/', $recording_status: 'disabled', $sdk_debug_retry_queue_size: 0,
      $pageview_id: uuid, $is_identified: false, $process_person_profile: false,
      $lib_rate_limit_remaining_tokens: 99,
    },
    timestamp: new Date(timestamp).toISOString(),
  }
}

function nodeBatch(rng: Rng, count: number, nowMs: number, unique = false): { text: string; events: readonly Record<string, unknown>[] } {
  const events = Array.from({ length: count }, () => nodeEvent(rng, nowMs))
  if (unique) for (const event of events) event.distinct_id = `${String(event.distinct_id)}_${UNIQUE_ID}`
  return { text: JSON.stringify({ api_key: TOKEN, batch: events, sent_at: new Date(nowMs).toISOString() }), events }
}

function browserBatch(rng: Rng, count: number, nowMs: number): { text: string; events: readonly Record<string, unknown>[] } {
  const session = { distinctId: uuidv7(), sessionId: uuidv7(), windowId: uuidv7() }
  const events = Array.from({ length: count }, () => browserEvent(rng, nowMs, session))
  return { text: JSON.stringify({ api_key: TOKEN, batch: events, sent_at: new Date(nowMs).toISOString() }), events }
}

const meanOf = (values: readonly number[]): number => Math.round(values.reduce((a, b) => a + b, 0) / values.length)

interface Built {
  readonly request: BenchRequest
  readonly events: readonly Record<string, unknown>[]
}

function describe(
  name: WorkloadName, description: string, eventsPerRequest: number, built: readonly Built[],
  options: { uniquePerRequest?: boolean; captureEnv?: Record<string, string> } = {},
): Workload {
  return {
    name,
    description,
    eventsPerRequest,
    uniquePerRequest: options.uniquePerRequest ?? false,
    captureEnv: { ...CAPTURE_ENV_DEFAULTS, ...options.captureEnv },
    meanEventBytes: meanOf(built.flatMap((b) => b.events.map((e) => JSON.stringify(e).length))),
    meanBodyBytes: meanOf(built.map((b) => b.request.body.length)),
    requests: built.map((b) => b.request),
  }
}

/** Builds every workload's request pool once. `nowMs` stamps timestamps and `_`. */
export function buildWorkloads(options: { poolSize: number; nowMs?: number; seed?: number }): Workload[] {
  const nowMs = options.nowMs ?? Date.now()
  const rng = seeded(options.seed ?? 20_251_126)
  const pool = <T>(make: (i: number) => T): T[] => Array.from({ length: options.poolSize }, (_, i) => make(i))
  const nodeHeaders = { 'user-agent': `posthog-node/${NODE_LIB_VERSION}`, 'content-type': 'application/json', accept: '*/*' }

  const json5 = pool(() => {
    const { text, events } = nodeBatch(rng, 5, nowMs)
    return { events, request: { method: 'POST' as const, path: '/batch/', headers: nodeHeaders, body: Buffer.from(text) } }
  })
  const json5Unique = pool(() => {
    const { text, events } = nodeBatch(rng, 5, nowMs, true)
    return { events, request: { method: 'POST' as const, path: '/batch/', headers: nodeHeaders, body: Buffer.from(text) } }
  })
  const gzip100 = pool(() => {
    const { text, events } = nodeBatch(rng, 100, nowMs)
    const headers = { ...nodeHeaders, 'content-encoding': 'gzip' }
    return { events, request: { method: 'POST' as const, path: '/batch/', headers, body: gzipSync(text) } }
  })
  const jsE = pool((i) => {
    const { text, events } = browserBatch(rng, 10, nowMs)
    const headers = { 'user-agent': CHROME_UA, 'content-type': 'text/plain', accept: '*/*', origin: 'https://app.example.com' }
    const path = `/e/?ver=${JS_LIB_VERSION}&_=${nowMs + i}`
    return { events, request: { method: 'POST' as const, path, headers, body: gzipSync(text) } }
  })
  return [
    describe('json5', 'posthog-node /batch/: 5 events, plain JSON (application/json)', 5, json5),
    describe('gzip100', 'posthog-node /batch/: 100 events, gzip (Content-Encoding: gzip)', 100, gzip100),
    describe('js-e', `posthog-js ${JS_LIB_VERSION} /e/?ver&_: 10 $pageview events, gzip body as text/plain, no Content-Encoding or compression marker`, 10, jsE),
    describe('json5-dedup', 'json5 with every event unique per request (fresh id in each distinct_id) and capture de-duplication on (DEDUP_ENABLED=true, default memory store)', 5, json5Unique,
      { uniquePerRequest: true, captureEnv: { DEDUP_ENABLED: 'true' } }),
  ]
}

/** The workloads the Kafka bench (bench/kafka-bench.ts) runs. */
export type KafkaWorkloadName = 'json5' | 'gzip100' | 'js-e'
export const KAFKA_WORKLOAD_NAMES: readonly KafkaWorkloadName[] = ['gzip100', 'js-e', 'json5']

/** One request before encoding: the Kafka bench fills in uuids per request (bench/wrk.ts), then gzips where `gzip`. */
export interface RequestTemplate {
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly json: string
  readonly gzip: boolean
}

export const KAFKA_WORKLOADS: Readonly<Record<KafkaWorkloadName, { readonly description: string; readonly eventsPerRequest: number }>> = {
  json5: { description: 'posthog-node /batch/: 5 events, plain JSON (application/json)', eventsPerRequest: 5 },
  gzip100: { description: 'posthog-node /batch/: 100 events, gzip (Content-Encoding: gzip)', eventsPerRequest: 100 },
  'js-e': { description: `posthog-js ${JS_LIB_VERSION} /e/?ver&_: 10 $pageview events, gzip body as text/plain, no Content-Encoding or compression marker`, eventsPerRequest: 10 },
}

/** `count` distinct requests of one workload, same shapes and generator as buildWorkloads, as JSON text. */
export function buildTemplates(name: KafkaWorkloadName, count: number, options: { nowMs?: number; seed?: number } = {}): RequestTemplate[] {
  const nowMs = options.nowMs ?? Date.now()
  const rng = seeded(options.seed ?? 20_251_126)
  const nodeHeaders = { 'user-agent': `posthog-node/${NODE_LIB_VERSION}`, 'content-type': 'application/json', accept: '*/*' }
  return Array.from({ length: count }, (_, i): RequestTemplate => {
    switch (name) {
      case 'json5': return { path: '/batch/', headers: nodeHeaders, json: nodeBatch(rng, 5, nowMs).text, gzip: false }
      case 'gzip100': return { path: '/batch/', headers: { ...nodeHeaders, 'content-encoding': 'gzip' }, json: nodeBatch(rng, 100, nowMs).text, gzip: true }
      case 'js-e': return {
        path: `/e/?ver=${JS_LIB_VERSION}&_=${nowMs + i}`,
        headers: { 'user-agent': CHROME_UA, 'content-type': 'text/plain', accept: '*/*', origin: 'https://app.example.com' },
        json: browserBatch(rng, 10, nowMs).text,
        gzip: true,
      }
    }
  })
}
