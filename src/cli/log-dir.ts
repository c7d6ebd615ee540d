/**
 * Which directory `log read|tail` read: the local log, or in Kafka mode the
 * spool (DATA_DIR/spool), where the server writes only what Kafka could not
 * take yet. Reading the top of DATA_DIR in Kafka mode would show nothing, so:
 *
 *   --spool                  → (--dir or DATA_DIR)/spool
 *   --dir DIR                → DIR, unless it holds no segment but DIR/spool does
 *   KAFKA_HOSTS set, no --dir → DATA_DIR/spool
 *   otherwise                → DATA_DIR (default ./data), with the same fallback
 *
 * Whenever the spool is chosen, a note on stderr says so (stdout stays NDJSON).
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { listSegments } from '../sinks/local-log/log-reader.js'
import { PROGRAM, type CliIo } from './cli-command.js'

export const SPOOL_SUBDIR = 'spool'

export interface LogDirChoice {
  readonly dir?: string | undefined
  readonly spool?: boolean | undefined
}

export async function resolveLogDir(choice: LogDirChoice, io: CliIo): Promise<string> {
  const base = choice.dir ?? io.env.DATA_DIR ?? './data'
  const spool = join(base, SPOOL_SUBDIR)
  const kafkaMode = (io.env.KAFKA_HOSTS ?? '') !== ''
  if (choice.spool === true || (choice.dir === undefined && kafkaMode)) {
    await mustBeDirectory(spool, kafkaMode ? ' (KAFKA_HOSTS is set: the server has not spooled anything here yet)' : '')
    noteSpool(io, spool, kafkaMode && choice.spool !== true ? 'KAFKA_HOSTS is set' : undefined)
    return spool
  }
  await mustBeDirectory(base, '')
  if ((await listSegments(base)).length === 0 && (await isDirectory(spool)) && (await listSegments(spool)).length > 0) {
    noteSpool(io, spool, `no local log segments in ${base}`)
    return spool
  }
  return base
}

function noteSpool(io: CliIo, spool: string, why: string | undefined): void {
  io.warn(`${PROGRAM}: reading the Kafka spool in ${spool}${why === undefined ? '' : ` (${why})`}: ` +
    `messages Kafka could not take when they arrived; \`${PROGRAM} kafka tail\` shows what is in Kafka`)
}

async function isDirectory(dir: string): Promise<boolean> {
  const info = await stat(dir).catch(() => undefined)
  return info?.isDirectory() === true
}

async function mustBeDirectory(dir: string, hint: string): Promise<void> {
  if (!(await isDirectory(dir))) throw new Error(`no local log directory at ${dir}${hint}`)
}
