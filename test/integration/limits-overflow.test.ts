/**
 * Overflow routing and the token dropper, end to end with the Redis-backed
 * limiter in place (REDIS_URL): hot keys and forced keys go to the overflow
 * topic without a key; dropped tokens answer 200 and write nothing.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { aBareEvent, postJson, TOKEN } from '../helpers/http-client.js'
import { randomPrefix, requireRedisUrl } from '../helpers/redis.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const url = await requireRedisUrl()
const apps: TestApp[] = []
after(() => Promise.all(apps.map((app) => app.close())))

async function instance(env: Record<string, string>): Promise<TestApp> {
  const app = await startTestApp({ env: { REDIS_URL: url, REDIS_KEY_PREFIX: randomPrefix(), ...env } })
  apps.push(app)
  return app
}

const batchOf = (distinctIds: string[]) => ({ api_key: TOKEN, batch: distinctIds.map((distinct_id) => aBareEvent({ distinct_id })) })

describe('overflow and the token dropper', () => {
  it('sends a hot distinct id past its burst to the overflow topic without a key', async () => {
    const app = await instance({ OVERFLOW_ENABLED: 'true', OVERFLOW_PER_SECOND_LIMIT: '1', OVERFLOW_BURST_LIMIT: '3' })
    assert.equal((await postJson(app.url, '/batch', batchOf(['hot', 'hot', 'hot', 'hot', 'hot', 'calm']))).status, 200)
    const routed = (await app.readLog()).map((record) => [record.topic, record.key])
    assert.deepEqual(routed, [
      ['events_plugin_ingestion', `${TOKEN}:hot`],
      ['events_plugin_ingestion', `${TOKEN}:hot`],
      ['events_plugin_ingestion', `${TOKEN}:hot`],
      ['events_plugin_ingestion_overflow', null],
      ['events_plugin_ingestion_overflow', null],
      ['events_plugin_ingestion', `${TOKEN}:calm`],
    ])
  })

  it('forces listed keys to overflow with person processing disabled', async () => {
    const app = await instance({ INGESTION_FORCE_OVERFLOW_BY_TOKEN_DISTINCT_ID: `${TOKEN}:forced` })
    await postJson(app.url, '/batch', batchOf(['forced', 'other']))
    const [forced, other] = await app.readLog()
    assert.deepEqual([forced?.topic, forced?.key, forced?.headers.force_disable_person_processing], ['events_plugin_ingestion_overflow', null, 'true'])
    assert.deepEqual([other?.topic, other?.headers.force_disable_person_processing], ['events_plugin_ingestion', undefined])
  })

  it('drops events of DROP_EVENTS_BY_TOKEN_DISTINCT_ID entries and still answers 200', async () => {
    const app = await instance({ DROP_EVENTS_BY_TOKEN_DISTINCT_ID: `${TOKEN}:bot` })
    const reply = await postJson(app.url, '/batch', batchOf(['bot', 'human']))
    assert.equal(reply.status, 200)
    assert.deepEqual((await app.envelopes()).map((envelope) => envelope.distinct_id), ['human'])
  })
})
