/**
 * Kafka mode without the native Kafka client (a plain `npm ci` that could not
 * build it): the built server must exit non-zero at once with one line that
 * names the command installing Kafka support, never a stack trace and never a
 * cluster restarting workers that cannot start.
 *
 * The server runs from a copy of dist/ whose node_modules links every
 * installed package except the client, so the import fails as it would on
 * such an install.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const CLIENT_SCOPE = '@confluentinc'
let install: string

before(() => {
  assert.ok(existsSync(path.join(ROOT, 'dist/main.js')), 'dist/ is missing: `npm ci` builds it, or run `npm run build`')
  install = mkdtempSync(path.join(os.tmpdir(), 'capture-no-kafka-'))
  cpSync(path.join(ROOT, 'dist'), path.join(install, 'dist'), { recursive: true })
  cpSync(path.join(ROOT, 'package.json'), path.join(install, 'package.json'))
  mkdirSync(path.join(install, 'node_modules'))
  for (const name of readdirSync(path.join(ROOT, 'node_modules'))) {
    if (name === CLIENT_SCOPE || name === '.bin') continue
    symlinkSync(path.join(ROOT, 'node_modules', name), path.join(install, 'node_modules', name))
  }
})
after(() => rmSync(install, { recursive: true, force: true }))

function runServer(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: install,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ADDRESS: '127.0.0.1:0', DATA_DIR: path.join(install, 'data'), KAFKA_HOSTS: '127.0.0.1:1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    child.once('error', reject)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr, stdout })
    })
  })
}

describe('KAFKA_HOSTS set and no Kafka client installed', () => {
  for (const workers of ['1', '2']) {
    it(`exits 1 with one line naming npm run install:kafka (WORKERS=${workers})`, async () => {
      const { code, stderr, stdout } = await runServer({ WORKERS: workers })
      assert.equal(code, 1, `exit code; stderr: ${stderr}`)
      assert.equal(stdout, '')
      const lines = stderr.trimEnd().split('\n')
      assert.equal(lines.length, 1, stderr)
      assert.match(lines[0]!, /^capture: KAFKA_HOSTS is set but the Kafka client \(@confluentinc\/kafka-javascript, a native addon\) could not be loaded/)
      assert.match(lines[0]!, /`npm run install:kafka`/)
    })
  }
})
