/**
 * Structured JSON logs (pino). No log line has a token field: request logs
 * carry the method, URL, error code and status, never the payload.
 */
import { pino, type Logger } from 'pino'

export type { Logger }

export function createLogger(options: { level: string; name?: string }): Logger {
  return pino({
    level: options.level,
    base: { pid: process.pid, name: options.name ?? 'capture' },
    timestamp: pino.stdTimeFunctions.isoTime,
  })
}
