/**
 * TRUST_PROXY_HEADERS: whose X-Forwarded-For / X-Real-IP capture believes.
 *
 * - `false` (default): nobody's; the client ip is the socket peer. Safe when
 *   capture is exposed directly, where any client could otherwise set its own ip.
 * - a comma-separated list of proxy addresses and CIDR ranges: the headers count
 *   only on connections from those proxies, and X-Forwarded-For is read from the
 *   right, skipping hops that are themselves trusted proxies, so a client cannot
 *   prepend an address of its choosing.
 * - `true`: everybody's, first X-Forwarded-For hop (upstream PostHog's behaviour).
 */
import { BlockList, isIP } from 'node:net'
import type { EnvReader } from './env-parsers.js'

export type ProxyTrust =
  | { readonly kind: 'none' }
  | { readonly kind: 'any' }
  | { readonly kind: 'proxies'; readonly proxies: BlockList; readonly text: string }

export function readProxyTrust(read: EnvReader): ProxyTrust {
  const raw = read.string('TRUST_PROXY_HEADERS', 'false').trim()
  const lower = raw.toLowerCase()
  if (['0', 'false', 'no', 'off'].includes(lower)) return { kind: 'none' }
  if (['1', 'true', 'yes', 'on'].includes(lower)) return { kind: 'any' }
  const proxies = new BlockList()
  for (const entry of raw.split(',').map((item) => item.trim()).filter((item) => item !== '')) {
    if (!addEntry(proxies, entry)) {
      read.problem(`TRUST_PROXY_HEADERS=${JSON.stringify(raw)}: ${JSON.stringify(entry)} is not an IP address or CIDR range; expected false, true, or a list such as 10.0.0.0/8,192.168.1.10`)
      return { kind: 'none' }
    }
  }
  return { kind: 'proxies', proxies, text: raw }
}

function addEntry(list: BlockList, entry: string): boolean {
  const [address, prefixText, extra] = entry.split('/')
  const family = isIP(address ?? '')
  if (family === 0 || extra !== undefined) return false
  const type = family === 4 ? 'ipv4' : 'ipv6'
  if (prefixText === undefined) {
    list.addAddress(address!, type)
    return true
  }
  const prefix = Number(prefixText)
  if (!/^\d+$/.test(prefixText) || prefix > (family === 4 ? 32 : 128)) return false
  list.addSubnet(address!, prefix, type)
  return true
}

/** True when `address` (IPv4, IPv6, or IPv4-mapped IPv6) is one of the trusted proxies. */
export function isTrustedProxy(trust: ProxyTrust, address: string): boolean {
  if (trust.kind !== 'proxies') return trust.kind === 'any'
  const family = isIP(address)
  if (family === 0) return false
  return trust.proxies.check(address, family === 4 ? 'ipv4' : 'ipv6')
}
