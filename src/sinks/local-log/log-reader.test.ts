import assert from 'node:assert/strict'
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { ms } from '../../units.js'
import { formatLine, valueText } from './log-line.js'
import {
  CorruptLogError, followLog, listSegments, readLast, readLog, snapshotEnds,
  type LogRecord, type ReadLogOptions, type SkippedLine,
} from './log-reader.js'

const dirs: string[] = []
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'capture-log-reader-'))
  dirs.push(dir)
  return dir
}

const aLine = (n: number, topic = 'events'): string =>
  formatLine({ topic, key: `k${n}`, headers: { uuid: `u${n}` }, value: `{"n":${n}}` }, 1_700_000_000_000 + n)

const segment = (n: number): string => `log-1700000000000-1-${String(n).padStart(6, '0')}.ndjson`

async function aLog(...segments: string[][]): Promise<string> {
  const dir = await tempDir()
  await Promise.all(segments.map((lines, i) => writeFile(join(dir, segment(i)), lines.join(''))))
  return dir
}

async function collect(dir: string, options: ReadLogOptions = {}): Promise<LogRecord[]> {
  const records: LogRecord[] = []
  for await (const record of readLog(dir, options)) records.push(record)
  return records
}

const ns = (records: readonly LogRecord[]): number[] => records.map((r) => (r.value as { n: number }).n)

describe('readLog', () => {
  it('yields every line of every segment in file-name order, with positions', async () => {
    const dir = await aLog([aLine(1), aLine(2)], [aLine(3)])
    const records = await collect(dir)
    assert.deepEqual(ns(records), [1, 2, 3])
    assert.deepEqual(records.map((r) => [r.file, r.offset]), [[segment(0), 0], [segment(0), Buffer.byteLength(aLine(1))], [segment(1), 0]])
    assert.equal(records[0]!.end, records[1]!.offset)
    assert.equal(records[0]!.raw + '\n', aLine(1))
    assert.deepEqual(records[0]!.headers, { uuid: 'u1' })
    assert.equal(records[0]!.ts, 1_700_000_000_001)
  })

  it('resumes from a position', async () => {
    const dir = await aLog([aLine(1), aLine(2)], [aLine(3)])
    const [first] = await collect(dir)
    assert.deepEqual(ns(await collect(dir, { from: { file: first!.file, offset: first!.end } })), [2, 3])
  })

  it('skips a torn final line without a newline, and reports it', async () => {
    const dir = await aLog([aLine(1), aLine(2).slice(0, 20)], [aLine(3)])
    const skipped: SkippedLine[] = []
    assert.deepEqual(ns(await collect(dir, { onSkip: (s) => skipped.push(s) })), [1, 3])
    assert.deepEqual(skipped, [{ file: segment(0), offset: Buffer.byteLength(aLine(1)), length: 20, reason: 'torn' }])
  })

  it('skips a final line that is not valid JSON', async () => {
    const dir = await aLog([aLine(1), '{"topic":"events","ke\n'])
    assert.deepEqual(ns(await collect(dir)), [1])
  })

  it('throws naming file and line when a line before the last is corrupt', async () => {
    const dir = await aLog([aLine(1), 'garbage\n', aLine(3)])
    await assert.rejects(collect(dir), (err) => err instanceof CorruptLogError && err.message.includes(`${segment(0)}:2`))
  })

  it('reads lines longer than its read chunk', async () => {
    const big = formatLine({ topic: 't', key: null, headers: {}, value: JSON.stringify({ n: 7, pad: 'z'.repeat(3_000_000) }) }, 1)
    const dir = await aLog([aLine(1), big, aLine(2)])
    assert.deepEqual(ns(await collect(dir)), [1, 7, 2])
  })

  it('lists only .ndjson segments and finds nothing in a missing directory', async () => {
    const dir = await aLog([aLine(1)])
    await writeFile(join(dir, 'progress.json'), '{}')
    assert.deepEqual(await listSegments(dir), [segment(0)])
    assert.deepEqual(await listSegments(join(dir, 'missing')), [])
  })
})

describe('followLog', () => {
  it('yields lines appended to existing and new segments, and stops on abort', async () => {
    const dir = await aLog([aLine(1)])
    const controller = new AbortController()
    const seen: number[] = []
    const following = (async () => {
      for await (const record of readLog(dir, { follow: true, signal: controller.signal, pollInterval: ms(10) })) {
        seen.push((record.value as { n: number }).n)
        if (seen.length === 4) controller.abort()
      }
    })()
    await appendFile(join(dir, segment(0)), aLine(2) + aLine(3).slice(0, 15))
    await new Promise((resolve) => setTimeout(resolve, 50))
    await appendFile(join(dir, segment(0)), aLine(3).slice(15))
    await writeFile(join(dir, segment(1)), aLine(4))
    await following
    assert.deepEqual(seen, [1, 2, 3, 4])
  })

  it('starts from a snapshot of complete line ends', async () => {
    const dir = await aLog([aLine(1), aLine(2).slice(0, 10)])
    const ends = await snapshotEnds(dir)
    assert.deepEqual([...ends], [[segment(0), Buffer.byteLength(aLine(1))]])
    const controller = new AbortController()
    const seen: number[] = []
    const following = (async () => {
      for await (const record of followLog(dir, { start: ends, signal: controller.signal, pollInterval: ms(10) })) {
        seen.push((record.value as { n: number }).n)
        controller.abort()
      }
    })()
    await appendFile(join(dir, segment(0)), aLine(2).slice(10))
    await following
    assert.deepEqual(seen, [2])
  })
})

describe('readLast', () => {
  it('returns the last N matching records in log order, across segments', async () => {
    const dir = await aLog([aLine(1), aLine(2, 'other'), aLine(3)], [aLine(4), aLine(5, 'other')])
    const ends = await snapshotEnds(dir)
    assert.deepEqual(ns(await readLast(dir, 3, { ends })), [3, 4, 5])
    assert.deepEqual(ns(await readLast(dir, 3, { ends, filter: (r) => r.topic === 'events' })), [1, 3, 4])
    assert.deepEqual(ns(await readLast(dir, 10, { ends })), [1, 2, 3, 4, 5])
  })
})

describe('valueText', () => {
  it('recovers the stored envelope text without re-serialising', async () => {
    const envelope = '{"uuid": "a",  "data":"{\\"x\\":1}"}'
    const dir = await aLog([formatLine({ topic: 't', key: null, headers: { a: '"q"' }, value: envelope }, 5)])
    const [record] = await collect(dir)
    assert.equal(valueText(record!.raw, record!), envelope)
  })
})
