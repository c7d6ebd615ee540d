import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { PreparedMessage } from '../../pipeline/ports.js'
import { encodeLines, formatLine, parseLine, valueText } from './log-line.js'

const aMessage = (value: string, extra: Partial<PreparedMessage> = {}): PreparedMessage =>
  ({ topic: 'events_plugin_ingestion', key: 'phc_t:u1', headers: { token: 'phc_t' }, value, ...extra })

describe('encodeLines', () => {
  it('produces the same bytes as formatLine for each message', () => {
    const messages = [
      aMessage('{"n":1}'),
      aMessage('{"emoji":"😀 é ü ✓"}', { key: null, headers: { event: 'ünïcode', quote: '"x"' } }),
      aMessage(JSON.stringify({ big: '€'.repeat(200_000) })),
      aMessage('{"n":4}', { topic: 'exceptions' }),
    ]
    const expected = messages.map((m) => formatLine(m, 1_700_000_000_000)).join('')
    assert.equal(encodeLines(messages, 1_700_000_000_000).toString('utf8'), expected)
  })

  it('encodes an empty publish as no bytes', () => {
    assert.equal(encodeLines([], 1).length, 0)
  })
})

describe('parseLine', () => {
  it('reads back what formatLine wrote', () => {
    const line = formatLine(aMessage('{"uuid":"a"}', { key: null }), 42)
    assert.deepEqual(parseLine(line.slice(0, -1)), { topic: 'events_plugin_ingestion', key: null, headers: { token: 'phc_t' }, value: { uuid: 'a' }, ts: 42 })
  })

  it('rejects text that is not a log line', () => {
    for (const text of ['', 'garbage', '[]', '{"topic":"t"}', '{"topic":"t","key":1,"headers":{},"value":1,"ts":1}']) {
      assert.equal(parseLine(text), undefined, text)
    }
  })
})

describe('valueText', () => {
  it('falls back to re-serialising a line in another field order', () => {
    const text = '{"ts":1,"topic":"t","key":null,"headers":{},"value":{"a": 1}}'
    assert.equal(valueText(text, parseLine(text)!), '{"a":1}')
  })
})
