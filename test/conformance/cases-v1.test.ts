/**
 * Our own Capture V1 conformance cases:
 * test/conformance/cases-v1.jsonl, one request per line, sent over real HTTP
 * to a fresh app whose clock returns the case's `now`.
 *
 * Line format: title, method, path, headers, body (UTF-8), now,
 *   expect: { status, error? (the V1 `error` tag), results? (the exact 200
 *   `results` object), events: exactly the messages written, in order; each
 *   lists only the fields it checks: envelope fields, `topic`, `key` (null =
 *   no key; defaults to token:distinct_id), `headers` (a subset), `data` (a
 *   subset of the parsed `data`) }.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { fixedClock } from '../../src/clock.js'
import { startTestApp } from '../helpers/test-app.js'
import { send } from './replay-http.js'

interface V1Case {
  readonly title: string
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly now: string
  readonly expect: {
    readonly status: number
    readonly error?: string
    readonly results?: Record<string, unknown>
    readonly events: readonly Record<string, unknown>[]
  }
}

const CASES = fileURLToPath(new URL('./cases-v1.jsonl', import.meta.url))
const MESSAGE_FIELDS = new Set(['topic', 'key', 'headers', 'data'])

function assertMessage(record: { topic: string; key: string | null; headers: Record<string, string>; value: unknown }, expected: Record<string, unknown>, where: string): void {
  const envelope = record.value as Record<string, unknown>
  for (const [field, value] of Object.entries(expected)) if (!MESSAGE_FIELDS.has(field)) assert.deepEqual(envelope[field], value, `${where}: ${field}`)
  if (expected.topic !== undefined) assert.equal(record.topic, expected.topic, `${where}: topic`)
  const key = 'key' in expected ? expected.key : `${String(envelope.token)}:${String(envelope.distinct_id)}`
  assert.equal(record.key, key, `${where}: key`)
  for (const [name, value] of Object.entries((expected.headers ?? {}) as Record<string, string>)) assert.equal(record.headers[name], value, `${where}: header ${name}`)
  const data = JSON.parse(envelope.data as string) as Record<string, unknown>
  for (const [field, value] of Object.entries((expected.data ?? {}) as Record<string, unknown>)) assert.deepEqual(data[field], value, `${where}: data.${field}`)
}

describe('Capture V1 conformance cases (test/conformance/cases-v1.jsonl)', () => {
  const cases = readFileSync(CASES, 'utf8').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as V1Case)

  it('every case is titled once and a refused request writes nothing', () => {
    assert.equal(new Set(cases.map((c) => c.title)).size, cases.length)
    for (const c of cases) assert.ok(c.expect.status === 200 || (c.expect.error !== undefined && c.expect.events.length === 0), c.title)
  })

  for (const c of cases) {
    it(c.title, async () => {
      const app = await startTestApp({ overrides: { clock: fixedClock(c.now) } })
      try {
        const res = await send(app.url, { method: c.method, path: c.path, headers: c.headers, body: Buffer.from(c.body, 'utf8') })
        assert.equal(res.status, c.expect.status, res.text)
        const body = JSON.parse(res.text) as { error?: string; results?: unknown }
        if (c.expect.error !== undefined) assert.equal(body.error, c.expect.error)
        if (c.expect.results !== undefined) assert.deepEqual(body.results, c.expect.results)
        const records = await app.readLog()
        assert.equal(records.length, c.expect.events.length, 'messages written')
        c.expect.events.forEach((expected, i) => assertMessage(records[i]!, expected, `message ${i}`))
        for (const record of records) assert.equal((record.value as { now: string }).now, c.now)
      } finally {
        await app.close()
      }
    })
  }
})
