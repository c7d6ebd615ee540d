/**
 * The general-purpose engine: `@confluentinc/kafka-javascript`'s Producer, one
 * produce() call and one delivery report per message. Used where capture's
 * own batch addon (batch-producer.ts) is not built, and to check that both
 * engines behave alike.
 */
import type { PreparedMessage } from '../../pipeline/ports.js'
import { deliveryErrorCause } from './delivery-errors.js'
import { refuseFrom, type OpenProducer, type Producer, type ProducerHooks } from './producer.js'
import type { DeliveryRef, PublishTracker } from './publish-tracker.js'
import type { RdDeliveryReport, RdHeaders, RdKafkaError, RdKafkaModule, RdProducer } from './rdkafka-module.js'

export function bindingProducer(rdkafka: RdKafkaModule): OpenProducer {
  return async (options, hooks) => {
    const producer = new rdkafka.Producer(options.settings)
    producer.on('delivery-report', (err, report) => onReport(hooks, err, report))
    producer.on('event.stats', (stats) => hooks.stats(stats.message))
    producer.on('event.error', (err) => hooks.error(err))
    try {
      await new Promise<void>((resolve, reject) => {
        producer.connect({ timeout: options.connectTimeoutMs }, (err) => (err ? reject(err) : resolve()))
      })
    } catch (err) {
      await disconnect(producer)
      throw err
    }
    producer.setPollInBackground(true)
    return new BindingProducer(producer, hooks, options.messageMaxBytes)
  }
}

class BindingProducer implements Producer {
  readonly engine = 'binding' as const

  constructor(private readonly producer: RdProducer, private readonly hooks: ProducerHooks, private readonly messageMaxBytes: number) {}

  send(messages: readonly PreparedMessage[], tracker: PublishTracker): void {
    for (let index = 0; index < messages.length; index++) {
      const message = messages[index]!
      const ref: DeliveryRef = { tracker, index }
      try {
        this.producer.produce(message.topic, null, Buffer.from(message.value, 'utf8'), message.key, null, ref, headerList(message.headers))
      } catch (err) {
        refuseFrom(messages, index, err as RdKafkaError, tracker, this.hooks, this.messageMaxBytes)
        return
      }
    }
  }

  /** The binding cannot purge: its publishes wait for librdkafka's message timeout. */
  purge(): void {}

  flush(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      try {
        this.producer.flush(timeoutMs, (err) => resolve(err === null || err === undefined))
      } catch {
        resolve(false)
      }
    })
  }

  close(): Promise<void> {
    return disconnect(this.producer)
  }
}

function onReport(hooks: ProducerHooks, err: RdKafkaError | null, report: RdDeliveryReport): void {
  const ref = report.opaque as DeliveryRef | undefined
  if (ref === undefined) return
  if (err === null || err === undefined) {
    hooks.delivered(1)
    ref.tracker.delivered(ref.index)
    return
  }
  const cause = deliveryErrorCause(err)
  hooks.failed(cause, 1)
  ref.tracker.failed(ref.index, cause, err)
}

function headerList(headers: Readonly<Record<string, string>>): RdHeaders {
  const list: RdHeaders = []
  for (const name in headers) list.push({ [name]: headers[name]! })
  return list
}

/** Disconnects without waiting for deliveries; never throws. */
function disconnect(producer: RdProducer): Promise<void> {
  return new Promise((resolve) => {
    try {
      if (!producer.isConnected()) {
        resolve()
        return
      }
      producer.disconnect(0, () => resolve())
    } catch {
      resolve()
    }
  })
}
