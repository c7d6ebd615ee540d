import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { after, describe, it } from 'node:test'
import { pino } from 'pino'
import { createMetrics } from '../../observability/metrics.js'
import { bytes, ms } from '../../units.js'
import { createLocalSink } from '../local-log/local-sink.js'
import { readLog } from '../local-log/log-reader.js'
import { writeCheckpoint } from '../spool/checkpoint.js'
import { LogRetention, type LogRetentionOptions } from './log-retention.js'

const dirs: string[] = []
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

const HOUR = 3_600_000
const NOW = Date.now()
/** A pid that has exited: its segments are sealed. */
const DEAD_PID = spawnSync(process.execPath, ['-e', '']).pid!
const LINE = '{"topic":"events","key":null,"headers":{},"value":{"n":1},"ts":1}\n'

const segmentName = (startMs: number, pid: number, seq = 0): string => `log-${String(startMs).padStart(13, '0')}-${pid}-${String(seq).padStart(6, '0')}.ndjson`

async function aDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'capture-retention-'))
  dirs.push(dir)
  return dir
}

/** A segment of `lines` lines (plus an optional torn tail), last written `ageMs` ago. */
async function aSegment(dir: string, name: string, options: { lines?: number; ageMs?: number; tornTail?: string } = {}): Promise<number> {
  const text = LINE.repeat(options.lines ?? 10) + (options.tornTail ?? '')
  await writeFile(join(dir, name), text)
  const when = new Date(NOW - (options.ageMs ?? 0))
  await utimes(join(dir, name), when, when)
  return Buffer.byteLength(text)
}

function aLogger(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const out: string[] = []
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => { out.push(chunk.toString()); done() } })
  return { logger: pino({ level: 'info' }, stream), lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) }
}

function aRetention(dir: string, options: Partial<LogRetentionOptions> = {}) {
  const { logger, lines } = aLogger()
  const metrics = createMetrics({ defaultMetrics: false, sink: 'local' })
  const retention = new LogRetention({ logger, metrics, clock: () => NOW }, {
    dir, maxBytes: bytes(0), maxAgeMs: ms(0), diskFreeWarnBytes: bytes(0), ...options,
  })
  const metric = async (name: string): Promise<number> => {
    const found = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name)
    return found?.values.reduce((sum, v) => sum + v.value, 0) ?? Number.NaN
  }
  return { retention, lines, metric }
}

const files = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((n) => n.endsWith('.ndjson')).sort()

describe('LogRetention on a local log directory', () => {
  it('deletes the oldest sealed segments until the directory is within LOG_RETENTION_BYTES', async () => {
    const dir = await aDir()
    const size = await aSegment(dir, segmentName(NOW - 3000, DEAD_PID))
    await aSegment(dir, segmentName(NOW - 2000, DEAD_PID, 1))
    await aSegment(dir, segmentName(NOW - 1000, DEAD_PID, 2))
    const { retention, metric } = aRetention(dir, { maxBytes: bytes(2 * size) })
    const result = await retention.passOnce()
    assert.deepEqual(result?.remove.map((s) => s.reason), ['size'])
    assert.deepEqual(await files(dir), [segmentName(NOW - 2000, DEAD_PID, 1), segmentName(NOW - 1000, DEAD_PID, 2)])
    assert.equal(await metric('capture_data_dir_bytes'), 2 * size)
    assert.equal(await metric('capture_log_segments_deleted_total'), 1)
  })

  it('deletes sealed segments last written longer ago than LOG_RETENTION_HOURS, and keeps newer ones', async () => {
    const dir = await aDir()
    await aSegment(dir, segmentName(NOW - 50 * HOUR, DEAD_PID), { ageMs: 49 * HOUR })
    await aSegment(dir, segmentName(NOW - 30 * HOUR, DEAD_PID, 1), { ageMs: 1 * HOUR })
    const { retention } = aRetention(dir, { maxAgeMs: ms(48 * HOUR) })
    assert.deepEqual((await retention.passOnce())?.remove.map((s) => [s.name, s.reason]), [[segmentName(NOW - 50 * HOUR, DEAD_PID), 'age']])
    assert.deepEqual(await files(dir), [segmentName(NOW - 30 * HOUR, DEAD_PID, 1)])
  })

  it('never deletes the segment a live process is still writing, and warns that it cannot get under the limit', async () => {
    const dir = await aDir()
    const live = segmentName(NOW - 99 * HOUR, process.pid)
    await aSegment(dir, live, { ageMs: 99 * HOUR, lines: 100 })
    const { retention, lines } = aRetention(dir, { maxBytes: bytes(10), maxAgeMs: ms(HOUR) })
    assert.deepEqual((await retention.passOnce())?.remove, [])
    assert.deepEqual(await files(dir), [live])
    assert.match(String(lines().find((l) => l.level === 40)?.msg), /over LOG_RETENTION_BYTES/)
  })
})

