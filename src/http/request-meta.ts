/**
 * Request metadata read from headers: the client ip and the header token.
 * Only the first value of a repeated header is used.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { isTrustedProxy, type ProxyTrust } from '../config/proxy-trust.js'

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value)

/**
 * The client ip: the socket peer, unless TRUST_PROXY_HEADERS trusts the peer's proxy headers
 * (config/proxy-trust.ts). Trusting any peer reads the first X-Forwarded-For hop, as upstream
 * does; trusting a list of proxies reads the last hop that is not one of them.
 */
export function clientIp(req: IncomingMessage, trust: ProxyTrust): string {
  const peer = unmapped(req.socket.remoteAddress ?? '127.0.0.1')
  if (trust.kind === 'none' || !isTrustedProxy(trust, peer)) return peer
  const forwarded = first(req.headers['x-forwarded-for'])
  if (forwarded) {
    const hop = trust.kind === 'any' ? firstHop(forwarded) : lastUntrustedHop(forwarded, trust)
    if (hop !== undefined) return hop
  }
  const real = first(req.headers['x-real-ip'])?.trim()
  return real ? real : peer
}

const unmapped = (address: string): string => (address.startsWith('::ffff:') ? address.slice(7) : address)

function firstHop(forwarded: string): string | undefined {
  const hop = forwarded.split(',')[0]!.trim()
  return hop === '' ? undefined : hop
}

function lastUntrustedHop(forwarded: string, trust: ProxyTrust): string | undefined {
  const hops = forwarded.split(',')
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = unmapped(hops[index]!.trim())
    if (hop !== '' && !isTrustedProxy(trust, hop)) return hop
  }
  return undefined
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
