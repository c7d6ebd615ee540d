/**
 * scripts/lb-up.sh and lb-down.sh on their own: refusals of bad arguments, a
 * start with no ready instance behind it failing (and leaving no haproxy
 * running), the generated configuration, and lb-down when nothing runs. The
 * balancer in front of real instances is instances-shared-budget.test.ts.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { after, describe, it } from 'node:test'
import { freePort } from '../helpers/server-process.js'

const run = promisify(execFile)
const SCRIPTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts')
const dirs: string[] = []
after(async () => {
  for (const dir of dirs) {
    await run(path.join(SCRIPTS, 'lb-down.sh'), [dir]).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  }
})

async function aDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'capture-lb-script-'))
  dirs.push(dir)
  return dir
}

async function lbUp(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(path.join(SCRIPTS, 'lb-up.sh'), args, { env: { ...process.env, ...env } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const failure = err as { code: number; stdout: string; stderr: string }
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr }
  }
}

/** A stand-in instance that answers /_readiness with `status` (the script is checked here, not capture). */
async function readinessServer(status: number): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => res.writeHead(status).end())
  const port = await freePort()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

describe('lb-up.sh', () => {
  it('refuses a missing backend, a bad port and a bad setting with a usage error', async () => {
    const dir = await aDir()
    assert.equal((await lbUp([dir, '18080'])).code, 2)
    assert.match((await lbUp([dir, '80', '3000'])).stderr, /PORT must be 1024\.\.65535/)
    assert.match((await lbUp([dir, '18080', 'x'])).stderr, /BACKEND_PORT x/)
    assert.match((await lbUp([dir, '18080', '3000'], { LB_CHECK_INTERVAL_MS: '0' })).stderr, /positive integers/)
  })

  it('fails when no instance behind it becomes ready, and leaves no haproxy running', async () => {
    const dir = await aDir()
    const notReady = await readinessServer(503)
    try {
      const result = await lbUp([dir, String(await freePort()), String(notReady.port)], { LB_START_TIMEOUT: '2', LB_CHECK_INTERVAL_MS: '200' })
      assert.equal(result.code, 1)
      assert.match(result.stderr, /no ready instance/)
    } finally {
      await notReady.close()
    }
    await assert.rejects(readFile(path.join(dir, 'haproxy.pid')), 'no pid file left')
    const { stdout } = await run('ps', ['-eo', 'stat=,args='])
    assert.ok(!stdout.split('\n').some((line) => !line.startsWith('Z') && line.includes(dir)), 'no haproxy running from the directory')
  })

  it('writes a round-robin configuration with /_readiness checks and prints the URL last', async () => {
    const dir = await aDir()
    const ready = [await readinessServer(200), await readinessServer(200)]
    try {
      const port = await freePort()
      const result = await lbUp([dir, String(port), ...ready.map((r) => String(r.port))], { LB_CHECK_INTERVAL_MS: '300' })
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stdout.trim().split('\n').at(-1), `http://127.0.0.1:${port}`)
      const config = await readFile(path.join(dir, 'haproxy.cfg'), 'utf8')
      assert.match(config, /balance roundrobin/)
      assert.match(config, /http-check send meth GET uri \/_readiness/)
      assert.match(config, /inter 300ms/)
      assert.match(config, /option forwardfor/)
      assert.match(config, /retry-on conn-failure empty-response/)
      for (const [i, r] of ready.entries()) assert.match(config, new RegExp(`server capture${i + 1} 127\\.0\\.0\\.1:${r.port}\\n`))
    } finally {
      await run(path.join(SCRIPTS, 'lb-down.sh'), [dir])
      await Promise.all(ready.map((r) => r.close()))
    }
  })
})

describe('lb-down.sh', () => {
  it('exits 0 when nothing was started from the directory', async () => {
    const { stderr } = await run(path.join(SCRIPTS, 'lb-down.sh'), [await aDir()])
    assert.match(stderr, /nothing to stop/)
  })
})
