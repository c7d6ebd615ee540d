/**
 * The Kafka settings a CLI command connects with: the server's own variables
 * (KAFKA_HOSTS and the other KAFKA_*), validated the same way, so a command
 * run beside the server reaches the same brokers with the same TLS and SASL.
 */
import { EnvReader } from '../config/env-parsers.js'
import { readKafkaConfig, type KafkaConfig } from '../config/kafka-config.js'

export function kafkaConfigFromEnv(env: Readonly<Record<string, string | undefined>>, purpose: string): KafkaConfig {
  const read = new EnvReader(env)
  const config = readKafkaConfig(read)
  if (read.problems.length > 0) throw new Error(`invalid Kafka configuration:\n  - ${read.problems.join('\n  - ')}`)
  if (config === undefined) throw new Error(`KAFKA_HOSTS is not set: it names the Kafka brokers ${purpose}`)
  return config
}
