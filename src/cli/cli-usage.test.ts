import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { PassThrough } from 'node:stream'
import { describe, it } from 'node:test'
import { runCli } from './main.js'

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
  const code = await runCli(argv, { stdout, stderr, env: {}, signal: new AbortController().signal })
  return { code, stdout: out, stderr: err }
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; bin: Record<string, string> }

describe('posthog-capture', () => {
  it('is the only bin name (a bare `capture` collides with other packages)', () => {
    assert.deepEqual(Object.keys(pkg.bin), ['posthog-capture'])
  })

  it('prints its name and package.json version for --version, -V and version', async () => {
    for (const flag of ['--version', '-V', 'version']) {
      const result = await run([flag])
      assert.equal(result.code, 0)
      assert.equal(result.stdout, `posthog-capture ${pkg.version}\n`)
    }
  })

  it('lists every command in the top-level help', async () => {
    const { code, stdout } = await run(['--help'])
    assert.equal(code, 0)
    for (const command of ['serve', 'log read', 'log tail', 'log replay', 'kafka tail']) assert.match(stdout, new RegExp(`^  ${command} `, 'm'))
  })

  it('answers --help and -h on every group and command with its usage, exit 0', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['log'], /^Usage: posthog-capture log <command>/],
      [['kafka'], /^Usage: posthog-capture kafka <command>/],
      [['serve'], /^Usage: posthog-capture serve/],
      [['log', 'read'], /^Usage: posthog-capture log read/],
      [['log', 'tail'], /^Usage: posthog-capture log tail/],
      [['log', 'replay'], /^Usage: posthog-capture log replay/],
      [['kafka', 'tail'], /^Usage: posthog-capture kafka tail/],
    ]
    for (const [argv, usage] of cases) {
      for (const flag of ['--help', '-h']) {
        const result = await run([...argv, flag])
        assert.equal(result.code, 0, [...argv, flag].join(' '))
        assert.match(result.stdout, usage, [...argv, flag].join(' '))
      }
    }
  })

  it('refuses arguments to serve (it is configured by environment variables) with exit 2', async () => {
    const result = await run(['serve', '--port', '3000'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /^posthog-capture: serve: unexpected argument "--port"/)
  })

  it('refuses bad kafka tail usage with exit 2 before connecting', async () => {
    for (const argv of [['kafka', 'tail', '--bogus'], ['kafka', 'tail', '-n', 'x'], ['kafka', 'tail', '--from-start', '-n', '3']]) {
      const result = await run(argv)
      assert.equal(result.code, 2, argv.join(' '))
    }
  })

  it('kafka tail without KAFKA_HOSTS fails with exit 1 naming the variable', async () => {
    const result = await run(['kafka', 'tail'])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /KAFKA_HOSTS is not set/)
  })
})
