/**
 * Why capture could not start, in one line an operator can act on: the port
 * is taken, DATA_DIR cannot be used, or (anything else) the error's message.
 * Used by main.ts for the single process and for the primary, which prints it
 * once however many workers failed the same way.
 */
import type { Config } from './config/config.js'

const DATA_DIR_CODES = new Set(['ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EEXIST', 'ENOENT', 'EISDIR'])

export function describeStartFailure(err: unknown, config: Pick<Config, 'address' | 'localLog'>): string {
  const error = err as NodeJS.ErrnoException & { syscall?: string }
  const address = `ADDRESS=${config.address.host}:${config.address.port}`
  if (error?.code === 'EADDRINUSE') return `${address} is already in use: another process listens there`
  if (error?.code === 'EADDRNOTAVAIL') return `${address} is not an address of this machine`
  if (error?.syscall === 'listen' && error.code === 'EACCES') return `cannot listen on ${address}: permission denied (ports below 1024 need privileges)`
  if (error?.code !== undefined && DATA_DIR_CODES.has(error.code)) return `DATA_DIR=${config.localLog.dataDir} cannot be used: ${error.message}`
  return err instanceof Error ? err.message : String(err)
}
