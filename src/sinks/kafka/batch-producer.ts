/**
 * The batch engine: capture's own librdkafka addon (native/kafka-batch), which
 * takes a publish's messages in one call and reports each publish once.
 *
 * Each publish is encoded into one Buffer (the layout is documented in
 * native/kafka-batch/kafka_batch.c): the values are written once, straight
 * from the envelope strings, and librdkafka points into that Buffer instead of
 * copying them, so a message's bytes exist once outside the V8 heap for as long
 * as Kafka has not acknowledged it. Delivery reports are counted on the C side;
 * JavaScript hears one completion per publish, naming the messages that failed.
 *
 * The addon links against the librdkafka that `@confluentinc/kafka-javascript`
 * builds, so that package is loaded first (it loads the shared library).
 */
import { createRequire } from 'node:module'
import type { PreparedMessage } from '../../pipeline/ports.js'
import { deliveryErrorCause } from './delivery-errors.js'
import { kafkaError, refuseFrom, type OpenProducer, type Producer, type ProducerHooks } from './producer.js'
import type { PublishTracker } from './publish-tracker.js'
import type { RdConfig } from './rdkafka-module.js'

/** The addon's functions (native/kafka-batch/kafka_batch.c). */
interface BatchAddon {
  create(settings: string[], onEvent: (kind: string, a: unknown, b?: unknown, c?: unknown) => void): BatchHandle
  topic(handle: BatchHandle, name: string): number
  produce(handle: BatchHandle, batch: Buffer, count: number, id: number): number
  lastError(handle: BatchHandle): [number, string]
  outq(handle: BatchHandle): number
  purge(handle: BatchHandle, inflight: boolean): void
  metadata(handle: BatchHandle, timeoutMs: number): Promise<number>
  close(handle: BatchHandle): Promise<void>
}
declare const batchHandle: unique symbol
type BatchHandle = { readonly [batchHandle]: true }

/** Settings the binding consumes itself (the addon always counts delivery reports). */
const BINDING_ONLY = new Set(['dr_cb', 'dr_msg_cb', 'event_cb'])

/** Where the build puts the addon, relative to this module in src/ or dist/. */
const ADDON_PATH = '../../../native/kafka-batch/build/kafka_batch.node'

/** The addon, or the reason it cannot be loaded (not built, or built for another Node). */
export function loadBatchAddon(): { addon: BatchAddon } | { error: string } {
  try {
    return { addon: createRequire(import.meta.url)(ADDON_PATH) as BatchAddon }
  } catch (err) {
    return { error: err instanceof Error ? err.message.split('\n')[0]! : String(err) }
  }
}

export function batchProducer(addon: BatchAddon): OpenProducer {
  return async (options, hooks) => {
    const producer = new BatchProducer(addon, options.settings, hooks, options.messageMaxBytes)
    try {
      await addon.metadata(producer.handle, options.connectTimeoutMs)
    } catch (err) {
      await producer.close()
      throw err
    }
    return producer
  }
}

class BatchProducer implements Producer {
  readonly engine = 'batch' as const
  readonly handle: BatchHandle
  private readonly topics = new Map<string, number>()
  private readonly topicNames: string[] = []
  private readonly pending = new Map<number, PublishTracker>()
  private readonly encoder = new BatchEncoder()
  private nextId = 1
  private closed: Promise<void> | undefined

  constructor(private readonly addon: BatchAddon, settings: RdConfig, private readonly hooks: ProducerHooks, private readonly messageMaxBytes: number) {
    const pairs: string[] = []
    for (const [name, value] of Object.entries(settings)) if (!BINDING_ONLY.has(name)) pairs.push(name, String(value))
    this.handle = addon.create(pairs, this.onEvent)
  }

  send(messages: readonly PreparedMessage[], tracker: PublishTracker): void {
    if (messages.length === 0) return
    const batch = this.encoder.encode(messages, (topic) => this.topicIndex(topic))
    const id = this.nextId++
    const enqueued = this.addon.produce(this.handle, batch, messages.length, id)
    if (enqueued < messages.length) {
      const [code, text] = this.addon.lastError(this.handle)
      refuseFrom(messages, enqueued, kafkaError(code, text), tracker, this.hooks, this.messageMaxBytes)
    }
    if (enqueued > 0 && !tracker.isSettled) {
      this.pending.set(id, tracker)
      tracker.holdAs(() => decodeBatch(batch, this.topicNames))
    }
  }

  purge(inflight: boolean): void {
    if (this.closed === undefined) this.addon.purge(this.handle, inflight)
  }

  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (this.closed !== undefined || this.addon.outq(this.handle) === 0) return true
      if (Date.now() >= deadline) return false
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  close(): Promise<void> {
    this.closed ??= this.addon.close(this.handle).catch(() => undefined)
    return this.closed
  }

  private topicIndex(topic: string): number {
    let index = this.topics.get(topic)
    if (index === undefined) {
      index = this.addon.topic(this.handle, topic)
      this.topics.set(topic, index)
      this.topicNames[index] = topic
    }
    return index
  }

