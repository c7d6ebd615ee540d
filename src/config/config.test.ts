import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, loadConfig } from './config.js'

describe('loadConfig', () => {
  it('defaults to the embedded local log on 127.0.0.1:3000', () => {
    const config = loadConfig({})
    assert.deepEqual(config.address, { host: '127.0.0.1', port: 3000 })
    assert.equal(config.localLog.dataDir, './data')
    assert.equal(config.limits.eventBytes, 2 * 1024 * 1024)
    assert.equal(config.limits.batchBodyBytes, 20 * 1024 * 1024)
    assert.equal(config.topics.main, 'events_plugin_ingestion')
    assert.equal(config.workers, 1)
  })
  it('reads upstream variable names', () => {
    const config = loadConfig({ ADDRESS: '0.0.0.0:8080', EVENT_MAX_BYTES: '4096', KAFKA_HISTORICAL_TOPIC: 'hist', WORKERS: '2' })
    assert.deepEqual(config.address, { host: '0.0.0.0', port: 8080 })
    assert.equal(config.limits.eventBytes, 4096)
    assert.equal(config.topics.historical, 'hist')
    assert.equal(config.workers, 2)
  })
  it('lists every bad variable in one error', () => {
    assert.throws(
      () => loadConfig({ ADDRESS: 'nowhere', WORKERS: 'many', LOG_LEVEL: 'loud', EXPORT_PROMETHEUS: 'maybe' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError)
        assert.equal(err.problems.length, 4)
        for (const name of ['ADDRESS', 'WORKERS', 'LOG_LEVEL', 'EXPORT_PROMETHEUS']) assert.match(err.message, new RegExp(name))
        return true
      },
    )
  })
  it('refuses a decoded cap below the event cap', () => {
    assert.throws(() => loadConfig({ EVENT_MAX_BYTES: '4096', DECODED_BODY_MAX_BYTES: '2048' }), /DECODED_BODY_MAX_BYTES/)
  })
})
