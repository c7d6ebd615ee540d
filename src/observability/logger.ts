/**
 * Structured JSON logs (pino). Tokens never reach a log whole: request logs
 * carry the method, the path (never the query, where ?data= and ?token= put
 * payloads and tokens), the error code and status, and at most a masked token;
 * never the payload or a detail quoting it.
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
  if (token.length <= 12) return `${token.slice(0, 2)}…`
  return `${token.slice(0, 6)}…${token.slice(-4)}`
}

/** `/e/?data=…&token=…` → `/e/`. */
export const pathOf = (url: string | undefined): string => {
  const path = url ?? '/'
  const mark = path.indexOf('?')
  return mark === -1 ? path : path.slice(0, mark)
}
