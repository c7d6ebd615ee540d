/**
 * Disk faults for real: the local log on a 2 MiB tmpfs this test mounts (it
 * needs root, as CI has; it fails rather than skips without it). When the
 * disk fills, requests get 503 sink_unavailable with Retry-After, one clear
 * log line says the disk is full, readiness turns 503, and every event that
 * got a 200 before is still in the log. Once space is freed the instance
 * notices by itself (no traffic, no restart), readiness turns 200 and writes
 * succeed again.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, open, readdir, rm, rmdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { readLog } from '../../src/sinks/local-log/log-reader.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { anEvent, errorOf, eventually, postJson, request, TOKEN } from '../helpers/http-client.js'

/** Fills the file system at `dir` with one file until it refuses more; returns its path. */
async function fillDisk(dir: string): Promise<string> {
  const file = path.join(dir, 'filler')
  const handle = await open(file, 'w')
  const chunk = Buffer.alloc(16 * 1024, 0x61)
  try {
    for (;;) await handle.write(chunk)
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC')
  } finally {
    await handle.close()
  }
  return file
}

describe('the local log on a disk that fills up', () => {
  let mountPoint: string
  let t: TestApp
  const logLines: Record<string, unknown>[] = []
  before(async () => {
    mountPoint = await mkdtemp(path.join(os.tmpdir(), 'capture-tmpfs-'))
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint])
    const sink = new Writable({ write(chunk: Buffer, _encoding, done) { for (const line of chunk.toString().split('\n')) if (line) logLines.push(JSON.parse(line)); done() } })
    t = await startTestApp({ env: { DATA_DIR: path.join(mountPoint, 'data') }, overrides: { logger: pino({ level: 'info' }, sink) } })
  })
  after(async () => {
    await t?.close()
    execFileSync('umount', [mountPoint])
    await rmdir(mountPoint)
  })

  const acknowledged: string[] = []
  async function send(): Promise<number> {
    const batch = Array.from({ length: 20 }, () => anEvent({ properties: { pad: 'p'.repeat(200) } }))
    const reply = await postJson(t.url, '/batch/', { api_key: TOKEN, batch })
    if (reply.status === 200) acknowledged.push(...batch.map((event) => event.uuid))
    else {
      assert.equal(reply.status, 503, reply.text)
      assert.equal(errorOf(reply).code, 'sink_unavailable')
      assert.match(String(reply.headers['retry-after']), /^[1-9]\d*$/)
    }
    return reply.status
  }

  it('answers 503 with Retry-After once the disk is full, logs it once, and loses nothing acknowledged', async () => {
    for (let i = 0; i < 5; i++) assert.equal(await send(), 200)
    const filler = await fillDisk(mountPoint)
    const statuses: number[] = []
    for (let i = 0; i < 20; i++) statuses.push(await send())
    assert.ok(statuses.includes(503), `statuses while full: ${statuses.join(',')}`)
    const full = logLines.filter((line) => String(line.msg).includes('disk full'))
    assert.equal(full.length, 1, 'one line, not one per request')
    assert.equal(full[0]!.code, 'ENOSPC')
    assert.equal((await request(t.url, '/_readiness')).status, 503)
    // Space comes back: the probe notices without any request and readiness recovers.
    await rm(filler)
    await eventually(async () => (await request(t.url, '/_readiness')).status === 200, 10_000, 100)
    assert.ok(logLines.some((line) => String(line.msg).includes('writable again')))
    for (let i = 0; i < 5; i++) assert.equal(await send(), 200)
    const stored = new Set<unknown>()
    for await (const record of readLog(path.join(mountPoint, 'data'))) stored.add((record.value as { uuid: string }).uuid)
    const lost = acknowledged.filter((uuid) => !stored.has(uuid))
    assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged events are missing`)
    const empty = (await readdir(path.join(mountPoint, 'data'))).filter((name) => name.startsWith('.'))
    assert.deepEqual(empty, [], 'the write probe leaves nothing behind')
  })
})
