/**
 * Request metadata read from headers: client ip, header tokens, compression
 * hints. Only the first value of a repeated header is used.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value)

/** X-Forwarded-For (first hop) → X-Real-IP → socket peer, as upstream trusts them. */
export function clientIp(req: IncomingMessage, trustProxyHeaders: boolean): string {
  if (trustProxyHeaders) {
    const forwarded = first(req.headers['x-forwarded-for'])
    if (forwarded) {
      const hop = forwarded.split(',')[0]!.trim()
      if (hop !== '') return hop
    }
    const real = first(req.headers['x-real-ip'])?.trim()
    if (real) return real
  }
  const peer = req.socket.remoteAddress ?? '127.0.0.1'
  return peer.startsWith('::ffff:') ? peer.slice(7) : peer
}

/** `Authorization: Bearer <token>`, else a `Token` header. */
export function headerToken(headers: IncomingHttpHeaders): string | undefined {
  const authorization = first(headers.authorization)
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
    if (match) return match[1]
  }
  const token = first(headers.token)?.trim()
  return token === '' ? undefined : token
}
