/**
 * assertArrivals: "exactly these events arrived, once each, with these
 * fields". Every problem found is collected and reported together, each line
 * naming the SDK, the scenario, the event and the field.
 *
 * Matching: by uuid when the scenario chose it; otherwise by (event,
 * distinct_id), which a scenario keeps unique for events the SDK gives no
 * uuid to. Arrivals that match nothing are reported as unexpected.
 */
import { isDeepStrictEqual } from 'node:util'
import type { Arrival } from './arrivals.js'
import type { TargetTopics } from './capture-target.js'

export type Placement = 'properties' | 'top'

export interface PersonProps {
  readonly placement: Placement
  readonly value: Readonly<Record<string, unknown>>
}

export interface ExpectedEvent {
  readonly event: string
  readonly distinctId: string
  /** The uuid the scenario gave the SDK (absent: the SDK or capture chose one). */
  readonly uuid?: string
  /** Each key must be present with exactly this value. */
  readonly properties?: Readonly<Record<string, unknown>>
  /** When given, data.properties must equal this object as a whole. */
  readonly exactProperties?: Readonly<Record<string, unknown>>
  readonly set?: PersonProps
  readonly setOnce?: PersonProps
  /** The client timestamp the SDK sent (ISO); checked after clock-skew correction. */
  readonly timestamp?: string
  readonly historical?: boolean
}

