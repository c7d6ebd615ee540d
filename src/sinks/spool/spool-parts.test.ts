/**
 * The spool's building blocks on real files: the drain lock, the checkpoint,
 * the merged reader and the forwarder (with a scripted Kafka stand-in).
 */
import assert from 'node:assert/strict'
import { appendFile, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { CaptureError } from '../../errors/capture-error.js'
import { createLogger } from '../../observability/logger.js'
import type { SendResult } from '../kafka/publish-tracker.js'
import { formatLine } from '../local-log/log-line.js'
import type { PreparedMessage } from '../../pipeline/ports.js'
import { readCheckpoint, writeCheckpoint } from './checkpoint.js'
import { tryLock } from './dir-lock.js'
import { LogForwarder } from './log-forwarder.js'
import { readMerged } from './merged-reader.js'
import { isSealed, spoolPaths } from './spool-files.js'
import { scanSpool } from './spool-monitor.js'

const dirs: string[] = []
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'capture-spool-parts-'))
  dirs.push(dir)
  return dir
}

const logger = createLogger({ level: 'silent' })
const msg = (name: string, key = 'k'): PreparedMessage => ({ topic: 't', key, headers: { uuid: name }, value: JSON.stringify({ name }) })
const SEG_A = 'log-0001700000000-111-000000.ndjson'
const SEG_B = 'log-0001700000000-222-000000.ndjson'

async function writeLines(dir: string, file: string, lines: Array<[string, number]>): Promise<void> {
  await appendFile(join(dir, file), lines.map(([name, ts]) => formatLine(msg(name), ts)).join(''))
}

/** A Kafka stand-in: accepts, or refuses from the nth message on, or refuses one message for good. */
function target(script: { failFrom?: number; tooLarge?: string } = {}) {
  const sent: string[] = []
  let count = 0
  return {
    sent,
    async send(messages: readonly PreparedMessage[]): Promise<SendResult> {
      const undelivered: PreparedMessage[] = []
      let tooLarge = false
      for (const m of messages) {
        const name = m.headers.uuid!
        if (name === script.tooLarge) { undelivered.push(m); tooLarge = true; continue }
        if (script.failFrom !== undefined && count >= script.failFrom) { undelivered.push(m); continue }
        count++
        sent.push(name)
      }
      if (undelivered.length === 0) return { ok: true }
      const error = new CaptureError(tooLarge ? 'message_too_large' : 'sink_unavailable')
      return { ok: false, error, retryable: !tooLarge, undelivered }
    },
  }
}

describe('drain lock', () => {
  it('is held by one process at a time and released', async () => {
    const path = join(await tempDir(), 'drain.lock')
    const first = await tryLock(path, { staleMs: 10_000, pid: process.pid })
    assert.ok(first)
    assert.equal(await tryLock(path, { staleMs: 10_000, pid: process.pid + 1 }), undefined)
    await first.release()
    assert.ok(await tryLock(path, { staleMs: 10_000 }))
  })

  it('is taken over from a dead holder, and the old holder learns it lost it', async () => {
    const path = join(await tempDir(), 'drain.lock')
    const dead = await tryLock(path, { staleMs: 10_000, pid: 999_999_999 })
    assert.ok(dead)
    const taken = await tryLock(path, { staleMs: 10_000, alive: (pid) => pid !== 999_999_999 })
    assert.ok(taken)
    assert.equal(await dead.heartbeat(), false)
    assert.equal(await taken.heartbeat(), true)
  })

  it('is taken over when the holder stopped beating (a reused pid)', async () => {
    const path = join(await tempDir(), 'drain.lock')
    assert.ok(await tryLock(path, { staleMs: 1000, pid: process.pid }))
    const old = new Date(Date.now() - 5000)
    await utimes(path, old, old)
    assert.ok(await tryLock(path, { staleMs: 1000, pid: process.pid + 1, alive: () => true }))
    assert.equal((await readFile(path, 'utf8')).trim(), String(process.pid + 1))
  })
})

describe('checkpoint', () => {
  it('round-trips, and a missing file is an empty checkpoint', async () => {
    const path = join(await tempDir(), 'cp.json')
    assert.deepEqual(await readCheckpoint(path), new Map())
    await writeCheckpoint(path, new Map([[SEG_B, 20], [SEG_A, 10]]))
    assert.deepEqual(await readCheckpoint(path), new Map([[SEG_A, 10], [SEG_B, 20]]))
  })

  it('refuses a file that is not a checkpoint rather than starting over', async () => {
    const path = join(await tempDir(), 'cp.json')
    await writeFile(path, '{"segments":[]}')
    await assert.rejects(readCheckpoint(path), /not a forwarding checkpoint/)
  })
})

describe('isSealed', () => {
  it('is true when the writer is dead or has moved on to a later segment', () => {
    const names = ['log-0001700000000-1-000000.ndjson', 'log-0001700000000-1-000001.ndjson', 'log-0001700000000-2-000000.ndjson']
    const alive = (pid: number): boolean => pid === 1
    assert.equal(isSealed(names[0]!, names, alive), true)
    assert.equal(isSealed(names[1]!, names, alive), false)
    assert.equal(isSealed(names[2]!, names, alive), true)
  })
})

