/**
 * The project token: where it is read from, and the shape rules it must pass.
 * Capture never looks a token up; it only checks its shape, as upstream does.
 *
 * Precedence: Authorization Bearer / Token header → batch
 * `api_key`/`token` → per event `token`/`$token`/`api_key` → `properties.token`.
 * Without a request-level token, every event that names one must name the same.
 */
import { CaptureError } from '../errors/capture-error.js'

const MAX_TOKEN_BYTES = 64

export function eventToken(event: unknown): string | undefined {
  if (event === null || typeof event !== 'object') return undefined
  const raw = event as Record<string, unknown>
  const direct = raw.token ?? raw.$token ?? raw.api_key
  if (typeof direct === 'string') return direct
  const properties = raw.properties
  if (properties !== null && typeof properties === 'object') {
    const token = (properties as Record<string, unknown>).token
    if (typeof token === 'string') return token
  }
  return undefined
}

export function resolveToken(events: readonly unknown[], requestToken: unknown): string {
  if (typeof requestToken === 'string') return checkTokenShape(requestToken)
  let found: string | undefined
  for (const event of events) {
    const token = eventToken(event)
    if (token === undefined) continue
    if (found === undefined) found = token
    else if (token !== found) throw new CaptureError('inconsistent_tokens')
  }
  if (found === undefined) throw new CaptureError('no_token')
  return checkTokenShape(found)
}

export function checkTokenShape(token: string): string {
  if (token.length === 0) throw new CaptureError('token_empty')
  if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) throw new CaptureError('token_too_long')
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(token)) throw new CaptureError('token_not_ascii')
  if (token.startsWith('phx_')) throw new CaptureError('token_personal_api_key')
  return token
}
