/**
 * A consumed Kafka message as one JSON line for `kafka tail`: the local log's
 * line shape (`topic`, `key`, `headers`, `value`, `ts`) plus where it sits
 * (`partition`, `offset`), with `value` parsed as capture's envelope, so the
 * jq filters written for `log read` work on Kafka too. Pure, so it is tested
 * without a broker.
 *
 * A value that is not JSON (not written by capture) is kept as text, with
 * `value_encoding: "text"`; with `decodeData` the envelope's `data` (the
 * event, a JSON string) is parsed as well.
 */
import type { RdMessage } from '../sinks/kafka/rdkafka-module.js'

export interface TailLine {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly key: string | null
  readonly headers: Record<string, string>
  readonly value: unknown
  readonly value_encoding?: 'text'
  readonly ts: number | null
}

export function tailLine(message: RdMessage, options: { decodeData: boolean }): TailLine {
  const headers: Record<string, string> = {}
  for (const header of message.headers ?? []) {
    for (const [name, value] of Object.entries(header)) headers[name] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value)
  }
  const key = message.key === null || message.key === undefined ? null : message.key.toString()
  const where = { topic: message.topic, partition: message.partition, offset: message.offset, key, headers }
  const ts = message.timestamp ?? null
  const text = message.value === null ? null : message.value.toString('utf8')
  if (text === null) return { ...where, value: null, ts }
  const parsed = parseJson(text)
  if (parsed === undefined) return { ...where, value: text, value_encoding: 'text', ts }
  return { ...where, value: options.decodeData ? withDecodedData(parsed) : parsed, ts }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function withDecodedData(envelope: unknown): unknown {
  if (typeof envelope !== 'object' || envelope === null || !('data' in envelope) || typeof envelope.data !== 'string') return envelope
  const data = parseJson(envelope.data)
  return data === undefined ? envelope : { ...envelope, data }
}
