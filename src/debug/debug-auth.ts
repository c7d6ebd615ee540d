/**
 * Who may see the debug UI: a request carrying DEBUG_UI_TOKEN as
 * `Authorization: Bearer <token>`, or the `capture_debug` cookie that
 * `GET /_debug/?token=<token>` sets. The cookie holds an HMAC of the token,
 * not the token, so it is the same in every worker without shared state and
 * the token itself never sits in the browser.
 *
 * Comparisons are constant-time (digests of equal length); the token is
 * never logged nor echoed.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export const COOKIE_NAME = 'capture_debug'

export interface DebugAuth {
  /** The request presents the token (header) or the cookie. */
  isAuthorised(req: IncomingMessage): boolean
  /** `?token=` of the login link is the token. */
  isToken(candidate: string): boolean
  /** The Set-Cookie value that authorises later requests from this browser. */
  cookie(secure: boolean): string
}

export function createDebugAuth(token: string): DebugAuth {
  const tokenDigest = digest(token)
  const cookieValue = createHmac('sha256', token).update('capture_debug cookie v1').digest('base64url')
  const cookieDigest = digest(cookieValue)
  const isToken = (candidate: string): boolean => timingSafeEqual(digest(candidate), tokenDigest)
  return {
    isToken,
    isAuthorised: (req) => {
      const bearer = bearerOf(req.headers.authorization)
      if (bearer !== undefined && isToken(bearer)) return true
      const cookie = cookieOf(req.headers.cookie, COOKIE_NAME)
      return cookie !== undefined && timingSafeEqual(digest(cookie), cookieDigest)
    },
    cookie: (secure) => `${COOKIE_NAME}=${cookieValue}; Path=/_debug; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`,
  }
}

/** SHA-256 first, so timingSafeEqual compares equal lengths whatever was sent. */
const digest = (text: string): Buffer => createHash('sha256').update(text).digest()

function bearerOf(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1]
}

function cookieOf(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}
