/**
 * Wire facts: what the SDK actually put on the wire for a scenario, checked
 * against what the scenario claims to cover (gzip really on, the historical
 * flag really sent, no retries), and summarised for the matrix.
 */
import { isRecord } from './arrivals.js'
import type { WireRequest } from './wire-proxy.js'

export interface WireExpectation {
  /** Every request goes to a path matching this. */
  readonly path: RegExp
  readonly gzip: boolean
  readonly historical: boolean
  /** Events carried by all requests together (equal to the expected count: nothing was resent). */
  readonly events: number
}

export function isGzipped(request: WireRequest): boolean {
  return request.body[0] === 0x1f && request.body[1] === 0x8b
}

export function checkWire(requests: readonly WireRequest[], want: WireExpectation, label: string): void {
  const problems: string[] = []
  if (requests.length === 0) problems.push('no request reached the proxy')
  let events = 0
  for (const request of requests) {
    const name = `request #${request.seq} ${request.method} ${request.path}`
    events += request.events.length
    if (!want.path.test(request.path)) problems.push(`${name}: path does not match ${String(want.path)}`)
    if (isGzipped(request) !== want.gzip) problems.push(`${name}: body is ${isGzipped(request) ? '' : 'not '}gzip, scenario expects gzip ${want.gzip ? 'on' : 'off'}`)
    if (request.payload === undefined) problems.push(`${name}: the test could not decode the body`)
    const historical = isRecord(request.payload) && request.payload.historical_migration === true
    if (historical !== want.historical) problems.push(`${name}: historical_migration is ${String(historical)}, expected ${String(want.historical)}`)
    if (request.status !== 200) problems.push(`${name}: capture answered ${request.status}, expected 200`)
  }
  if (events !== want.events) problems.push(`the requests carried ${events} events in total, expected ${want.events} (a resend or a drop)`)
  if (problems.length > 0) throw new Error(`${label} wire: ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`)
}

/** e.g. `2× POST /batch/ (gzip, application/json) → 200; 102 events`. */
export function describeWire(requests: readonly WireRequest[]): string {
  const groups = new Map<string, { count: number; statuses: Set<number> }>()
  let events = 0
  for (const request of requests) {
    events += request.events.length
    const declared = request.headers['content-encoding']
    const encoding = isGzipped(request) ? 'gzip' : typeof declared === 'string' ? declared : request.query.get('compression') === 'base64' ? 'base64 form' : 'plain'
    const key = `${request.method} ${request.path} (${encoding}, ${String(request.headers['content-type'] ?? 'no content-type').split(';')[0]})`
    const group = groups.get(key) ?? { count: 0, statuses: new Set<number>() }
    group.count++
    group.statuses.add(request.status)
    groups.set(key, group)
  }
  const parts = [...groups].map(([key, g]) => `${g.count}× ${key} → ${[...g.statuses].join('/')}`)
  return `${parts.join('; ')}; ${events} event${events === 1 ? '' : 's'}`
}
