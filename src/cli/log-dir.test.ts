import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import type { CliIo } from './cli-command.js'
import { resolveLogDir } from './log-dir.js'

const dirs: string[] = []
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

const SEGMENT = 'log-1735689600000-1-000000.ndjson'

async function aDataDir(layout: { top?: boolean; spool?: boolean | 'empty' }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'capture-logdir-'))
  dirs.push(dir)
  if (layout.top === true) await writeFile(join(dir, SEGMENT), '')
  if (layout.spool !== undefined) await mkdir(join(dir, 'spool'))
  if (layout.spool === true) await writeFile(join(dir, 'spool', SEGMENT), '')
  return dir
}

function anIo(env: Record<string, string>): { io: CliIo; notes: string[] } {
  const notes: string[] = []
  const io: CliIo = { print: async () => {}, warn: (line) => void notes.push(line), progress: () => {}, env, signal: new AbortController().signal }
  return { io, notes }
}

describe('resolveLogDir', () => {
  it('reads DATA_DIR in local mode, silently', async () => {
    const dir = await aDataDir({ top: true, spool: true })
    const { io, notes } = anIo({ DATA_DIR: dir })
    assert.equal(await resolveLogDir({}, io), dir)
    assert.deepEqual(notes, [])
  })

  it('reads DATA_DIR/spool when KAFKA_HOSTS is set and no --dir is given, and says so on stderr', async () => {
    const dir = await aDataDir({ spool: 'empty' })
    const { io, notes } = anIo({ DATA_DIR: dir, KAFKA_HOSTS: 'kafka:9092' })
    assert.equal(await resolveLogDir({}, io), join(dir, 'spool'))
    assert.match(notes.join('\n'), /reading the Kafka spool in .*spool \(KAFKA_HOSTS is set\).*kafka tail/)
  })

  it('reads DIR/spool with --spool, whatever the mode', async () => {
    const dir = await aDataDir({ top: true, spool: true })
    assert.equal(await resolveLogDir({ dir, spool: true }, anIo({}).io), join(dir, 'spool'))
  })

  it('falls back to the spool when the directory holds no segment but its spool does', async () => {
    const dir = await aDataDir({ spool: true })
    const { io, notes } = anIo({})
    assert.equal(await resolveLogDir({ dir }, io), join(dir, 'spool'))
    assert.match(notes.join('\n'), /no local log segments in/)
  })

  it('fails naming the directory when it does not exist', async () => {
    const dir = await aDataDir({})
    await assert.rejects(resolveLogDir({}, anIo({ DATA_DIR: dir, KAFKA_HOSTS: 'k:1' }).io), /no local log directory at .*spool \(KAFKA_HOSTS is set/)
    await assert.rejects(resolveLogDir({ dir: join(dir, 'nope') }, anIo({}).io), /no local log directory at .*nope$/)
  })
})
