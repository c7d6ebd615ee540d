/**
 * The KafkaSink's pure parts, without a broker: producer settings, error
 * classification, per-publish delivery counting, broker reachability, and the
 * loader's error when the native client is missing.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { EnvReader } from '../../config/env-parsers.js'
import { readKafkaConfig } from '../../config/kafka-config.js'
import { CaptureError } from '../../errors/capture-error.js'
import type { PreparedMessage } from '../../pipeline/ports.js'
import { BrokerReachability, brokersUp, CONFIRM_MS } from './broker-reachability.js'
import { deliveryErrorCause, publishError, RD } from './delivery-errors.js'
import { producerSettings } from './producer-config.js'
import { PublishTracker, type SendResult } from './publish-tracker.js'
import { importBindings, KafkaClientUnavailableError } from './rdkafka-module.js'

const config = (env: Record<string, string> = {}) => readKafkaConfig(new EnvReader({ KAFKA_HOSTS: 'k:9092', ...env }))!

describe('producerSettings', () => {
  it('maps the configuration to librdkafka: idempotent, acks=all, murmur2_random, lz4, delivery reports', () => {
    const settings = producerSettings(config())
    assert.equal(settings['bootstrap.servers'], 'k:9092')
    assert.equal(settings['enable.idempotence'], true)
    assert.equal(settings.acks, -1)
    assert.equal(settings.partitioner, 'murmur2_random')
    assert.equal(settings['compression.codec'], 'lz4')
    assert.equal(settings.dr_cb, true)
    assert.equal(settings['linger.ms'], 5)
    assert.equal(settings['queue.buffering.max.kbytes'], 400 * 1024)
    assert.equal(settings['message.max.bytes'], 10 * 1024 * 1024)
    assert.equal(settings['message.timeout.ms'], 20_000)
    assert.equal(settings['security.protocol'], 'plaintext')
  })

  it('turns idempotence off with acks=1, which it requires', () => {
    const settings = producerSettings(config({ KAFKA_PRODUCER_ACKS: '1' }))
    assert.equal(settings.acks, 1)
    assert.equal(settings['enable.idempotence'], false)
  })

  it('sets TLS (verification on unless KAFKA_TLS_VERIFY=false, unlike upstream) and SASL', () => {
    const settings = producerSettings(config({ KAFKA_TLS: 'true', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }))
    assert.equal(settings['security.protocol'], 'sasl_ssl')
    assert.equal(settings['enable.ssl.certificate.verification'], true)
    assert.equal(producerSettings(config({ KAFKA_TLS: 'true', KAFKA_TLS_VERIFY: 'false' }))['enable.ssl.certificate.verification'], false)
    assert.equal(settings['sasl.mechanisms'], 'PLAIN')
    assert.equal(producerSettings(config({ KAFKA_TLS: 'true' }))['security.protocol'], 'ssl')
  })
})

describe('deliveryErrorCause', () => {
  it('names the causes capture acts on', () => {
    assert.equal(deliveryErrorCause({ code: RD.MSG_SIZE_TOO_LARGE }), 'message_too_large')
    assert.equal(deliveryErrorCause({ code: RD.MSG_TIMED_OUT }), 'timeout')
    assert.equal(deliveryErrorCause({ code: RD.QUEUE_FULL }), 'queue_full')
    assert.equal(deliveryErrorCause({ code: RD.ALL_BROKERS_DOWN }), 'broker_unreachable')
    assert.equal(deliveryErrorCause({ code: RD.STATE }), 'not_connected')
    assert.equal(deliveryErrorCause({ code: 3, isFatal: true }), 'fatal')
    assert.equal(deliveryErrorCause({ code: 3 }), 'other')
  })

  it('turns too large into 413 and everything else into 503', () => {
    const tooLarge = publishError('message_too_large', new Error('x'), { limit: 10, size: 11 })
    assert.equal(tooLarge.status, 413)
    assert.equal(tooLarge.options.limit, 10)
    assert.equal(publishError('timeout', new Error('Local: Message timed out')).code, 'sink_unavailable')
  })
})

describe('PublishTracker', () => {
  const messages: PreparedMessage[] = [0, 1, 2, 3].map((n) => ({ topic: 't', key: `k${n}`, headers: {}, value: `${n}` }))
  const track = (): { tracker: PublishTracker; results: SendResult[] } => {
    const results: SendResult[] = []
    const tracker = new PublishTracker(messages, (cause, err) => (err instanceof CaptureError ? err : publishError(cause, err)), (r) => results.push(r))
    return { tracker, results }
  }

  it('settles ok once every message is acknowledged, whatever the order', () => {
    const { tracker, results } = track()
    for (const index of [2, 0, 3]) tracker.delivered(index)
    assert.deepEqual(results, [])
    tracker.delivered(1)
    assert.deepEqual(results, [{ ok: true }])
  })

  it('waits for every verdict and reports exactly the messages not acknowledged', () => {
    const { tracker, results } = track()
    tracker.delivered(0)
    tracker.failed(2, 'timeout', new Error('timed out'))
    tracker.delivered(1)
    assert.equal(results.length, 0)
    tracker.failed(3, 'timeout', new Error('timed out'))
    const result = results[0]!
    assert.ok(!result.ok)
    assert.equal(result.retryable, true)
    assert.equal(result.error.code, 'sink_unavailable')
    assert.deepEqual(result.undelivered.map((m) => m.value), ['2', '3'])
  })

  it('counts messages never enqueued as undelivered, and a too-large message decides a 413', () => {
    const { tracker, results } = track()
    tracker.delivered(0)
    tracker.notEnqueued(2, 'queue_full', new Error('queue full'))
    tracker.failed(1, 'message_too_large', new Error('too large'))
    const result = results[0]!
    assert.ok(!result.ok)
    assert.equal(result.retryable, false)
    assert.equal(result.error.code, 'message_too_large')
    assert.deepEqual(result.undelivered.map((m) => m.value), ['1', '2', '3'])
  })

  it('settles once; reports after forceSettle are ignored', () => {
    const { tracker, results } = track()
    tracker.delivered(0)
    tracker.forceSettle('shutdown', new Error('flush bound'))
    tracker.delivered(1)
    assert.equal(results.length, 1)
    assert.ok(!results[0]!.ok && results[0]!.undelivered.length === 3)
  })
})

describe('BrokerReachability', () => {
  it('counts broker connections in state UP in librdkafka statistics', () => {
    assert.equal(brokersUp(JSON.stringify({ brokers: { 'a:9092/1': { state: 'UP' }, 'b:9092/2': { state: 'DOWN' }, 'c:9092/bootstrap': { state: 'UP' } } })), 2)
    assert.equal(brokersUp('not json'), 0)
  })

  it('goes down on two "no broker up" observations CONFIRM_MS apart, and up at once on an UP broker or a delivery', () => {
    let now = 1000
    const changes: boolean[] = []
    const reachability = new BrokerReachability(() => now, (reachable) => changes.push(reachable))
    const noneUp = JSON.stringify({ brokers: { 'a/1': { state: 'CONNECT' }, 'b/2': { state: 'DOWN' } } })
    assert.equal(reachability.isReachable(), false)
    reachability.onConnected()
    now = 2000
    reachability.onClientError('1/1 brokers are down')
    assert.equal(reachability.isReachable(), true, 'one observation is not enough')
    now = 2000 + CONFIRM_MS - 1
    reachability.onStats(noneUp)
    assert.equal(reachability.isReachable(), true, 'a second observation too soon after the first')
    now = 2000 + CONFIRM_MS
    reachability.onStats(noneUp)
    assert.equal(reachability.isReachable(), false)
    assert.equal(reachability.report().sinceMs, 2000 + CONFIRM_MS)
    reachability.onDelivered()
    assert.equal(reachability.isReachable(), true)
    assert.deepEqual(changes, [true, false, true])
  })

  it('does not count one moment without an UP connection (a dead leader, the next broker not yet connected) as unreachable', () => {
    let now = 1000
    const reachability = new BrokerReachability(() => now)
    reachability.onConnected()
    reachability.onStats(JSON.stringify({ brokers: { 'a/1': { state: 'DOWN' }, 'b/2': { state: 'INIT' } } }))
    now += 1000
    reachability.onStats(JSON.stringify({ brokers: { 'a/1': { state: 'DOWN' }, 'b/2': { state: 'UP' } } }))
    now += 1000
    reachability.onClientError('2/3 brokers are down')
    assert.equal(reachability.isReachable(), true, 'the UP broker in between started the count again')
  })

  it('is unreachable at once on a failed connect, and stays so on "no broker up"', () => {
    const reachability = new BrokerReachability(() => 0)
    reachability.onConnectFailed('timed out')
    reachability.onStats(JSON.stringify({ brokers: {} }))
    assert.equal(reachability.isReachable(), false)
  })
})

describe('loading the Kafka client', () => {
  it('fails with one line naming the package and the command that installs it when it is not installed', async () => {
    await assert.rejects(importBindings('@confluentinc/no-such-package-for-capture-tests'), (err) =>
      err instanceof KafkaClientUnavailableError && /KAFKA_HOSTS is set/.test(err.message) && /`npm run install:kafka`/.test(err.message) && !err.message.includes('\n'))
  })
})
