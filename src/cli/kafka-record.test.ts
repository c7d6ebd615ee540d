import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { RdMessage } from '../sinks/kafka/rdkafka-module.js'
import { tailLine } from './kafka-record.js'

const envelope = { uuid: 'u-1', distinct_id: 'user-1', data: '{"event":"hello","properties":{"plan":"free"}}', token: 'phc_x', event: 'hello' }

function aMessage(overrides: Partial<RdMessage> = {}): RdMessage {
  return {
    topic: 'events_plugin_ingestion',
    partition: 2,
    offset: 41,
    key: Buffer.from('phc_x:user-1'),
    value: Buffer.from(JSON.stringify(envelope)),
    timestamp: 1735689600000,
    headers: [{ token: Buffer.from('phc_x') }, { uuid: Buffer.from('u-1') }],
    ...overrides,
  }
}

describe('tailLine', () => {
  it('is the local log line (topic, key, headers, value, ts) plus partition and offset, value parsed', () => {
    assert.deepEqual(tailLine(aMessage(), { decodeData: false }), {
      topic: 'events_plugin_ingestion', partition: 2, offset: 41, key: 'phc_x:user-1',
      headers: { token: 'phc_x', uuid: 'u-1' }, value: envelope, ts: 1735689600000,
    })
  })

  it('parses the envelope data into the event with decodeData', () => {
    const line = tailLine(aMessage(), { decodeData: true })
    assert.deepEqual((line.value as { data: unknown }).data, { event: 'hello', properties: { plan: 'free' } })
  })

  it('keeps a value that is not JSON as text, marked, and a missing key and value as null', () => {
    assert.deepEqual(tailLine(aMessage({ value: Buffer.from('not json') }), { decodeData: true }).value_encoding, 'text')
    assert.equal(tailLine(aMessage({ value: Buffer.from('not json') }), { decodeData: true }).value, 'not json')
    const bare = tailLine(aMessage({ key: null, value: null, headers: undefined }), { decodeData: false })
    assert.deepEqual([bare.key, bare.value, bare.headers], [null, null, {}])
  })
})
