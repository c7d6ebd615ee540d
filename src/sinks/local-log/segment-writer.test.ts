import assert from 'node:assert/strict'
import { closeSync } from 'node:fs'
import { mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { isCaptureError } from '../../errors/capture-error.js'
import { createLogger } from '../../observability/logger.js'
import { createMetrics, type Metrics } from '../../observability/metrics.js'
import { bytes } from '../../units.js'
import { segmentName } from './segment-file.js'
import { openSegmentWriter, type SegmentWriter } from './segment-writer.js'

const dirs: string[] = []
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'capture-segment-writer-'))
  dirs.push(dir)
  return dir
}

interface Setup {
  readonly dir: string
  readonly writer: SegmentWriter
  readonly metrics: Metrics
}

async function setUp(options: { segmentMaxBytes?: number; maxGroupBytes?: number; clock?: () => number } = {}): Promise<Setup> {
  const dir = await tempDir()
  const metrics = createMetrics({ defaultMetrics: false })
  const writer = await openSegmentWriter(
    { logger: createLogger({ level: 'silent' }), metrics, clock: options.clock ?? Date.now },
    {
      dataDir: dir,
      segmentMaxBytes: bytes(options.segmentMaxBytes ?? 1 << 30),
      maxGroupBytes: options.maxGroupBytes === undefined ? undefined : bytes(options.maxGroupBytes),
    },
  )
  return { dir, writer, metrics }
}

const line = (n: number): Buffer => Buffer.from(`{"n":${n},"pad":"${'x'.repeat(n % 50)}"}\n`)

async function groupCount(metrics: Metrics): Promise<number> {
  const { values } = await metrics.localLogBatchMessages.get()
  return values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0
}

async function allLines(dir: string): Promise<string[]> {
  const files = (await readdir(dir)).sort()
  const texts = await Promise.all(files.map((file) => readFile(join(dir, file), 'utf8')))
  return texts.join('').split('\n').filter((text) => text !== '')
}

describe('SegmentWriter', () => {
  it('commits appends made during an fsync together, in one group', async () => {
    const { writer, metrics } = await setUp()
    await Promise.all(Array.from({ length: 50 }, (_, n) => writer.append(line(n), 1)))
    await writer.close()
    assert.equal(await groupCount(metrics), 2)
  })

  it('caps a group at maxGroupBytes', async () => {
    const { writer, metrics } = await setUp({ maxGroupBytes: 100 })
    await Promise.all(Array.from({ length: 20 }, (_, n) => writer.append(Buffer.from(`${'y'.repeat(59)}${n % 10}\n`), 1)))
    await writer.close()
    assert.equal(await groupCount(metrics), 20)
  })

  it('never interleaves or splits lines of concurrent appends, across rotations', async () => {
    const { dir, writer } = await setUp({ segmentMaxBytes: 500, maxGroupBytes: 300 })
    await Promise.all(Array.from({ length: 300 }, (_, n) => writer.append(Buffer.concat([line(n), line(n + 1000)]), 2)))
    await writer.close()
    const lines = await allLines(dir)
    assert.equal(lines.length, 600)
    for (let i = 0; i < lines.length; i += 2) {
      const n = (JSON.parse(lines[i]!) as { n: number }).n
      assert.equal((JSON.parse(lines[i + 1]!) as { n: number }).n, n + 1000)
    }
    assert.ok((await readdir(dir)).length > 1)
  })

  it('names a later segment no earlier than the previous one when the clock steps back', async () => {
    let now = 2_000_000_000_000
    const { dir, writer } = await setUp({ segmentMaxBytes: 1, clock: () => now })
    await writer.append(line(1), 1)
    now -= 60_000
    await writer.append(line(2), 1)
    await writer.close()
    assert.deepEqual((await readdir(dir)).sort(), [0, 1].map((seq) => segmentName({ startMs: 2_000_000_000_000, pid: process.pid, seq })))
  })

  it('waits for queued appends on close, then rejects appends with shutting_down', async () => {
    const { dir, writer } = await setUp()
    const appends = Array.from({ length: 10 }, (_, n) => writer.append(line(n), 1))
    await writer.close()
    await Promise.all(appends)
    assert.equal((await allLines(dir)).length, 10)
    await assert.rejects(writer.append(line(11), 1), (err) => isCaptureError(err) && err.code === 'shutting_down')
  })

  it('rejects a group whose write fails with sink_unavailable, and continues in a new segment', async (t) => {
    const { dir, writer } = await setUp()
    await writer.append(line(1), 1)
    const fd = await findFd(join(dir, writer.currentSegment()!))
    if (fd === undefined) return t.skip('needs /proc/self/fd')
    closeSync(fd) // the writer's next writev fails with EBADF
    await assert.rejects(writer.append(line(2), 1), (err) => isCaptureError(err) && err.code === 'sink_unavailable')
    assert.equal(writer.health().healthy, false)
    await writer.append(line(3), 1)
    assert.equal(writer.health().healthy, true)
    await writer.close()
    assert.deepEqual((await allLines(dir)).map((text) => (JSON.parse(text) as { n: number }).n), [1, 3])
    assert.equal((await readdir(dir)).length, 2)
  })
})

async function findFd(path: string): Promise<number | undefined> {
  try {
    for (const fd of await readdir('/proc/self/fd')) {
      if (await readlink(`/proc/self/fd/${fd}`).catch(() => '') === path) return Number(fd)
    }
  } catch {
    return undefined
  }
  return undefined
}