  /** Called by the addon: 'd' completions, 'e' client errors, 's' statistics. */
  private readonly onEvent = (kind: string, a: unknown, b?: unknown, c?: unknown): void => {
    if (kind === 'd') for (const completion of a as Array<number | number[]>) this.complete(completion)
    else if (kind === 's') this.hooks.stats(c as string)
    else if (kind === 'e') this.hooks.error(kafkaError(a as number, c as string, b as boolean))
  }

  /** A publish is done: `completion` is its id, or [id, index, code, index, code, ...] when some failed. */
  private complete(completion: number | number[]): void {
    const id = typeof completion === 'number' ? completion : completion[0]!
    const tracker = this.pending.get(id)
    if (tracker === undefined) return
    this.pending.delete(id)
    if (typeof completion !== 'number') {
      for (let at = 1; at < completion.length; at += 2) {
        const err = kafkaError(completion[at + 1]!, `delivery failed (librdkafka error ${completion[at + 1]})`)
        const cause = deliveryErrorCause(err)
        this.hooks.failed(cause, 1)
        tracker.failed(completion[at]!, cause, err)
      }
    }
    const delivered = tracker.deliverRest()
    if (delivered > 0) this.hooks.delivered(delivered)
  }
}

/**
 * Encodes a publish into the addon's layout. Writes into one reusable scratch
 * buffer, then copies the used part out (one allocation per publish).
 */
export class BatchEncoder {
  private scratch = Buffer.allocUnsafeSlow(1 << 20)

  encode(messages: readonly PreparedMessage[], topicIndex: (topic: string) => number): Buffer {
    let at = 0
    for (const message of messages) {
      at = this.writeMessage(message, topicIndex(message.topic), at)
    }
    const batch = Buffer.allocUnsafe(at)
    this.scratch.copy(batch, 0, 0, at)
    return batch
  }

  private writeMessage(message: PreparedMessage, topic: number, start: number): number {
    const key = message.key
    let worst = 16 + 3 * (message.value.length + (key?.length ?? 0))
    for (const name in message.headers) worst += 8 + name.length + 3 * message.headers[name]!.length
    const buf = this.reserve(start, worst)
    let at = buf.writeUInt16LE(topic, start)
    if (key === null) {
      at = buf.writeInt32LE(-1, at)
    } else {
      const length = writeText(buf, key, at + 4)
      buf.writeInt32LE(length, at)
      at += 4 + length
    }
    const valueLength = buf.utf8Write(message.value, at + 4)
    buf.writeUInt32LE(valueLength, at)
    at += 4 + valueLength
    const countAt = at++
    let count = 0
    for (const name in message.headers) {
      const nameLength = writeText(buf, name, at + 1)
      buf[at] = nameLength
      at += 1 + nameLength
      const length = writeText(buf, message.headers[name]!, at + 4)
      buf.writeUInt32LE(length, at)
      at += 4 + length
      count++
    }
    buf[countAt] = count
    return at
  }

  /** The scratch buffer, grown (keeping its first `used` bytes) so `more` bytes fit after them. */
  private reserve(used: number, more: number): Buffer {
    if (used + more > this.scratch.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.scratch.length * 2, used + more))
      this.scratch.copy(grown, 0, 0, used)
      this.scratch = grown
    }
    return this.scratch
  }
}

/**
 * Writes a key or header as UTF-8 and returns its length in bytes. Short ASCII
 * strings (ids, times, names) are copied in a JavaScript loop, about twice as
 * fast as a call into Buffer's native writer for strings this size.
 */
function writeText(buf: Buffer, text: string, at: number): number {
  const length = text.length
  if (length <= SHORT) {
    let i = 0
    for (; i < length; i++) {
      const code = text.charCodeAt(i)
      if (code > 0x7f) break
      buf[at + i] = code
    }
    if (i === length) return length
  }
  return buf.utf8Write(text, at)
}

const SHORT = 96

/** The messages of an encoded batch, as they were before encoding (for the spool, when some were not delivered). */
export function decodeBatch(batch: Buffer, topicNames: readonly string[]): PreparedMessage[] {
  const messages: PreparedMessage[] = []
  let at = 0
  while (at < batch.length) {
    const topic = topicNames[batch.readUInt16LE(at)]!
    const keyLength = batch.readInt32LE(at + 2)
    at += 6
    const key = keyLength < 0 ? null : batch.toString('utf8', at, at + keyLength)
    at += Math.max(keyLength, 0)
    const valueLength = batch.readUInt32LE(at)
    const value = batch.toString('utf8', at + 4, at + 4 + valueLength)
    at += 4 + valueLength
    const headers: Record<string, string> = {}
    for (let count = batch[at++]!; count > 0; count--) {
      const nameLength = batch[at]!
      const name = batch.toString('utf8', at + 1, at + 1 + nameLength)
      at += 1 + nameLength
      const length = batch.readUInt32LE(at)
      headers[name] = batch.toString('utf8', at + 4, at + 4 + length)
      at += 4 + length
    }
    messages.push({ topic, key, headers, value })
  }
  return messages
}

declare global {
  interface Buffer {
    /** Node's UTF-8 writer behind Buffer#write, without its argument parsing; returns the bytes written. */
    utf8Write(value: string, offset: number): number
  }
}