describe('readMerged', () => {
  it('interleaves segments by stored time and stops each at `before`', async () => {
    const dir = await tempDir()
    await writeLines(dir, SEG_A, [['a1', 1], ['a2', 3], ['a3', 9]])
    await writeLines(dir, SEG_B, [['b1', 2], ['b2', 4]])
    const ranges = [SEG_A, SEG_B].map((file) => ({ file, from: 0, to: Number.MAX_SAFE_INTEGER }))
    const names: string[] = []
    for await (const item of readMerged(dir, ranges, { before: 5 })) names.push(item.message!.headers.uuid!)
    assert.deepEqual(names, ['a1', 'b1', 'a2', 'b2'])
  })

  it('yields a damaged line as a skip so the cursor can pass it', async () => {
    const dir = await tempDir()
    await writeLines(dir, SEG_A, [['a1', 1]])
    await appendFile(join(dir, SEG_A), 'garbage\n')
    await writeLines(dir, SEG_A, [['a2', 2]])
    const items = []
    for await (const item of readMerged(dir, [{ file: SEG_A, from: 0, to: 1e9 }])) items.push(item.message?.headers.uuid ?? 'skip')
    assert.deepEqual(items, ['a1', 'skip', 'a2'])
  })
})

describe('LogForwarder', () => {
  const forwarder = (dir: string, t: ReturnType<typeof target>, batchMessages = 2) =>
    new LogForwarder({ target: t, logger }, { dir, checkpointPath: join(dir, 'cp.json'), batchMessages, batchBytes: 1e9 })

  it('forwards in stored-time order and does not send anything twice across passes', async () => {
    const dir = await tempDir()
    await writeLines(dir, SEG_A, [['a1', 1], ['a2', 3]])
    await writeLines(dir, SEG_B, [['b1', 2]])
    const t = target()
    assert.equal((await forwarder(dir, t).pass()).forwarded, 3)
    await writeLines(dir, SEG_B, [['b2', 4]])
    assert.equal((await forwarder(dir, t).pass()).forwarded, 1)
    assert.deepEqual(t.sent, ['a1', 'b1', 'a2', 'b2'])
  })

  it('after a failed batch resumes from each segment\'s first unacknowledged message', async () => {
    const dir = await tempDir()
    await writeLines(dir, SEG_A, [['a1', 1], ['a2', 3], ['a3', 5]])
    await writeLines(dir, SEG_B, [['b1', 2], ['b2', 4]])
    const failing = target({ failFrom: 3 })
    const first = await forwarder(dir, failing).pass()
    assert.equal(first.error?.code, 'sink_unavailable')
    assert.deepEqual(failing.sent, ['a1', 'b1', 'a2'])
    const healthy = target()
    await forwarder(dir, healthy).pass()
    assert.deepEqual(healthy.sent, ['b2', 'a3'])
  })

  it('drops a message Kafka refuses for good, logs it, and forwards the rest', async () => {
    const dir = await tempDir()
    await writeLines(dir, SEG_A, [['a1', 1], ['huge', 2], ['a3', 3]])
    const dropped: string[] = []
    const t = target({ tooLarge: 'huge' })
    const result = await new LogForwarder({ target: t, logger, onDropped: (m) => dropped.push(m.headers.uuid!) }, { dir, checkpointPath: join(dir, 'cp.json'), batchMessages: 10, batchBytes: 1e9 }).pass()
    assert.equal(result.error, undefined)
    assert.equal(result.dropped, 1)
    assert.deepEqual(dropped, ['huge'])
    assert.deepEqual(t.sent, ['a1', 'a3'])
  })

  it('passes over messages the filter leaves out and remembers it did', async () => {
    const dir = await tempDir()
    await appendFile(join(dir, SEG_A), formatLine({ ...msg('x'), topic: 'other' }, 1) + formatLine(msg('y'), 2))
    const t = target()
    const make = () => new LogForwarder({ target: t, logger }, { dir, checkpointPath: join(dir, 'cp.json'), batchMessages: 10, batchBytes: 1e9, filter: (m) => m.topic === 't' })
    await make().pass()
    await make().pass()
    assert.deepEqual(t.sent, ['y'])
  })
})

describe('scanSpool', () => {
  it('reports the bytes not yet forwarded and the stored time of the oldest of them', async () => {
    const dir = await tempDir()
    await writeLines(dir, SEG_A, [['a1', 100], ['a2', 300]])
    await writeLines(dir, SEG_B, [['b1', 200]])
    const firstLine = formatLine(msg('a1'), 100).length
    await writeCheckpoint(spoolPaths(dir).checkpoint, new Map([[SEG_A, firstLine]]))
    const snapshot = await scanSpool(spoolPaths(dir), 1000)
    assert.equal(snapshot.oldestTs, 200)
    assert.equal(snapshot.pendingBytes, formatLine(msg('a2'), 300).length + formatLine(msg('b1'), 200).length)
  })
})
