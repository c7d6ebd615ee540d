/**
 * Arrivals: the sink's messages that belong to one scenario run, with the
 * event inside the envelope (`data`) parsed.
 *
 * A message belongs to run R when its event carries `properties.test_run_id`
 * = R, or its distinct_id contains R (identify/alias/group calls whose
 * properties the SDK does not let us stamp). Run ids are unique per scenario,
 * so a shared Kafka topic works the same as a private local log.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { CaptureTarget, SinkMessage } from './capture-target.js'

export interface Arrival extends SinkMessage {
  /** The event as capture forwarded it (envelope.data parsed). */
  readonly data: Readonly<Record<string, unknown>>
  readonly properties: Readonly<Record<string, unknown>>
}

export function toArrival(message: SinkMessage): Arrival {
  const raw = message.envelope.data
  const data = typeof raw === 'string' ? (JSON.parse(raw) as Record<string, unknown>) : {}
  const properties = isRecord(data.properties) ? data.properties : {}
  return { ...message, data, properties }
}

export function belongsToRun(arrival: Arrival, runId: string): boolean {
  if (arrival.properties.test_run_id === runId) return true
  const distinctId = arrival.envelope.distinct_id
  return typeof distinctId === 'string' && distinctId.includes(runId)
}

export async function arrivalsFor(target: CaptureTarget, runId: string): Promise<Arrival[]> {
  return (await target.messages()).map(toArrival).filter((arrival) => belongsToRun(arrival, runId))
}

export interface WaitOptions {
  /** Resolve once this holds for the run's arrivals. */
  readonly until: (arrivals: readonly Arrival[]) => boolean
  readonly timeoutMs: number
  /** After `until` holds, wait this long and read again, so late duplicates are seen. */
  readonly settleMs?: number
}

/**
 * Polls the sink. Used where the SDK gives no completion signal (the browser's
 * sendBeacon); server SDKs get their 200s only after the write is durable, so
 * one read after shutdown() is enough for them. Never throws on timeout: the
 * caller's assertion then reports what is missing, field by field.
 */
export async function waitForArrivals(target: CaptureTarget, runId: string, options: WaitOptions): Promise<Arrival[]> {
  const deadline = Date.now() + options.timeoutMs
  let arrivals = await arrivalsFor(target, runId)
  while (!options.until(arrivals) && Date.now() < deadline) {
    await sleep(100)
    arrivals = await arrivalsFor(target, runId)
  }
  if (options.settleMs !== undefined && options.settleMs > 0) {
    await sleep(options.settleMs)
    arrivals = await arrivalsFor(target, runId)
  }
  return arrivals
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