export interface ScenarioContext {
  readonly sdk: string
  readonly version: string
  readonly scenario: string
  /** Value of `$lib` the SDK stamps. */
  readonly lib: string
  readonly token: string
  readonly topics: TargetTopics
  /** When the scenario started; SDK-stamped timestamps must fall after it. */
  readonly startedAtMs: number
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
/** Same machine, so SDK and capture clocks agree; skew correction may move a timestamp by request latency only. */
const SKEW_TOLERANCE_MS = 10_000

export function assertArrivals(arrivals: readonly Arrival[], expected: readonly ExpectedEvent[], ctx: ScenarioContext): void {
  const problems: string[] = []
  const claimed = new Set<Arrival>()
  for (const want of expected) {
    const matches = arrivals.filter((a) => matchesExpected(a, want))
    const label = describeExpected(want)
    if (matches.length === 0) problems.push(`${label}: missing (never reached the sink)`)
    else if (matches.length > 1) problems.push(`${label}: arrived ${matches.length} times, expected exactly once (${matches.map(describeCopy).join('; ')})`)
    for (const match of matches) claimed.add(match)
    if (matches.length >= 1) problems.push(...checkFields(matches[0]!, want, ctx).map((p) => `${label}: ${p}`))
  }
  for (const arrival of arrivals) {
    if (!claimed.has(arrival)) problems.push(`unexpected event ${String(arrival.envelope.event)} uuid ${String(arrival.envelope.uuid)} distinct_id ${String(arrival.envelope.distinct_id)}`)
  }
  const uuids = arrivals.map((a) => a.envelope.uuid)
  const repeated = [...new Set(uuids.filter((u, i) => uuids.indexOf(u) !== i))]
  for (const uuid of repeated) problems.push(`uuid ${String(uuid)}: stored more than once`)
  if (problems.length > 0) {
    const shown = problems.slice(0, 30)
    if (problems.length > shown.length) shown.push(`… and ${problems.length - shown.length} more`)
    throw new Error(`[${ctx.sdk} ${ctx.version} / ${ctx.scenario}] ${problems.length} problem(s):\n  - ${shown.join('\n  - ')}`)
  }
}

function matchesExpected(arrival: Arrival, want: ExpectedEvent): boolean {
  if (want.uuid !== undefined) return arrival.envelope.uuid === want.uuid
  return arrival.envelope.event === want.event && arrival.envelope.distinct_id === want.distinctId
}

/** What tells copies apart: the client timestamp and sent_at (part of the dedup key), and when capture stored it. */
function describeCopy(arrival: Arrival): string {
  return `client timestamp ${show(arrival.data.timestamp)} sent_at ${show(arrival.envelope.sent_at)} now ${show(arrival.envelope.now)}`
}

function describeExpected(want: ExpectedEvent): string {
  return want.uuid === undefined ? `event ${want.event} (distinct_id ${want.distinctId})` : `event ${want.event} uuid ${want.uuid}`
}

function checkFields(arrival: Arrival, want: ExpectedEvent, ctx: ScenarioContext): string[] {
  return [
    ...checkIdentity(arrival, want, ctx),
    ...checkProperties(arrival, want, ctx),
    ...checkPersonProps(arrival, '$set', want.set),
    ...checkPersonProps(arrival, '$set_once', want.setOnce),
    ...checkTimestamp(arrival, want, ctx),
  ]
}

function checkIdentity(arrival: Arrival, want: ExpectedEvent, ctx: ScenarioContext): string[] {
  const { envelope, headers, data } = arrival
  const out: string[] = []
  const field = (name: string, actual: unknown, expected: unknown): void => {
    if (!isDeepStrictEqual(actual, expected)) out.push(`field ${name}: expected ${show(expected)}, got ${show(actual)}`)
  }
  field('topic', arrival.topic, want.historical ? ctx.topics.historical : ctx.topics.main)
  field('token', envelope.token, ctx.token)
  field('headers.token', headers.token, ctx.token)
  field('distinct_id', envelope.distinct_id, want.distinctId)
  field('headers.distinct_id', headers.distinct_id, want.distinctId)
  field('key', arrival.key, `${ctx.token}:${want.distinctId}`)
  field('event', envelope.event, want.event)
  field('data.event', data.event, want.event)
  if (want.uuid !== undefined) field('uuid', envelope.uuid, want.uuid)
  else if (typeof envelope.uuid !== 'string' || !UUID.test(envelope.uuid)) out.push(`field uuid: expected a lowercase hyphenated UUID, got ${show(envelope.uuid)}`)
  field('headers.uuid', headers.uuid, envelope.uuid)
  if (data.uuid !== undefined) field('data.uuid', data.uuid, envelope.uuid)
  field('historical_migration', envelope.historical_migration, want.historical ? true : undefined)
  if (typeof envelope.ip !== 'string' || envelope.ip === '') out.push(`field ip: expected the client address, got ${show(envelope.ip)}`)
  return out
}

function checkProperties(arrival: Arrival, want: ExpectedEvent, ctx: ScenarioContext): string[] {
  const out: string[] = []
  const props = arrival.properties
  const expected: Record<string, unknown> = { $lib: ctx.lib, $lib_version: ctx.version, ...want.properties }
  for (const [key, value] of Object.entries(expected)) {
    if (!isDeepStrictEqual(props[key], value)) out.push(`field properties.${key}: expected ${show(value)}, got ${show(props[key])}`)
  }
  if (want.exactProperties !== undefined) {
    const keys = new Set([...Object.keys(props), ...Object.keys(want.exactProperties)])
    for (const key of keys) {
      if (!isDeepStrictEqual(props[key], want.exactProperties[key])) out.push(`field properties.${key}: SDK sent ${show(want.exactProperties[key])}, sink has ${show(props[key])}`)
    }
  }
  return out
}

function checkPersonProps(arrival: Arrival, key: '$set' | '$set_once', want: PersonProps | undefined): string[] {
  if (want === undefined) return []
  const top = arrival.data[key]
  const inside = arrival.properties[key]
  const [here, there] = want.placement === 'top' ? [top, inside] : [inside, top]
  const where = want.placement === 'top' ? key : `properties.${key}`
  const elsewhere = want.placement === 'top' ? `properties.${key}` : key
  const out: string[] = []
  if (!isDeepStrictEqual(here, want.value)) out.push(`field ${where}: expected ${show(want.value)}, got ${show(here)}`)
  if (there !== undefined) out.push(`field ${elsewhere}: expected absent (the SDK sent it as ${where}), got ${show(there)}`)
  return out
}

/**
 * Capture's event time is the client timestamp corrected for clock skew:
 * timestamp − (sent_at − now) when the request carried sent_at, else the
 * timestamp as sent (as upstream ingestion does).
 */
function checkTimestamp(arrival: Arrival, want: ExpectedEvent, ctx: ScenarioContext): string[] {
  const { envelope, data } = arrival
  const stored = parseIso(envelope.timestamp)
  const now = parseIso(envelope.now)
  if (stored === undefined) return [`field timestamp: expected an ISO timestamp, got ${show(envelope.timestamp)}`]
  if (now === undefined) return [`field now: expected an ISO timestamp, got ${show(envelope.now)}`]
  const sentAt = envelope.sent_at === null || envelope.sent_at === undefined ? undefined : parseIso(envelope.sent_at)
  const sentByClient = parseIso(data.timestamp)
  const out: string[] = []
  if (want.timestamp !== undefined && sentByClient !== Date.parse(want.timestamp)) {
    out.push(`field data.timestamp: expected the client timestamp ${want.timestamp}, got ${show(data.timestamp)}`)
  }
  if (sentByClient !== undefined) {
    const corrected = sentAt === undefined ? sentByClient : sentByClient - (sentAt - now)
    if (stored !== corrected) {
      out.push(`field timestamp: expected ${new Date(corrected).toISOString()} (client ${show(data.timestamp)} corrected with sent_at ${show(envelope.sent_at)} and now ${show(envelope.now)}), got ${show(envelope.timestamp)}`)
    }
    if (Math.abs(stored - sentByClient) > SKEW_TOLERANCE_MS) out.push(`field timestamp: ${show(envelope.timestamp)} is more than ${SKEW_TOLERANCE_MS} ms from the client's ${show(data.timestamp)}`)
  }
  if (want.timestamp === undefined && (stored < ctx.startedAtMs - SKEW_TOLERANCE_MS || stored > Date.now() + SKEW_TOLERANCE_MS)) {
    out.push(`field timestamp: ${show(envelope.timestamp)} is outside the scenario's run time`)
  }
  return out
}

function parseIso(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}

function show(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value)
  return text.length > 160 ? `${text.slice(0, 160)}… (${text.length} chars)` : text
}
