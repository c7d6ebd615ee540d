/**
 * Picks the producer engine (KAFKA_PRODUCER_ENGINE): `batch`, capture's own
 * librdkafka addon (native/kafka-batch; one call and one report per publish),
 * or `binding`, the general-purpose `@confluentinc/kafka-javascript` producer
 * (one call and one report per message). `auto` takes the addon where it is
 * built and says so in the log where it is not. Both need the binding loaded:
 * it carries the librdkafka shared library the addon links against.
 */
import type { ProducerEnginePreference } from '../../config/kafka-config.js'
import type { Logger } from '../../observability/logger.js'
import { batchProducer, loadBatchAddon } from './batch-producer.js'
import { bindingProducer } from './binding-producer.js'
import type { OpenProducer } from './producer.js'
import { loadRdKafka } from './rdkafka-module.js'

export class BatchEngineUnavailableError extends Error {
  constructor(reason: string) {
    super(
      `KAFKA_PRODUCER_ENGINE=batch but capture's Kafka batch addon could not be loaded (${reason}). ` +
      'Build it with `npm run build:native` (after the Kafka client is installed, see docs/kafka.md), ' +
      'or set KAFKA_PRODUCER_ENGINE=auto to fall back to the general-purpose producer.',
    )
    this.name = 'BatchEngineUnavailableError'
  }
}

export async function loadProducerEngine(preference: ProducerEnginePreference, logger?: Logger): Promise<OpenProducer> {
  const rdkafka = await loadRdKafka()
  if (preference === 'binding') return bindingProducer(rdkafka)
  const loaded = loadBatchAddon()
  if ('addon' in loaded) return batchProducer(loaded.addon)
  if (preference === 'batch') throw new BatchEngineUnavailableError(loaded.error)
  logger?.warn({ reason: loaded.error }, 'kafka batch addon not built; using the general-purpose producer (more CPU per event): run `npm run build:native`')
  return bindingProducer(rdkafka)
}
