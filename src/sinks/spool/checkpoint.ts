/**
 * Forwarding checkpoint: for each segment file, the byte offset of the first
 * line not yet acknowledged by Kafka. Written after every acknowledged batch,
 * atomically and durably (temp file, fsync, rename, fsync of the directory),
 * so a crash leaves either the old or the new checkpoint and a restart
 * re-sends at most the batch that was in flight.
 *
 * Format: {"version":1,"segments":{"log-…ndjson":12345,…}}. A missing file is
 * an empty checkpoint (nothing forwarded yet); an unreadable one is an error,
 * never silently "start over" (that would re-send everything).
 */
import { open, readFile, rename } from 'node:fs/promises'
import { dirname } from 'node:path'

export type Checkpoint = Map<string, number>

interface CheckpointFile {
  readonly version: 1
  readonly segments: Record<string, number>
}

export async function readCheckpoint(path: string): Promise<Checkpoint> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map()
    throw err
  }
  const parsed = JSON.parse(text) as Partial<CheckpointFile>
  if (parsed.version !== 1 || typeof parsed.segments !== 'object' || parsed.segments === null) {
    throw new Error(`${path} is not a forwarding checkpoint (version 1)`)
  }
  const checkpoint: Checkpoint = new Map()
  for (const [file, offset] of Object.entries(parsed.segments)) {
    if (Number.isSafeInteger(offset) && offset >= 0) checkpoint.set(file, offset)
  }
  return checkpoint
}

export async function writeCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  const body: CheckpointFile = { version: 1, segments: Object.fromEntries([...checkpoint].sort(([a], [b]) => (a < b ? -1 : 1))) }
  const temp = `${path}.${process.pid}.tmp`
  const handle = await open(temp, 'w')
  try {
    await handle.writeFile(JSON.stringify(body) + '\n')
    await handle.datasync()
  } finally {
    await handle.close()
  }
  await rename(temp, path)
  const dir = await open(dirname(path), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}
