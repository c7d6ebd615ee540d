import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { EnvReader } from './env-parsers.js'
import { readLimiterConfig } from './limiter-config.js'

const read = (env: Record<string, string>) => {
  const reader = new EnvReader(env)
  return { config: readLimiterConfig(reader), problems: reader.problems }
}

describe('readLimiterConfig', () => {
  it('defaults to a memory store, 24 h de-dup, 5 s quota refresh, no rate limits, no overflow', () => {
    const { config, problems } = read({})
    assert.deepEqual(problems, [])
    assert.equal(config.store.kind, 'memory')
    assert.deepEqual(config.dedup, { enabled: true, ttl: 86_400 })
    assert.equal(config.quota.refreshEvery, 5000)
    assert.deepEqual(config.rate, { token: undefined, distinctId: undefined })
    assert.deepEqual(config.overflow, { enabled: false, perSecond: 100, burst: 1000, forcedKeys: [] })
    assert.deepEqual(config.dropEvents, [])
  })

  it('uses Redis with a 1 s response and 5 s connect timeout when REDIS_URL is set', () => {
    const { config } = read({ REDIS_URL: 'redis://127.0.0.1:6379/0', REDIS_KEY_PREFIX: 'capture:' })
    assert.deepEqual(config.store, { kind: 'redis', url: 'redis://127.0.0.1:6379/0', keyPrefix: 'capture:', connectTimeout: 5000, responseTimeout: 1000 })
  })

  it('turns a rate limit on with its burst defaulting to one second of events', () => {
    const { config } = read({ RATE_LIMIT_TOKEN_EVENTS_PER_SECOND: '500', RATE_LIMIT_DISTINCT_ID_EVENTS_PER_SECOND: '10', RATE_LIMIT_DISTINCT_ID_BURST: '50' })
    assert.deepEqual(config.rate, { token: { perSecond: 500, burst: 500 }, distinctId: { perSecond: 10, burst: 50 } })
  })

  it('reads the token lists as comma-separated entries', () => {
    const { config } = read({ DROP_EVENTS_BY_TOKEN_DISTINCT_ID: 'phc_a, phc_b:user', INGESTION_FORCE_OVERFLOW_BY_TOKEN_DISTINCT_ID: 'phc_c:u1' })
    assert.deepEqual([config.dropEvents, config.overflow.forcedKeys], [['phc_a', 'phc_b:user'], ['phc_c:u1']])
  })

  it('reports every bad value, with the password of a bad REDIS_URL masked', () => {
    const { problems } = read({ REDIS_URL: 'http://u:secret@host:1', DEDUP_TTL_SECONDS: '0', RATE_LIMIT_TOKEN_EVENTS_PER_SECOND: '-1', OVERFLOW_ENABLED: 'maybe' })
    assert.equal(problems.length, 4)
    assert.ok(!problems.join('\n').includes('secret'))
  })
})
