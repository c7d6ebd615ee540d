/**
 * The on-disk format version of a log directory (the local log, or the Kafka
 * spool): `DIR/FORMAT` holds {"format":"posthog-capture-log","version":1}.
 * It covers the segment names and line format, and the spool's files
 * (docs/on-disk-format.md). A writer checks it before writing: an absent file
 * is created (a directory from before 0.2.0 holds version 1 already); any
 * other format or version stops startup with a message naming it, so a build
 * never appends lines of one format to a directory of another.
 */
import { open, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'

export const LOG_FORMAT = 'posthog-capture-log'
export const LOG_FORMAT_VERSION = 1
export const FORMAT_FILE = 'FORMAT'

export class LogFormatError extends Error {
  constructor(dir: string, found: string) {
    super(`${dir} holds ${found}; this build reads and writes ${LOG_FORMAT} version ${LOG_FORMAT_VERSION} ` +
      '(see docs/on-disk-format.md: upgrade or downgrade notes, or use a new DATA_DIR)')
    this.name = 'LogFormatError'
  }
}

/** Creates DIR/FORMAT when absent; throws LogFormatError when it names another format or version. `dir` must exist. */
export async function ensureLogFormat(dir: string): Promise<void> {
  const path = join(dir, FORMAT_FILE)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    await writeFormat(dir, path)
    return
  }
  let parsed: { format?: unknown; version?: unknown }
  try {
    parsed = JSON.parse(text) as typeof parsed
  } catch {
    throw new LogFormatError(dir, `an unreadable ${FORMAT_FILE} file`)
  }
  if (parsed.format !== LOG_FORMAT || parsed.version !== LOG_FORMAT_VERSION) {
    throw new LogFormatError(dir, `format ${JSON.stringify(parsed.format)} version ${JSON.stringify(parsed.version)}`)
  }
}

/** Temp file, fsync, rename, fsync of the directory: a crash leaves no half-written FORMAT. */
async function writeFormat(dir: string, path: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`
  const handle = await open(temp, 'w')
  try {
    await handle.writeFile(`${JSON.stringify({ format: LOG_FORMAT, version: LOG_FORMAT_VERSION })}\n`)
    await handle.datasync()
  } finally {
    await handle.close()
  }
  await rename(temp, path)
  const dirHandle = await open(dir, 'r')
  try {
    await dirHandle.sync()
  } finally {
    await dirHandle.close()
  }
}
