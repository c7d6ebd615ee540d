/**
 * A start that cannot succeed stops (the real process, 1 and 2 workers): port
 * in use or an unusable DATA_DIR exits 1 with one line naming the cause,
 * instead of the primary restarting workers every 500 ms forever, and leaves
 * no empty segment files behind. Workers that crash after serving are
 * restarted with a growing delay, and the primary gives up after 5 crashes
 * within 5 minutes.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { eventually } from '../helpers/http-client.js'
import { exitOf, freePort, spawnServer } from '../helpers/server-process.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const dirs: string[] = []
const tempDir = async (): Promise<string> => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'capture-start-'))
  dirs.push(dir)
  return dir
}

/** Runs the server to its exit (killing it after `maxMs`); its exit code and output. */
function runToExit(env: Record<string, string>, maxMs = 20_000): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now()
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), maxMs)
  return new Promise((resolve) => child.once('exit', (code) => {
    clearTimeout(timer)
    resolve({ code, output, ms: Date.now() - started })
  }))
}

const failureLines = (output: string): string[] => output.split('\n').filter((line) => line.startsWith('capture: failed to start'))

after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

describe('a start that cannot succeed', () => {
  for (const workers of ['1', '2']) {
    it(`exits 1 with one line when the port is in use (WORKERS=${workers}), leaving no segment file`, async () => {
      const port = await freePort()
      const squatter = net.createServer()
      await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve))
      try {
        const dataDir = await tempDir()
        const { code, output } = await runToExit({ ADDRESS: `127.0.0.1:${port}`, DATA_DIR: dataDir, WORKERS: workers })
        assert.equal(code, 1, output)
        assert.deepEqual(failureLines(output), [`capture: failed to start: ADDRESS=127.0.0.1:${port} is already in use: another process listens there`], output)
        assert.doesNotMatch(output, /worker died/)
        assert.deepEqual((await readdir(dataDir)).filter((name) => name.endsWith('.ndjson')), [])
      } finally {
        squatter.close()
      }
    })

    it(`exits 1 with one line when DATA_DIR is a file (WORKERS=${workers})`, async () => {
      const file = path.join(await tempDir(), 'not-a-dir')
      await writeFile(file, 'x')
      const { code, output } = await runToExit({ ADDRESS: `127.0.0.1:${await freePort()}`, DATA_DIR: file, WORKERS: workers })
      assert.equal(code, 1, output)
      const lines = failureLines(output)
      assert.equal(lines.length, 1, output)
      assert.match(lines[0]!, new RegExp(`^capture: failed to start: DATA_DIR=${file} cannot be used: `))
    })
  }
})

describe('workers that crash after serving', () => {
  it('are restarted with a growing delay, and the primary exits 1 after the 6th crash within 5 minutes', async () => {
    const server = await spawnServer({ dataDir: await tempDir(), env: { WORKERS: '2' } })
    try {
      const servingPids = (): number[] => server.logLines().filter((line) => line.msg === 'capture is serving').map((line) => Number(line.pid))
      for (let crash = 1; crash <= 6; crash++) {
        await eventually(() => servingPids().length >= crash + 1, 20_000, 50)
        process.kill(servingPids().at(-1)!, 'SIGKILL')
        if (crash <= 5) await eventually(() => server.logLines().filter((line) => line.msg === 'worker died; restarting it').length === crash, 10_000, 20)
      }
      const { code } = await exitOf(server, 20_000)
      assert.equal(code, 1)
      const delays = server.logLines().filter((line) => line.msg === 'worker died; restarting it').map((line) => line.restartInMs)
      assert.deepEqual(delays, [250, 500, 1000, 2000, 4000])
      assert.match(server.output(), /capture: workers crashed 6 times within 5 minutes; not restarting them again/)
    } finally {
      server.child.kill('SIGKILL')
    }
  })
})
