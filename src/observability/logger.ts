/**
 * Structured JSON logs (pino). Tokens are never logged whole: use maskToken.
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

/** `phc_abcdef123456` → `phc_ab…3456`: enough to tell projects apart, not enough to use. */
export function maskToken(token: string): string {
  if (token.length <= 10) return `${token.slice(0, 2)}…`
  return `${token.slice(0, 6)}…${token.slice(-4)}`
}
