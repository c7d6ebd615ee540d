import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { PreparedMessage } from '../../pipeline/ports.js'
import { BatchEncoder, decodeBatch } from './batch-producer.js'

const topics = ['events_plugin_ingestion', 'events_plugin_ingestion_overflow']

describe('BatchEncoder', () => {
  it('encodes messages so that decodeBatch gives them back exactly, whatever the strings hold', () => {
    const messages: PreparedMessage[] = [
      { topic: topics[0]!, key: 'phc_a:user-1', headers: { token: 'phc_a', distinct_id: 'user-1', now: '2026-12-01T00:00:00.000Z' }, value: '{"uuid":"u1"}' },
      { topic: topics[1]!, key: null, headers: {}, value: '' },
      { topic: topics[0]!, key: 'phc_a:user-ü', headers: { uuid: 'ascii-then-ü', distinct_id: 'é 日本 👍 "quoted" \\ \u0000' }, value: JSON.stringify({ data: 'ü'.repeat(5000) }) },
    ]
    const encoder = new BatchEncoder()
    const batch = encoder.encode(messages, (topic) => topics.indexOf(topic))
    assert.deepEqual(decodeBatch(batch, topics), messages)
  })

  it('grows its scratch buffer for a publish larger than it, keeping what was written', () => {
    const big = 'x'.repeat(700_000)
    const messages: PreparedMessage[] = Array.from({ length: 4 }, (_, n) => ({ topic: topics[0]!, key: `k${n}`, headers: { n: String(n) }, value: big + n }))
    const batch = new BatchEncoder().encode(messages, () => 0)
    assert.deepEqual(decodeBatch(batch, topics), messages)
  })
})
