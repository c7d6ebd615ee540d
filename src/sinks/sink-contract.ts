/**
 * The Sink contract: behaviour every Sink implementation must show, run
 * against each one (LocalSink in its unit tests, KafkaSink against a real
 * broker in integration tests).
 *
 * `make` returns a fresh sink and `readBack`, which returns what has been
 * stored so far (for Kafka: consumed from the topics). Every test marks its
 * messages with a unique run id and only looks at those, so readBack may also
 * return other data. Order is checked among messages sharing one key, the
 * order every sink (including a partitioned Kafka topic) promises.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { isCaptureError } from '../errors/capture-error.js'
import type { LogLine } from './local-log/log-line.js'
import type { PreparedMessage, Sink } from '../pipeline/ports.js'

export interface SinkUnderTest {
  readonly sink: Sink
  readonly readBack: () => Promise<LogLine[]>
}

export interface SinkContractOptions {
  /** Topic the test messages go to (must exist for Kafka). */
  readonly topic?: string
}

interface TestValue {
  readonly run: string
  readonly n: number
}

function messageBuilder(topic: string) {
  const run = randomUUID()
  const message = (n: number, key: string | null = `token:${run}`): PreparedMessage => ({
    topic,
    key,
    headers: { token: 'phc_contract', uuid: `${run}-${n}` },
    value: JSON.stringify({ run, n, event: '$pageview', data: '{"properties":{"$current_url":"https://example.com/"}}' }),
  })
  const batch = (first: number, count: number): PreparedMessage[] =>
    Array.from({ length: count }, (_, i) => message(first + i))
  const ours = async (readBack: () => Promise<LogLine[]>): Promise<LogLine[]> =>
    (await readBack()).filter((line) => (line.value as Partial<TestValue> | null)?.run === run)
  const numbers = (lines: LogLine[]): number[] => lines.map((line) => (line.value as TestValue).n)
  return { message, batch, ours, numbers }
}

async function withSink(make: () => Promise<SinkUnderTest>, test: (s: SinkUnderTest) => Promise<void>): Promise<void> {
  const subject = await make()
  try {
    await test(subject)
  } finally {
    await subject.sink.close()
  }
}

export function sinkContract(name: string, make: () => Promise<SinkUnderTest>, options: SinkContractOptions = {}): void {
  const topic = options.topic ?? 'events_plugin_ingestion'
  describe(`${name} satisfies Sink`, () => {
    it('stores every message of a publish, as sent, by the time publish resolves', () => withSink(make, async ({ sink, readBack }) => {
      const m = messageBuilder(topic)
      const sent = [m.message(1), m.message(2, null)]
      await sink.publish(sent)
      const stored = await m.ours(readBack)
      assert.equal(stored.length, 2)
      for (const [i, line] of stored.entries()) {
        const expected = sent[i]!
        assert.equal(line.topic, expected.topic)
        assert.equal(line.key, expected.key)
        assert.deepEqual(line.headers, expected.headers)
        assert.deepEqual(line.value, JSON.parse(expected.value))
      }
    }))

    it('keeps order within a publish and across sequential publishes', () => withSink(make, async ({ sink, readBack }) => {
      const m = messageBuilder(topic)
      for (let first = 0; first < 50; first += 10) await sink.publish(m.batch(first, 10))
      assert.deepEqual(m.numbers(await m.ours(readBack)), Array.from({ length: 50 }, (_, i) => i))
    }))

    it('lands every message of concurrent publishes exactly once', () => withSink(make, async ({ sink, readBack }) => {
      const m = messageBuilder(topic)
      await Promise.all(Array.from({ length: 40 }, (_, p) => sink.publish(m.batch(p * 5, 5))))
      const seen = m.numbers(await m.ours(readBack)).sort((a, b) => a - b)
      assert.deepEqual(seen, Array.from({ length: 200 }, (_, i) => i))
    }))

    it('accepts an empty publish', () => withSink(make, async ({ sink }) => {
      await sink.publish([])
      assert.equal(sink.health().healthy, true)
    }))

    it('reports healthy while open', () => withSink(make, async ({ sink }) => {
      assert.equal(sink.health().healthy, true)
      await sink.publish(messageBuilder(topic).batch(0, 3))
      assert.equal(sink.health().healthy, true)
    }))

    it('completes publishes already started when closed, and close is idempotent', async () => {
      const { sink, readBack } = await make()
      const m = messageBuilder(topic)
      const publishes = Array.from({ length: 10 }, (_, p) => sink.publish(m.batch(p * 3, 3)))
      await Promise.all([sink.close(), sink.close()])
      await Promise.all(publishes)
      await sink.close()
      assert.equal((await m.ours(readBack)).length, 30)
    })

    it('rejects a publish after close with shutting_down', async () => {
      const { sink } = await make()
      await sink.close()
      await assert.rejects(sink.publish(messageBuilder(topic).batch(0, 1)), (err) => isCaptureError(err) && err.code === 'shutting_down')
    })
  })
}
