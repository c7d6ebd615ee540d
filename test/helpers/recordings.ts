/**
 * Builders for session-recording tests: `$snapshot` events shaped like the
 * ones posthog-js sends to `/s` (bare array, `sent_at` per item, token and
 * distinct_id in properties), rrweb-like snapshot items of a chosen size, a
 * sink that keeps what it is given, and a reader for `$snapshot_items`
 * envelopes.
 */
import { randomUUID } from 'node:crypto'
import type { HealthReport } from '../../src/observability/health.js'
import type { PreparedMessage, Sink } from '../../src/pipeline/ports.js'

export const RECORDING_TOKEN = 'phc_recording_token_0123456789'
export const SESSION_ID = '01a215db-e4ef-7c20-b3ec-c7a110e2b06a'
export const WINDOW_ID = '01a215db-e4ef-7c20-b3ec-c7a28bf4f774'

export interface SnapshotEvent {
  event: string
  properties: Record<string, unknown>
  [key: string]: unknown
}

/** One `$snapshot` event as posthog-js 1.449 sends it, with a fresh uuid. */
export function aSnapshotEvent(items: unknown[] | Record<string, unknown>, overrides: { properties?: Record<string, unknown>; [key: string]: unknown } = {}): SnapshotEvent {
  const { properties, ...top } = overrides
  return {
    uuid: randomUUID(),
    event: '$snapshot',
    timestamp: '2025-01-01T00:00:00.000Z',
    sent_at: '2025-01-01T00:00:00.000Z',
    ...top,
    properties: {
      $snapshot_bytes: JSON.stringify(items).length,
      $session_id: SESSION_ID,
      $window_id: WINDOW_ID,
      $lib: 'web',
      $lib_version: '1.449.2',
      token: RECORDING_TOKEN,
      distinct_id: 'user-1',
      $snapshot_data: items,
      ...properties,
    },
  }
}

/** rrweb-like incremental snapshot items, each about `bytes` long as JSON; deterministic. */
export function snapshotItems(count: number, bytes = 200, startMs = Date.UTC(2025, 0, 1)): Record<string, unknown>[] {
  const filler = 'x'.repeat(Math.max(0, bytes - 80))
  return Array.from({ length: count }, (_, i) => ({ type: 3, data: { source: 2, id: i, text: `${i}:${filler}` }, timestamp: startMs + i }))
}

/** One item whose JSON is about `bytes` long (a full snapshot of a big DOM, say). */
export function bigItem(bytes: number): Record<string, unknown> {
  return { type: 2, data: { node: 'n'.repeat(bytes) }, timestamp: Date.UTC(2025, 0, 1) }
}

export interface CapturingSink extends Sink {
  readonly published: PreparedMessage[][]
  readonly messages: PreparedMessage[]
}

/** A sink that keeps every publish in memory (durable at once). */
export function capturingSink(): CapturingSink {
  const published: PreparedMessage[][] = []
  return {
    kind: 'local',
    published,
    get messages() {
      return published.flat()
    },
    publish: async (messages) => void published.push([...messages]),
    health: (): HealthReport => ({ healthy: true }),
    healthComponents: () => [{ name: 'sink', report: () => ({ healthy: true }) }],
    close: async () => {},
  }
}

export interface SnapshotItemsData {
  event: string
  properties: {
    distinct_id: string
    $session_id: string
    $window_id: string
    $snapshot_source: string
    $snapshot_items: unknown[]
    $lib: string
    $snapshot_chunk_id?: string
    $snapshot_chunk_index?: number
    $snapshot_chunk_count?: number
  }
}

/** The `data` of a `$snapshot_items` envelope (given as object or JSON text). */
export function snapshotData(envelope: unknown): SnapshotItemsData {
  const value = (typeof envelope === 'string' ? JSON.parse(envelope) : envelope) as { data: string }
  return JSON.parse(value.data) as SnapshotItemsData
}
