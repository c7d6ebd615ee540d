/**
 * SpoolingSink with a scripted Kafka stand-in and a real LocalSink spool:
 * routing (Kafka, spool, only the undelivered part), per-key order while the
 * spool drains, the budget, sizes, restart with a non-empty spool, health.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { CaptureError, isCaptureError } from '../../errors/capture-error.js'
import { createLogger } from '../../observability/logger.js'
import { createMetrics } from '../../observability/metrics.js'
import { MiB, bytes, seconds } from '../../units.js'
import type { KafkaSink, SendResult } from '../kafka/kafka-sink.js'
import { createLocalSink } from '../local-log/local-sink.js'
import { readLog } from '../local-log/log-reader.js'
import type { PreparedMessage } from '../../pipeline/ports.js'
import { createSpoolingSink, type SpoolingSink } from './spooling-sink.js'

const dirs: string[] = []
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))
const logger = createLogger({ level: 'silent' })
const msg = (n: number, key = 'phc:user'): PreparedMessage => ({ topic: 't', key, headers: { uuid: `m${n}` }, value: JSON.stringify({ n }) })
const names = (messages: readonly PreparedMessage[]): string[] => messages.map((m) => m.headers.uuid!)

interface FakeKafka extends KafkaSink {
  reachable: boolean
  /** 'ok', 'down' (nothing acknowledged), or a number: acknowledge only that many of each send. */
  mode: 'ok' | 'down' | number
  readonly received: PreparedMessage[]
}

function fakeKafka(): FakeKafka {
  const fake: FakeKafka = {
    kind: 'kafka',
    reachable: true,
    mode: 'ok',
    received: [],
    async send(messages): Promise<SendResult> {
      const take = fake.mode === 'ok' ? messages.length : fake.mode === 'down' ? 0 : fake.mode
      fake.received.push(...messages.slice(0, take))
      if (take >= messages.length) return { ok: true }
      return { ok: false, error: new CaptureError('sink_unavailable'), retryable: true, undelivered: messages.slice(take) }
    },
    async publish(messages) {
      const r = await fake.send(messages)
      if (!r.ok) throw r.error
    },
    isReachable: () => fake.reachable,
    reachability: () => ({ reachable: fake.reachable, sinceMs: 0, detail: '' }),
    health: () => ({ healthy: fake.reachable }),
    healthComponents: () => [{ name: 'sink', report: () => fake.health() }],
    close: async () => undefined,
  }
  return fake
}

async function open(options: { dir?: string; kafka?: FakeKafka; maxBytes?: number } = {}): Promise<{ sink: SpoolingSink; kafka: FakeKafka; dir: string; metrics: ReturnType<typeof createMetrics> }> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'capture-spooling-')))
  if (options.dir === undefined) dirs.push(dir)
  const kafka = options.kafka ?? fakeKafka()
  const metrics = createMetrics({ defaultMetrics: false })
  const spool = await createLocalSink({ logger, metrics }, { dataDir: dir, segmentMaxBytes: bytes(1 * MiB) })
  const sink = await createSpoolingSink(
    { kafka, spool, logger, metrics, clock: Date.now },
    { maxBytes: bytes(options.maxBytes ?? 10 * MiB), retryAfter: seconds(9), messageMaxBytes: 1000, drainIdleMs: 20, scanIntervalMs: 50, lockStaleMs: 5000 },
  )
  return { sink, kafka, dir, metrics }
}

async function spooled(dir: string): Promise<string[]> {
  const found: string[] = []
  for await (const record of readLog(dir)) found.push(record.headers.uuid!)
  return found
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('SpoolingSink', () => {
  it('writes to Kafka while it is reachable and the spool is empty', async () => {
    const { sink, kafka, dir } = await open()
    await sink.publish([msg(1), msg(2)])
    await sink.close()
    assert.deepEqual(names(kafka.received), ['m1', 'm2'])
    assert.deepEqual(await spooled(dir), [])
  })

  it('spools a publish while Kafka is unreachable, resolving once it is on disk', async () => {
    const { sink, kafka, dir, metrics } = await open()
    kafka.reachable = false
    await sink.publish([msg(1), msg(2)])
    assert.deepEqual(await spooled(dir), ['m1', 'm2'])
    assert.equal((await metrics.spoolWritten.get()).values[0]?.value, 2)
    assert.equal(sink.health().healthy, true)
    assert.match(sink.health().detail!, /kafka unreachable, writing to the spool/)
    await sink.close()
  })

  it('spools only the messages Kafka did not acknowledge', async () => {
    const { sink, kafka, dir } = await open()
    kafka.mode = 1
    try {
      await sink.publish([msg(1), msg(2), msg(3)])
      assert.deepEqual(await spooled(dir), ['m2', 'm3'])
      assert.deepEqual(names(kafka.received).filter((n) => n === 'm1'), ['m1'])
    } finally {
      await sink.close()
    }
  })

  it('keeps per-key order: while the spool drains, new writes queue behind it, then go straight to Kafka', async () => {
    const { sink, kafka } = await open()
    kafka.reachable = false
    await sink.publish([msg(1)])
    await sink.publish([msg(2)])
    kafka.reachable = true
    await sink.publish([msg(3)])
    await until(() => kafka.received.length === 3)
    await until(() => !sink.health().detail!.includes('spool'))
    await sink.publish([msg(4)])
    assert.deepEqual(names(kafka.received), ['m1', 'm2', 'm3', 'm4'])
    await sink.close()
  })

  it('forwards what an earlier run left in the spool', async () => {
    const first = await open()
    first.kafka.reachable = false
    await first.sink.publish([msg(1), msg(2)])
    await first.sink.close()
    const second = await open({ dir: first.dir })
    await until(() => second.kafka.received.length === 2)
    assert.deepEqual(names(second.kafka.received), ['m1', 'm2'])
    await second.sink.close()
  })

  it('answers 503 spool_full with Retry-After once the budget is spent, and reports unhealthy when nearly full', async () => {
    const { sink, kafka } = await open({ maxBytes: 2000 })
    kafka.reachable = false
    let refused: unknown
    for (let n = 0; n < 20 && refused === undefined; n++) await sink.publish([msg(n)]).catch((err: unknown) => (refused = err))
    assert.ok(isCaptureError(refused) && refused.code === 'spool_full' && refused.status === 503 && refused.options.retryAfter === 9)
    assert.equal(sink.health().healthy, false)
    await sink.close()
  })

  it('refuses a message larger than Kafka accepts with 413, even when it would only be spooled', async () => {
    const { sink, kafka, dir } = await open()
    kafka.reachable = false
    const big = { ...msg(1), value: JSON.stringify({ pad: 'x'.repeat(2000) }) }
    await assert.rejects(sink.publish([big]), (err) => isCaptureError(err) && err.code === 'message_too_large' && err.options.limit === 1000)
    assert.deepEqual(await spooled(dir), [])
    await sink.close()
  })

  it('rejects publishes after close with shutting_down, and lets started ones finish', async () => {
    const { sink, kafka, dir } = await open()
    kafka.reachable = false
    const started = sink.publish([msg(1)])
    await sink.close()
    await started
    assert.deepEqual(await spooled(dir), ['m1'])
    await assert.rejects(sink.publish([msg(2)]), (err) => isCaptureError(err) && err.code === 'shutting_down')
  })
})
