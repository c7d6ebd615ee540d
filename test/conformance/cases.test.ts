/**
 * Our own conformance cases: test/conformance/cases.jsonl,
 * one request per line, each sent over real HTTP to a fresh app whose clock
 * returns the case's `now`.
 *
 * Line format:
 *   title, method, path (with query), headers, body (UTF-8) or body_b64, now,
 *   expect: {
 *     status,
 *     error_code?             the `code` of the JSON error body (failures),
 *     error_detail_contains?  a substring of its `detail`,
 *     error_attr?             its `attr`,
 *     events: [...]           exactly the messages written, in order; each
 *                             entry lists only the fields it checks:
 *       envelope fields (uuid, distinct_id, ip, now, sent_at, token, event,
 *       timestamp, is_cookieless_mode, historical_migration) — null means
 *       "absent or null";
 *       topic, key            the message's topic and key (key defaults to
 *                             token:distinct_id when not listed);
 *       headers               a subset of the message headers;
 *       data                  a subset of the parsed `data` (null = absent);
 *       uuid_version          the envelope uuid is a valid UUID of this version.
 *   }
 * Every envelope's `now` must also equal the case's `now`, verbatim.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import LZString from 'lz-string'
import { startTestApp } from '../helpers/test-app.js'
import { fixedClock } from '../../src/clock.js'
import type { LogRecord } from '../../src/sinks/local-log/log-reader.js'
import { OK_BODY, send } from './replay-http.js'

interface ExpectedMessage {
  readonly topic?: string
  readonly key?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly data?: Readonly<Record<string, unknown>>
  readonly uuid_version?: number
  readonly [envelopeField: string]: unknown
}

interface Case {
  readonly title: string
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string
  readonly body_b64?: string
  readonly now: string
  readonly expect: {
    readonly status: number
    readonly error_code?: string
    readonly error_detail_contains?: string
    readonly error_attr?: string
    readonly events: readonly ExpectedMessage[]
  }
}

const CASES_FILE = fileURLToPath(new URL('./cases.jsonl', import.meta.url))
const MESSAGE_FIELDS = new Set(['topic', 'key', 'headers', 'data', 'uuid_version'])
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-([0-9a-f])[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function readCases(): Case[] {
  return readFileSync(CASES_FILE, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Case)
}

function bodyOf(c: Case): Buffer {
  if (c.body_b64 !== undefined) return Buffer.from(c.body_b64, 'base64')
  return Buffer.from(c.body ?? '', 'utf8')
}

/** null in an expectation means the field is absent (or null). */
function assertField(actual: unknown, expected: unknown, where: string): void {
  if (expected === null) assert.equal(actual ?? null, null, `${where} should be absent`)
  else assert.deepEqual(actual, expected, where)
}

function assertMessage(record: LogRecord, expected: ExpectedMessage, c: Case, where: string): void {
  const envelope = record.value as Record<string, unknown>
  assert.equal(envelope.now, c.now, `${where}: now is echoed verbatim`)
  for (const [field, value] of Object.entries(expected)) {
    if (!MESSAGE_FIELDS.has(field)) assertField(envelope[field], value, `${where}: envelope.${field}`)
  }
  if (expected.topic !== undefined) assert.equal(record.topic, expected.topic, `${where}: topic`)
  assert.equal(record.key, expected.key ?? `${String(envelope.token)}:${String(envelope.distinct_id)}`, `${where}: key`)
  for (const [name, value] of Object.entries(expected.headers ?? {})) {
    assert.equal(record.headers[name], value, `${where}: header ${name}`)
  }
  const data = JSON.parse(envelope.data as string) as Record<string, unknown>
  for (const [field, value] of Object.entries(expected.data ?? {})) assertField(data[field], value, `${where}: data.${field}`)
  if (expected.uuid_version !== undefined) {
    const match = UUID.exec(String(envelope.uuid))
    assert.ok(match, `${where}: uuid ${String(envelope.uuid)} is not a lowercase RFC 4122 UUID`)
    assert.equal(Number.parseInt(match[1]!, 16), expected.uuid_version, `${where}: uuid version`)
  }
}

/** Upstream trusts X-Forwarded-For from anyone; capture only when told to (test/http/client-ip.test.ts). */
const UPSTREAM_PROXY_TRUST = { TRUST_PROXY_HEADERS: 'true' }

async function runCase(c: Case): Promise<void> {
  const app = await startTestApp({ env: UPSTREAM_PROXY_TRUST, overrides: { clock: fixedClock(c.now) } })
  try {
    const res = await send(app.url, { method: c.method, path: c.path, headers: c.headers, body: bodyOf(c) })
    assert.equal(res.status, c.expect.status, `status ${res.status}: ${res.text}`)
    if (c.expect.status === 200) {
      assert.equal(res.text, OK_BODY)
    } else {
      const error = JSON.parse(res.text) as { code?: string; detail?: string; attr?: string | null }
      if (c.expect.error_code !== undefined) assert.equal(error.code, c.expect.error_code, `error code (${error.detail})`)
      if (c.expect.error_detail_contains !== undefined) assert.ok(error.detail?.includes(c.expect.error_detail_contains), `detail "${error.detail}" should contain "${c.expect.error_detail_contains}"`)
      if (c.expect.error_attr !== undefined) assert.equal(error.attr, c.expect.error_attr, 'error attr')
    }
    const records = await app.readLog()
    assert.equal(records.length, c.expect.events.length, `messages written: ${records.map((r) => (r.value as { event?: string }).event).join(', ')}`)
    c.expect.events.forEach((expected, i) => assertMessage(records[i]!, expected, c, `message ${i}`))
  } finally {
    await app.close()
  }
}

describe('conformance cases (test/conformance/cases.jsonl)', () => {
  const cases = readCases()

  it('every case is well formed and titled once', () => {
    assert.ok(cases.length > 0)
    assert.equal(new Set(cases.map((c) => c.title)).size, cases.length, 'duplicate titles')
    for (const c of cases) {
      assert.ok(c.expect.status === 200 || c.expect.error_code !== undefined, `${c.title}: a failure case names its error_code`)
      assert.ok(c.expect.status === 200 || c.expect.events.length === 0, `${c.title}: a refused request writes nothing`)
    }
  })

  it('lz64 bodies are genuine lz-string output (decoded here with the lz-string package)', () => {
    const isLz64 = (c: Case): boolean => /compression=lz64/.test(`${c.path} ${c.body ?? ''}`) || c.headers['content-encoding'] === 'lz64'
    const lz64Cases = cases.filter((c) => c.body !== undefined && isLz64(c))
    assert.equal(lz64Cases.length, 3)
    for (const c of lz64Cases) {
      const body = c.body!
      const text = body.includes('data=') ? new URLSearchParams(body).get('data')! : body
      const decoded = LZString.decompressFromBase64(text)
      assert.equal(typeof decoded, 'string', c.title)
      assert.doesNotThrow(() => JSON.parse(decoded), c.title)
    }
  })

  for (const c of cases) it(c.title, () => runCase(c))
})
