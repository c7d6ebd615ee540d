/**
 * Crash safety of the local log at the sink level: a child process publishes
 * (with several publishes in flight, so group commit and rotation are in play)
 * and prints "acked N" after publish N resolves; the parent SIGKILLs it right
 * after reading an ack. Reopening and reading back must show every acked
 * message exactly once, and a torn last line must be skipped, not fatal.
 *
 * Scope: SIGKILL tests process death (the page cache survives); power loss is
 * what the fsyncs are for and cannot be simulated here.
 *
 * This file is also the child: with CAPTURE_CRASH_CHILD_DIR set it runs the
 * publisher instead of declaring tests.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { appendFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { after, describe, it } from 'node:test'
import { createLogger } from '../../src/observability/logger.js'
import { createMetrics } from '../../src/observability/metrics.js'
import { createLocalSink } from '../../src/sinks/local-log/local-sink.js'
import { listSegments, readLog, type LogRecord, type SkippedLine } from '../../src/sinks/local-log/log-reader.js'
import type { PreparedMessage } from '../../src/pipeline/ports.js'
import { KiB, bytes } from '../../src/units.js'

const THIS_FILE = fileURLToPath(import.meta.url)
const REPO_ROOT = join(THIS_FILE, '..', '..', '..')
const CHILD_DIR = process.env.CAPTURE_CRASH_CHILD_DIR
const CONCURRENT_PUBLISHERS = 4

interface Value {
  readonly publish: number
  readonly index: number
}

const messagesIn = (publish: number): number => 1 + (publish % 7)

function publishBatch(publish: number): PreparedMessage[] {
  return Array.from({ length: messagesIn(publish) }, (_, index) => ({
    topic: 'events_plugin_ingestion',
    key: `phc_crash:user${publish % 13}`,
    headers: { token: 'phc_crash' },
    value: JSON.stringify({ publish, index, pad: 'p'.repeat(200 + (publish % 300)) }),
  }))
}

function openSink(dataDir: string) {
  return createLocalSink(
    { logger: createLogger({ level: 'silent' }), metrics: createMetrics({ defaultMetrics: false }) },
    { dataDir, segmentMaxBytes: bytes(64 * KiB) },
  )
}

async function runChild(dataDir: string): Promise<void> {
  const sink = await openSink(dataDir)
  let next = 0
  const publisher = async (): Promise<void> => {
    for (;;) {
      const publish = next++
      await sink.publish(publishBatch(publish))
      process.stdout.write(`acked ${publish}\n`)
    }
  }
  await Promise.all(Array.from({ length: CONCURRENT_PUBLISHERS }, publisher))
}

/** Runs a child until it has reported `killAfter` acks, SIGKILLs it, returns every ack it printed. */
async function crashAfter(dataDir: string, killAfter: number): Promise<Set<number>> {
  const child = spawn(process.execPath, ['--import', 'tsx', THIS_FILE], {
    cwd: REPO_ROOT,
    env: { ...process.env, CAPTURE_CRASH_CHILD_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
  const acked = new Set<number>()
  for await (const line of createInterface({ input: child.stdout })) {
    const match = /^acked (\d+)$/.exec(line)
    assert.ok(match, `unexpected child output: ${line}`)
    acked.add(Number(match[1]))
    if (acked.size === killAfter) child.kill('SIGKILL')
  }
  assert.equal(await exited, 'SIGKILL')
  return acked
}

async function readAll(dataDir: string, onSkip?: (skipped: SkippedLine) => void): Promise<LogRecord[]> {
  const records: LogRecord[] = []
  for await (const record of readLog(dataDir, { onSkip })) records.push(record)
  return records
}

function assertAllAckedPresentOnce(records: readonly LogRecord[], acked: ReadonlySet<number>): void {
  const seen = new Map<number, number[]>()
  for (const record of records) {
    const { publish, index } = record.value as Value
    const indexes = seen.get(publish) ?? []
    indexes.push(index)
    seen.set(publish, indexes)
  }
  for (const [publish, indexes] of seen) {
    // Written publishes are whole, in order and never duplicated, acked or not.
    assert.deepEqual(indexes, Array.from({ length: messagesIn(publish) }, (_, i) => i), `publish ${publish}`)
  }
  for (const publish of acked) assert.ok(seen.has(publish), `acked publish ${publish} is missing`)
}

if (CHILD_DIR !== undefined) {
  await runChild(CHILD_DIR)
} else {
  const dirs: string[] = []
  after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

  describe('LocalSink under SIGKILL', () => {
    for (const killAfter of [1, 40, 400]) {
      it(`keeps every acknowledged message when killed after ${killAfter} acks`, { timeout: 60_000 }, async () => {
        const dataDir = await mkdtemp(join(tmpdir(), 'capture-crash-'))
        dirs.push(dataDir)
        const acked = await crashAfter(dataDir, killAfter)
        assert.ok(acked.size >= killAfter)
        assertAllAckedPresentOnce(await readAll(dataDir), acked)
      })
    }

    it('skips a torn last line and keeps working after a restart', { timeout: 60_000 }, async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'capture-crash-'))
      dirs.push(dataDir)
      const acked = await crashAfter(dataDir, 100)
      // A write cut short by the crash, simulated: bytes of a line without its "\n".
      const segments = await listSegments(dataDir)
      await appendFile(join(dataDir, segments.at(-1)!), '{"topic":"events_plugin_ingestion","key":"phc_cra')
      const sink = await openSink(dataDir)
      await sink.publish(publishBatch(1_000_000))
      await sink.close()
      const skipped: SkippedLine[] = []
      const records = await readAll(dataDir, (s) => skipped.push(s))
      assertAllAckedPresentOnce(records, new Set([...acked, 1_000_000]))
      assert.ok(skipped.some((s) => s.reason === 'torn' && s.file === segments.at(-1)))
    })
  })
}
