/**
 * WORKERS=2 without Redis: the limiter state lives in the cluster primary, so
 * de-duplication and rate limits hold across workers instead of being split
 * per worker. Runs the real entry point (src/main.ts) as a child process, with
 * the local log as its sink (read back here); each request uses a new
 * connection, so node:cluster spreads them over both workers.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { readLog } from '../../src/sinks/local-log/log-reader.js'
import { aBareEvent, eventually, postJson, request, TOKEN } from '../helpers/http-client.js'
import { freePort } from '../helpers/server-process.js'

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
let child: ChildProcess
let dataDir: string
let url: string
const pids = new Set<string>()

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'capture-workers-'))
  const port = await freePort()
  url = `http://127.0.0.1:${port}`
  child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'main.ts')], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: '', KAFKA_HOSTS: '', WORKERS: '2', ADDRESS: `127.0.0.1:${port}`, DATA_DIR: dataDir, LOG_LEVEL: 'info', RATE_LIMIT_DISTINCT_ID_EVENTS_PER_SECOND: '1', RATE_LIMIT_DISTINCT_ID_BURST: '4' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  child.stdout?.on('data', (chunk: Buffer) => {
    for (const match of chunk.toString().matchAll(/"pid":(\d+)[^\n]*capture is serving/g)) pids.add(match[1]!)
  })
  await eventually(() => pids.size === 2, 30_000, 50)
})

after(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  await rm(dataDir, { recursive: true, force: true })
})

async function written(event: string): Promise<number> {
  let count = 0
  for await (const record of readLog(dataDir)) if ((record.value as { event?: string }).event === event) count++
  return count
}

describe('several workers without Redis', () => {
  it('de-duplicates across workers', async () => {
    const body = { api_key: TOKEN, batch: [aBareEvent({ event: 'across_workers', timestamp: '2025-01-01T00:00:00Z' })] }
    for (let i = 0; i < 4; i++) assert.equal((await postJson(url, '/batch', body)).status, 200)
    assert.equal(await written('across_workers'), 1)
  })

  it('shares one rate-limit budget across workers', async () => {
    const one = () => postJson(url, '/batch', { api_key: TOKEN, batch: [aBareEvent({ distinct_id: 'shared-budget' })] })
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await one()).status)
    assert.deepEqual(statuses.slice(0, 4), [200, 200, 200, 200])
    assert.ok(statuses.slice(4).includes(429), `statuses ${statuses.join(',')}`)
  })

  it('reports the primary store in /health', async () => {
    const health = JSON.parse((await request(url, '/health')).text) as { components: Record<string, { detail?: string }> }
    assert.match(health.components.store?.detail ?? '', /^primary: answering/)
  })
})
