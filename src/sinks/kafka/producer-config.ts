/**
 * KafkaConfig → librdkafka producer settings. Pure, so the mapping is tested
 * without a broker.
 *
 * Fixed choices (not configurable, they are what the promise rests on):
 * idempotence (no duplicates or reordering from librdkafka's own retries),
 * partitioner murmur2_random (the Java client's hashing, which PostHog's
 * consumers expect), delivery reports on, statistics every second (broker
 * reachability for health), and no message-count cap on the local queue
 * (KAFKA_PRODUCER_QUEUE_MIB bounds it in bytes).
 */
import type { KafkaConfig } from '../../config/kafka-config.js'
import { KiB } from '../../units.js'
import type { RdConfig } from './rdkafka-module.js'

export const STATS_INTERVAL_MS = 1000

export function producerSettings(config: KafkaConfig): RdConfig {
  const settings: RdConfig = {
    'bootstrap.servers': config.hosts,
    'client.id': config.clientId,
    'linger.ms': config.lingerMs,
    'queue.buffering.max.kbytes': Math.floor(config.queueBytes / KiB),
    'queue.buffering.max.messages': 0,
    'message.timeout.ms': config.messageTimeoutMs,
    'message.max.bytes': config.messageMaxBytes,
    'compression.codec': config.compression,
    'acks': config.acks === 'all' ? -1 : 1,
    // Idempotence requires acks=all; with KAFKA_PRODUCER_ACKS=1 it is off.
    'enable.idempotence': config.acks === 'all',
    'partitioner': 'murmur2_random',
    'dr_cb': true,
    'statistics.interval.ms': STATS_INTERVAL_MS,
    'metadata.max.age.ms': 60_000,
    'topic.metadata.refresh.interval.ms': 20_000,
    'socket.keepalive.enable': true,
    'socket.nagle.disable': true,
    'security.protocol': securityProtocol(config),
  }
  if (config.tls.enabled) {
    settings['enable.ssl.certificate.verification'] = config.tls.verifyCertificates
    if (config.tls.caLocation !== undefined) settings['ssl.ca.location'] = config.tls.caLocation
  }
  if (config.sasl !== undefined) {
    settings['sasl.mechanisms'] = config.sasl.mechanism
    settings['sasl.username'] = config.sasl.username
    settings['sasl.password'] = config.sasl.password
  }
  return settings
}

function securityProtocol(config: KafkaConfig): string {
  const sasl = config.sasl !== undefined
  if (config.tls.enabled) return sasl ? 'sasl_ssl' : 'ssl'
  return sasl ? 'sasl_plaintext' : 'plaintext'
}