describe('LogRetention on the Kafka spool', () => {
  it('keeps a sealed segment the drainer has not fully forwarded, whatever its age or size', async () => {
    const dir = await aDir()
    const checkpoint = join(dir, 'drain-checkpoint.json')
    const forwarded = segmentName(NOW - 3000, DEAD_PID)
    const pending = segmentName(NOW - 2000, DEAD_PID, 1)
    const forwardedSize = await aSegment(dir, forwarded, { ageMs: 99 * HOUR })
    await aSegment(dir, pending, { ageMs: 99 * HOUR })
    await writeCheckpoint(checkpoint, new Map([[forwarded, forwardedSize], [pending, LINE.length * 3]]))
    const { retention } = aRetention(dir, { maxBytes: bytes(1), maxAgeMs: ms(HOUR), checkpointPath: checkpoint })
    const result = await retention.passOnce()
    assert.deepEqual(result?.remove.map((s) => s.name), [forwarded])
    assert.deepEqual(await files(dir), [pending])
    assert.equal(result?.protectedBytes, LINE.length * 10)
  })

  it('keeps every segment when there is no checkpoint yet (nothing forwarded)', async () => {
    const dir = await aDir()
    await aSegment(dir, segmentName(NOW - 3000, DEAD_PID), { ageMs: 99 * HOUR })
    const { retention } = aRetention(dir, { maxBytes: bytes(1), maxAgeMs: ms(HOUR), checkpointPath: join(dir, 'drain-checkpoint.json') })
    assert.deepEqual((await retention.passOnce())?.remove, [])
  })

  it('counts a dead writer\'s torn tail as nothing to forward, as the drainer does', async () => {
    const dir = await aDir()
    const checkpoint = join(dir, 'drain-checkpoint.json')
    const name = segmentName(NOW - 3000, DEAD_PID)
    await aSegment(dir, name, { lines: 2, tornTail: '{"topic":"ev' })
    await writeCheckpoint(checkpoint, new Map([[name, LINE.length * 2]]))
    const { retention } = aRetention(dir, { maxBytes: bytes(1), checkpointPath: checkpoint })
    assert.deepEqual((await retention.passOnce())?.remove.map((s) => s.name), [name])
  })
})

describe('LogRetention free-space check', () => {
  it('exports the free bytes and warns once (not every pass) when they fall below LOG_DISK_FREE_WARN_BYTES', async () => {
    const dir = await aDir()
    const { retention, lines, metric } = aRetention(dir, { diskFreeWarnBytes: bytes(Number.MAX_SAFE_INTEGER) })
    await retention.passOnce()
    await retention.passOnce()
    assert.ok((await metric('capture_disk_free_bytes')) > 0)
    const warnings = lines().filter((l) => l.level === 40)
    assert.equal(warnings.length, 1)
    assert.match(String(warnings[0]!.msg), /nearly full/)
    assert.equal(warnings[0]!.thresholdBytes, Number.MAX_SAFE_INTEGER)
  })

  it('stays quiet with enough free space', async () => {
    const { retention, lines } = aRetention(await aDir(), { diskFreeWarnBytes: bytes(1) })
    await retention.passOnce()
    assert.deepEqual(lines().filter((l) => l.level === 40), [])
  })
})

describe('LocalSink with retention', () => {
  it('rotates and deletes old segments while writing, keeping the directory near the limit and the rest readable', async () => {
    const dir = await aDir()
    const { logger } = aLogger()
    const metrics = createMetrics({ defaultMetrics: false, sink: 'local' })
    const segmentMaxBytes = bytes(64 * 1024)
    const housekeeping = new LogRetention({ logger, metrics, clock: Date.now }, {
      dir, maxBytes: bytes(4 * segmentMaxBytes), maxAgeMs: ms(0), diskFreeWarnBytes: bytes(0), intervalMs: ms(50),
    })
    const sink = await createLocalSink({ logger, metrics, housekeeping }, { dataDir: dir, segmentMaxBytes })
    const value = JSON.stringify({ pad: 'x'.repeat(1000) })
    for (let i = 0; i < 600; i++) await sink.publish([{ topic: 'events', key: `k${i}`, headers: {}, value }])
    await new Promise((resolve) => setTimeout(resolve, 200))
    await sink.close()
    const names = await files(dir)
    let total = 0
    for (const name of names) total += (await stat(join(dir, name))).size
    assert.ok(names.length < 10, `${names.length} segments left`)
    assert.ok(total <= 5 * segmentMaxBytes + 2000, `${total} bytes left`)
    let read = 0
    for await (const record of readLog(dir)) read += record.topic === 'events' ? 1 : 0
    assert.ok(read > 0 && read < 600, `${read} messages left`)
  })
})
