import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { computeTimestamp, parseQuerySentAt, parseSentAt, parseTimestamp } from './timestamp.js'

const NOW = Date.parse('2025-01-01T12:00:00.000Z')

describe('computeTimestamp', () => {
  it('uses now when the event has no time', () => {
    assert.equal(computeTimestamp({ ignoreSentAt: false }, NOW), NOW)
  })
  it('keeps the client timestamp without sent_at', () => {
    assert.equal(computeTimestamp({ timestamp: '2025-01-01T11:00:00Z', ignoreSentAt: false }, NOW), NOW - 3600_000)
  })
  it('corrects clock skew with sent_at', () => {
    // The client clock is 10 s ahead: it stamped 11:00:10 and sent at 12:00:10.
    const result = computeTimestamp({ timestamp: '2025-01-01T11:00:10Z', sentAtMs: NOW + 10_000, ignoreSentAt: false }, NOW)
    assert.equal(result, NOW - 3600_000)
  })
  it('skips skew correction when $ignore_sent_at is set', () => {
    assert.equal(computeTimestamp({ timestamp: '2025-01-01T11:00:10Z', sentAtMs: NOW + 10_000, ignoreSentAt: true }, NOW), NOW - 3590_000)
  })
  it('lets offset override the timestamp', () => {
    assert.equal(computeTimestamp({ timestamp: '2020-01-01T00:00:00Z', offsetMs: 500, ignoreSentAt: false }, NOW), NOW - 500)
  })
  it('clamps times more than 23 h in the future to now', () => {
    assert.equal(computeTimestamp({ timestamp: '2025-01-03T00:00:00Z', ignoreSentAt: false }, NOW), NOW)
    assert.equal(computeTimestamp({ timestamp: '2025-01-02T10:00:00Z', ignoreSentAt: false }, NOW), Date.parse('2025-01-02T10:00:00Z'))
  })
  it('falls back to now for an unparsable timestamp', () => {
    assert.equal(computeTimestamp({ timestamp: 'yesterday-ish', ignoreSentAt: false }, NOW), NOW)
  })
  it('maps years outside 0..9999 to the Unix epoch', () => {
    assert.equal(computeTimestamp({ timestamp: '-000001-01-01T00:00:00Z', ignoreSentAt: false }, NOW), 0)
  })
})

describe('parseTimestamp', () => {
  it('reads RFC 3339 with offsets and microseconds, and naive times as UTC', () => {
    assert.equal(parseTimestamp('2024-01-01T01:00:00.123456+01:00'), Date.parse('2024-01-01T00:00:00.123Z'))
    assert.equal(parseTimestamp('2024-01-01 00:00:00'), Date.parse('2024-01-01T00:00:00Z'))
    assert.ok(Number.isNaN(parseTimestamp('nope')))
  })
})

describe('sent_at sources', () => {
  it('accepts query `_` in ms after 2020 only', () => {
    assert.equal(parseQuerySentAt('1694769302319'), 1694769302319)
    assert.equal(parseQuerySentAt('1694769302'), undefined)
    assert.equal(parseQuerySentAt('abc'), undefined)
  })
  it('parses a batch sent_at string', () => {
    assert.equal(parseSentAt('2023-09-15T09:15:02.325000+00:00'), Date.parse('2023-09-15T09:15:02.325Z'))
    assert.equal(parseSentAt(12), undefined)
  })
})
