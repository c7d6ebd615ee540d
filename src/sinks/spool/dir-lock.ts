/**
 * An advisory lock file, so that of the processes sharing a spool directory
 * (cluster workers, a replay CLI) only one forwards it at a time.
 *
 * Taken with O_EXCL; the file holds the holder's pid and its mtime is a
 * heartbeat. It is stale when the holder is dead, or has not beaten for
 * `staleMs` (covers a pid reused by an unrelated process). Breaking a stale
 * lock is itself guarded by an O_EXCL `.break` file, so two processes that
 * both see it stale cannot both end up holding it.
 */
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises'
import { isProcessAlive } from './spool-files.js'

export interface DirLock {
  readonly path: string
  /** Refreshes the heartbeat; false when the lock is no longer ours (it was broken as stale). */
  heartbeat(): Promise<boolean>
  release(): Promise<void>
}

export interface LockOptions {
  readonly staleMs: number
  readonly pid?: number
  readonly alive?: (pid: number) => boolean
  readonly now?: () => number
}

/** Takes the lock if it is free or stale; undefined while another live process holds it. */
export async function tryLock(path: string, options: LockOptions): Promise<DirLock | undefined> {
  const pid = options.pid ?? process.pid
  if (await create(path, pid)) return heldLock(path, pid)
  if (!(await isStale(path, options))) return undefined
  if (!(await breakStale(path, options))) return undefined
  return (await create(path, pid)) ? heldLock(path, pid) : undefined
}

async function create(path: string, pid: number): Promise<boolean> {
  try {
    const handle = await open(path, 'wx')
    try {
      await handle.writeFile(`${pid}\n`)
    } finally {
      await handle.close()
    }
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  }
}

async function holder(path: string): Promise<{ pid: number; mtimeMs: number } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)])
    return { pid: Number.parseInt(text, 10), mtimeMs: info.mtimeMs }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

async function isStale(path: string, options: LockOptions): Promise<boolean> {
  const current = await holder(path)
  if (current === undefined) return true
  const alive = options.alive ?? isProcessAlive
  const now = (options.now ?? Date.now)()
  return !Number.isSafeInteger(current.pid) || current.pid <= 0 || !alive(current.pid) || now - current.mtimeMs > options.staleMs
}

/** Removes a stale lock under the `.break` guard; false if someone else is breaking it or it became live. */
async function breakStale(path: string, options: LockOptions): Promise<boolean> {
  const guard = `${path}.break`
  if (!(await create(guard, options.pid ?? process.pid))) {
    const stuck = await holder(guard)
    const now = (options.now ?? Date.now)()
    if (stuck !== undefined && now - stuck.mtimeMs > options.staleMs) await unlink(guard).catch(() => undefined)
    return false
  }
  try {
    if (!(await isStale(path, options))) return false
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
    return true
  } finally {
    await unlink(guard).catch(() => undefined)
  }
}

function heldLock(path: string, pid: number): DirLock {
  const ours = async (): Promise<boolean> => (await holder(path))?.pid === pid
  return {
    path,
    async heartbeat() {
      if (!(await ours())) return false
      const now = new Date()
      await utimes(path, now, now)
      return true
    },
    async release() {
      if (await ours()) await unlink(path).catch(() => undefined)
    },
  }
}
