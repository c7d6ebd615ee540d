import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { ensureLogFormat, LogFormatError } from './format-version.js'

const dirs: string[] = []
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))
async function aDir(format?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'capture-format-'))
  dirs.push(dir)
  if (format !== undefined) await writeFile(join(dir, 'FORMAT'), format)
  return dir
}

describe('ensureLogFormat', () => {
  it('writes FORMAT version 1 into a directory that has none (new, or from before 0.2.0)', async () => {
    const dir = await aDir()
    await ensureLogFormat(dir)
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'FORMAT'), 'utf8')), { format: 'posthog-capture-log', version: 1 })
    await ensureLogFormat(dir)
  })

  it('refuses a directory of another version or format, naming what it found and the doc', async () => {
    for (const found of ['{"format":"posthog-capture-log","version":2}', '{"format":"other","version":1}', 'garbage']) {
      await assert.rejects(ensureLogFormat(await aDir(found)), (err) => err instanceof LogFormatError && /docs\/on-disk-format\.md/.test(err.message))
    }
  })
})
