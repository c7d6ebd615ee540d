/**
 * A Redis Cluster that requires a password (scripts/redis-cluster-up.sh with
 * REDIS_CLUSTER_PASSWORD): REDIS_CLUSTER_NODES entries written as
 * redis://:password@host:port reach it through the configuration as capture
 * reads it; a wrong password fails calls fast and shows as not connected.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { EnvReader } from '../../src/config/env-parsers.js'
import { readLimiterConfig } from '../../src/config/limiter-config.js'
import { createLogger } from '../../src/observability/logger.js'
import { createMetrics } from '../../src/observability/metrics.js'
import { createRedisClusterStore } from '../../src/store/redis-cluster-store.js'
import type { Store } from '../../src/store/store.js'
import { ms } from '../../src/units.js'
import { ownRedisCluster, type OwnRedisCluster } from '../helpers/redis-cluster.js'

const PASSWORD = 'p@ss w0rd'
let cluster: OwnRedisCluster | undefined
before(async () => void (cluster = await ownRedisCluster({ password: PASSWORD })))
after(() => cluster?.stop())

/** The store capture would build from these seeds, through readLimiterConfig. */
async function storeFrom(seeds: string): Promise<{ store: Store; metrics: ReturnType<typeof createMetrics> }> {
  const reader = new EnvReader({ REDIS_CLUSTER_NODES: seeds, REDIS_CONNECTION_TIMEOUT_MS: '1000', REDIS_RESPONSE_TIMEOUT_MS: '500' })
  const config = readLimiterConfig(reader).store
  assert.deepEqual(reader.problems, [])
  assert.equal(config.kind, 'redis-cluster')
  const metrics = createMetrics({ defaultMetrics: false })
  if (config.kind !== 'redis-cluster') throw new Error('unreachable')
  return { store: await createRedisClusterStore({ logger: createLogger({ level: 'silent' }), metrics }, config), metrics }
}

const withPassword = (password: string): string => cluster!.ports.slice(0, 2).map((port) => `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`).join(',')

describe('RedisClusterStore with a password', () => {
  it('reads and writes with the password from redis:// seed entries', async () => {
    const { store } = await storeFrom(withPassword(PASSWORD))
    try {
      const keys = Array.from({ length: 30 }, (_, i) => `dedup:auth-${i}`)
      await store.setKeys(keys, ms(60_000))
      assert.deepEqual(await store.hasKeys(keys), keys.map(() => true))
    } finally {
      await store.close()
    }
  })

  it('fails fast with a wrong password and reports itself not connected', async () => {
    const { store, metrics } = await storeFrom(withPassword('wrong'))
    try {
      const started = Date.now()
      await assert.rejects(store.hasKeys(['dedup:x']))
      assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`)
      assert.match(await metrics.registry.metrics(), /capture_store_connected\{store="redis"\} 0/)
    } finally {
      await store.close()
    }
  })
})
