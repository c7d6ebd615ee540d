/**
 * A misspelt variable is reported at startup (the real process): one warning
 * naming it and the variable it most likely meant; the server starts anyway
 * and other software's variables are left alone.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { exitOf, spawnServer, type ServerProcess } from '../helpers/server-process.js'

describe('unknown environment variables', () => {
  let server: ServerProcess | undefined
  let dir: string | undefined
  after(async () => {
    if (server) {
      server.child.kill('SIGTERM')
      await exitOf(server, 10_000)
    }
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('warns once for DEDUP_TTL_SECOND, suggesting DEDUP_TTL_SECONDS, and serves', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'capture-env-'))
    server = await spawnServer({ dataDir: dir, env: { DEDUP_TTL_SECOND: '60', HTTP_PROXY: 'http://proxy.invalid:3128' } })
    const warnings = server.logLines().filter((line) => typeof line.msg === 'string' && line.msg.includes('environment variables'))
    assert.equal(warnings.length, 1, server.output())
    assert.deepEqual(warnings[0]!.variables, ['DEDUP_TTL_SECOND'])
    assert.match(String(warnings[0]!.msg), /DEDUP_TTL_SECOND \(did you mean DEDUP_TTL_SECONDS\?\)/)
    assert.equal(warnings[0]!.level, 40)
  })
})
