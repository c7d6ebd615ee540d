import assert from 'node:assert/strict'
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { after, describe, it } from 'node:test'
import { formatLine } from '../sinks/local-log/log-line.js'
import { runCli } from './main.js'

const dirs: string[] = []
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

const T0 = Date.parse('2025-01-01T00:00:00Z')
const aLine = (n: number, topic = 'events'): string =>
  formatLine({ topic, key: null, headers: {}, value: `{"n":${n}}` }, T0 + n * 1000)
const segment = (n: number): string => `log-1735689600000-1-${String(n).padStart(6, '0')}.ndjson`

async function aLog(...segments: string[][]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'capture-cli-'))
  dirs.push(dir)
  await Promise.all(segments.map((lines, i) => writeFile(join(dir, segment(i)), lines.join(''))))
  return dir
}

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

function capture(stream: PassThrough): () => string {
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  return () => Buffer.concat(chunks).toString('utf8')
}

async function run(argv: string[], options: { env?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Run> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const out = capture(stdout)
  const err = capture(stderr)
  const code = await runCli(argv, { stdout, stderr, env: options.env ?? {}, signal: options.signal ?? new AbortController().signal })
  return { code, stdout: out(), stderr: err() }
}

const ns = (stdout: string): number[] =>
  stdout.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { value: { n: number } }).value.n)

describe('capture log read', () => {
  it('prints every stored line verbatim, in log order', async () => {
    const dir = await aLog([aLine(1), aLine(2)], [aLine(3)])
    const result = await run(['log', 'read', '--dir', dir])
    assert.equal(result.code, 0)
    assert.equal(result.stdout, aLine(1) + aLine(2) + aLine(3))
  })

  it('filters by topic and time, and stops at the limit', async () => {
    const dir = await aLog([aLine(1), aLine(2, 'other'), aLine(3), aLine(4), aLine(5)])
    assert.deepEqual(ns((await run(['log', 'read', '--dir', dir, '--topic', 'events'])).stdout), [1, 3, 4, 5])
    assert.deepEqual(ns((await run(['log', 'read', '--dir', dir, '--since', '2025-01-01T00:00:03Z'])).stdout), [3, 4, 5])
    assert.deepEqual(ns((await run(['log', 'read', '--dir', dir, '--limit', '2'])).stdout), [1, 2])
  })

  it('uses DATA_DIR when no --dir is given', async () => {
    const dir = await aLog([aLine(1)])
    assert.deepEqual(ns((await run(['log', 'read'], { env: { DATA_DIR: dir } })).stdout), [1])
  })

  it('warns about a torn last line on stderr and still succeeds', async () => {
    const dir = await aLog([aLine(1), aLine(2).slice(0, 12)])
    const result = await run(['log', 'read', '--dir', dir])
    assert.equal(result.code, 0)
    assert.deepEqual(ns(result.stdout), [1])
    assert.match(result.stderr, /skipped torn line/)
  })

  it('fails with exit code 1 when the directory does not exist', async () => {
    const result = await run(['log', 'read', '--dir', '/nonexistent/capture-data'])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /no local log directory/)
  })
})

describe('capture log tail', () => {
  it('prints the last N lines, then lines written later, until stopped', async () => {
    const dir = await aLog([aLine(1), aLine(2), aLine(3)])
    const controller = new AbortController()
    const stdout = new PassThrough()
    const out = capture(stdout)
    const running = runCli(['log', 'tail', '--dir', dir, '-n', '2'], { stdout, stderr: new PassThrough(), env: {}, signal: controller.signal })
    await until(() => ns(out()).length === 2)
    await appendFile(join(dir, segment(0)), aLine(4))
    await until(() => ns(out()).length === 3)
    controller.abort()
    assert.equal(await running, 0)
    assert.deepEqual(ns(out()), [2, 3, 4])
  })
})

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await new Promise((resolve) => setTimeout(resolve, 10))) {
    if (Date.now() > deadline) throw new Error('timed out waiting for output')
  }
}

describe('posthog-capture usage', () => {
  it('prints usage for --help', async () => {
    const result = await run(['--help'])
    assert.equal(result.code, 0)
    assert.match(result.stdout, /log read/)
    assert.match(result.stdout, /log tail/)
    assert.match((await run(['log', 'read', '--help'])).stdout, /--since ISO/)
  })

  it('exits 2 with a message on bad usage', async () => {
    for (const argv of [[], ['nope'], ['log'], ['log', 'nope'], ['log', 'read', '--bogus'], ['log', 'read', '--limit', 'x'],
      ['log', 'read', '--since', 'yesterday'], ['log', 'read', '--from-start', '--since', '2025-01-01'], ['log', 'tail', '-n', '-1']]) {
      const result = await run(argv)
      assert.equal(result.code, 2, argv.join(' '))
      assert.match(result.stderr, /^posthog-capture: /, argv.join(' '))
    }
  })
})
