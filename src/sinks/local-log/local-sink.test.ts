import assert from 'node:assert/strict'
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { isCaptureError } from '../../errors/capture-error.js'
import { createLogger } from '../../observability/logger.js'
import { createMetrics } from '../../observability/metrics.js'
import { KiB, MiB, bytes } from '../../units.js'
import type { PreparedMessage } from '../../pipeline/ports.js'
import { sinkContract } from '../sink-contract.js'
import { createLocalSink, type LocalSink } from './local-sink.js'
import { readLog, type LogRecord } from './log-reader.js'

const dirs: string[] = []
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'capture-local-sink-'))
  dirs.push(dir)
  return dir
}

const logger = createLogger({ level: 'silent' })

function openSink(dataDir: string, options: { segmentMaxBytes?: number; clock?: () => number } = {}): Promise<LocalSink> {
  return createLocalSink(
    { logger, metrics: createMetrics({ defaultMetrics: false }), clock: options.clock },
    { dataDir, segmentMaxBytes: bytes(options.segmentMaxBytes ?? 64 * MiB) },
  )
}

async function readAll(dir: string): Promise<LogRecord[]> {
  const records: LogRecord[] = []
  for await (const record of readLog(dir)) records.push(record)
  return records
}

const aMessage = (n: number, value = JSON.stringify({ uuid: `u${n}`, event: 'e' })): PreparedMessage =>
  ({ topic: 'events_plugin_ingestion', key: `phc_t:user${n}`, headers: { token: 'phc_t', event: 'e' }, value })

sinkContract('LocalSink', async () => {
  const dir = await tempDir()
  return { sink: await openSink(dir), readBack: () => readAll(dir) }
})

describe('LocalSink', () => {
  it('writes one line per message in the documented format, envelope text verbatim', async () => {
    const dir = await tempDir()
    const sink = await openSink(dir, { clock: () => 1_700_000_000_123 })
    await sink.publish([aMessage(1, '{"uuid": "a",  "n":1}'), { ...aMessage(2), key: null, headers: {} }])
    await sink.close()
    const [file] = (await readdir(dir)).filter((name) => name.endsWith('.ndjson'))
    assert.equal(await readFile(join(dir, file!), 'utf8'),
      '{"topic":"events_plugin_ingestion","key":"phc_t:user1","headers":{"token":"phc_t","event":"e"},"value":{"uuid": "a",  "n":1},"ts":1700000000123}\n' +
      '{"topic":"events_plugin_ingestion","key":null,"headers":{},"value":{"uuid":"u2","event":"e"},"ts":1700000000123}\n')
  })

  it('keeps a pretty-printed envelope on one line', async () => {
    const dir = await tempDir()
    const sink = await openSink(dir)
    await sink.publish([aMessage(1, '{\n  "uuid": "a"\n}')])
    await sink.close()
    const records = await readAll(dir)
    assert.equal(records.length, 1)
    assert.deepEqual(records[0]!.value, { uuid: 'a' })
  })

  it('starts its own segment at open, named log-<ms>-<pid>-<seq>.ndjson', async () => {
    const dir = join(await tempDir(), 'nested', 'data')
    const first = await openSink(dir, { clock: () => 1_700_000_000_000 })
    const second = await openSink(dir, { clock: () => 1_700_000_000_000 })
    assert.notEqual(first.currentSegment(), second.currentSegment())
    assert.match(first.currentSegment()!, new RegExp(`^log-1700000000000-${process.pid}-\\d{6}\\.ndjson$`))
    await Promise.all([first.close(), second.close()])
  })

  it('rotates to a new segment once the current one reaches segmentMaxBytes', async () => {
    const dir = await tempDir()
    const sink = await openSink(dir, { segmentMaxBytes: 1 * KiB })
    for (let n = 0; n < 40; n++) await sink.publish([aMessage(n)])
    await sink.close()
    const files = (await readdir(dir)).filter((name) => name.endsWith('.ndjson')).sort()
    assert.ok(files.length > 1)
    const records = await readAll(dir)
    assert.deepEqual(records.map((r) => (r.value as { uuid: string }).uuid), Array.from({ length: 40 }, (_, n) => `u${n}`))
    for (const file of files.slice(0, -1)) {
      const size = Buffer.byteLength(await readFile(join(dir, file)))
      assert.ok(size >= 1 * KiB, `${file} rotated early at ${size} bytes`)
    }
  })

  it('rejects with sink_unavailable and reports unhealthy when it cannot write, then recovers', async () => {
    const dir = await tempDir()
    const sink = await openSink(dir, { segmentMaxBytes: 1 })
    await sink.publish([aMessage(0)])
    // The next publish must open a new segment; a file in place of the directory makes that fail.
    await rm(dir, { recursive: true })
    await writeFile(dir, 'not a directory')
    await assert.rejects(sink.publish([aMessage(1)]), (err) => isCaptureError(err) && err.code === 'sink_unavailable')
    assert.equal(sink.health().healthy, false)
    await rm(dir)
    await mkdir(dir)
    await sink.publish([aMessage(2)])
    assert.equal(sink.health().healthy, true)
    await sink.close()
    assert.deepEqual((await readAll(dir)).map((r) => (r.value as { uuid: string }).uuid), ['u2'])
  })

  it('reports unhealthy once closed', async () => {
    const sink = await openSink(await tempDir())
    await sink.close()
    assert.equal(sink.health().healthy, false)
  })

  it('fails to open when the data directory cannot be created', async () => {
    const parent = await tempDir()
    await writeFile(join(parent, 'file'), '')
    await assert.rejects(openSink(join(parent, 'file', 'data')))
  })
})
