import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError, loadConfig } from './config.js'
import { EnvReader } from './env-parsers.js'
import { readKafkaConfig } from './kafka-config.js'

const read = (env: Record<string, string>) => {
  const reader = new EnvReader(env)
  return { config: readKafkaConfig(reader), problems: reader.problems }
}

describe('readKafkaConfig', () => {
  it('is undefined (local-log mode) when KAFKA_HOSTS is not set', () => {
    assert.equal(read({}).config, undefined)
    assert.equal(loadConfig({}).kafka, undefined)
  })

  it('uses upstream defaults, except lz4 compression, 5 ms linger and a 10 MiB message limit', () => {
    const { config } = read({ KAFKA_HOSTS: 'k1:9092,k2:9092' })
    assert.deepEqual(config, {
      hosts: 'k1:9092,k2:9092',
      clientId: 'capture',
      lingerMs: 5,
      queueBytes: 400 * 1024 * 1024,
      messageTimeoutMs: 20_000,
      messageMaxBytes: 10 * 1024 * 1024,
      compression: 'lz4',
      acks: 'all',
      tls: { enabled: false, verifyCertificates: true },
      sasl: undefined,
      connectTimeoutMs: 10_000,
      flushTimeoutMs: 10_000,
      engine: 'auto',
      spool: { maxBytes: 2 * 1024 * 1024 * 1024, retryAfter: 30 },
    })
  })

  it('reads every variable', () => {
    const { config, problems } = read({
      KAFKA_HOSTS: 'k:9093', KAFKA_CLIENT_ID: 'cap-1', KAFKA_PRODUCER_LINGER_MS: '5', KAFKA_PRODUCER_QUEUE_MIB: '64',
      KAFKA_MESSAGE_TIMEOUT_MS: '3000', KAFKA_PRODUCER_MESSAGE_MAX_BYTES: '1000000', KAFKA_COMPRESSION_CODEC: 'zstd',
      KAFKA_PRODUCER_ACKS: '-1', KAFKA_TLS: 'true', KAFKA_TLS_VERIFY: 'false', KAFKA_TLS_CA_LOCATION: '/ca.pem',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p',
      KAFKA_CONNECT_TIMEOUT_MS: '500', KAFKA_FLUSH_TIMEOUT_MS: '0', SPOOL_MAX_BYTES: '1048576', SPOOL_RETRY_AFTER_SECS: '5',
    })
    assert.deepEqual(problems, [])
    assert.deepEqual(config, {
      hosts: 'k:9093', clientId: 'cap-1', lingerMs: 5, queueBytes: 64 * 1024 * 1024, messageTimeoutMs: 3000,
      messageMaxBytes: 1_000_000, compression: 'zstd', acks: 'all',
      tls: { enabled: true, verifyCertificates: false, caLocation: '/ca.pem' },
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' },
      connectTimeoutMs: 500, flushTimeoutMs: 0, spool: { maxBytes: 1_048_576, retryAfter: 5 }, engine: 'auto',
    })
  })

  it('reports bad values all at once through loadConfig', () => {
    assert.throws(() => loadConfig({ KAFKA_HOSTS: 'k:1', KAFKA_COMPRESSION_CODEC: 'brotli', KAFKA_PRODUCER_ACKS: '0', KAFKA_SASL_USERNAME: 'u' }), (err) => {
      assert.ok(err instanceof ConfigError)
      assert.equal(err.problems.length, 3, err.message)
      assert.match(err.message, /KAFKA_COMPRESSION_CODEC/)
      assert.match(err.message, /KAFKA_PRODUCER_ACKS/)
      assert.match(err.message, /KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/)
      return true
    })
  })
})
