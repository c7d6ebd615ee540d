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

  it('uses a Redis Cluster from the REDIS_CLUSTER_NODES seeds, with credentials from redis:// entries', () => {
    const plain = read({ REDIS_CLUSTER_NODES: '127.0.0.1:7000, 127.0.0.1:7001,[::1]:7002' })
    assert.deepEqual(plain.problems, [])
    assert.deepEqual(plain.config.store, {
      kind: 'redis-cluster', nodes: [{ host: '127.0.0.1', port: 7000 }, { host: '127.0.0.1', port: 7001 }, { host: '::1', port: 7002 }],
      keyPrefix: '', connectTimeout: 5000, responseTimeout: 1000,
    })
    const secret = read({ REDIS_CLUSTER_NODES: 'redis://capture:p%40ss@10.0.0.1:6379,10.0.0.2:6379' })
    assert.deepEqual(secret.problems, [])
    assert.deepEqual(secret.config.store.kind === 'redis-cluster' && [secret.config.store.username, secret.config.store.password], ['capture', 'p@ss'])
  })

  it('refuses REDIS_URL with REDIS_CLUSTER_NODES, bad seeds, TLS seeds and a hash tag in the prefix, masking passwords', () => {
    const both = read({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: '127.0.0.1:7000' })
    assert.match(both.problems.join('\n'), /REDIS_URL and REDIS_CLUSTER_NODES are both set/)
    const bad = read({ REDIS_CLUSTER_NODES: '127.0.0.1,host:99999,rediss://u:secret@h:1,redis://h:1/2', REDIS_KEY_PREFIX: '{capture}:' })
    assert.equal(bad.problems.length, 5, bad.problems.join('\n'))
    assert.match(bad.problems.join('\n'), /TLS to a Redis Cluster is not supported/)
    assert.ok(!bad.problems.join('\n').includes('secret'))
    assert.match(read({ REDIS_CLUSTER_NODES: ' , ' }).problems.join('\n'), /names no node/)
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
