/**
 * Scenario plans: what an SDK driver is asked to do, as data. The node test
 * interprets a plan in process; the python and go drivers read the same JSON
 * (see python/driver.py, go/main.go). Each SDK's test maps every operation to
 * the events that SDK is expected to send, so the SDK differences (python's
 * alias argument order, where `$set` goes) live in one readable place.
 */
import { newEventUuid } from './run-id.js'

export type Props = Record<string, unknown>

export type Operation =
  | { readonly op: 'capture'; readonly event: string; readonly distinct_id: string; readonly properties: Props; readonly uuid?: string; readonly timestamp?: string; readonly groups?: Record<string, string> }
  | { readonly op: 'identify'; readonly distinct_id: string; readonly set: Props; readonly set_once: Props; readonly uuids?: readonly string[] }
  | { readonly op: 'alias'; readonly distinct_id: string; readonly alias: string; readonly uuid?: string }
  | { readonly op: 'group_identify'; readonly group_type: string; readonly group_key: string; readonly properties: Props; readonly distinct_id: string; readonly uuid?: string }

export interface ClientOptions {
  readonly gzip: boolean
  readonly historical_migration: boolean
}

export interface ScenarioPlan {
  readonly name: string
  readonly run_id: string
  readonly client: ClientOptions
  readonly operations: readonly Operation[]
}

/** A fixed client timestamp in the past (historical-looking, but within any retention). */
export const FIXED_TIMESTAMP = '2024-01-02T03:04:05.678Z'
export const LARGE_PROPERTY_BYTES = 300 * 1024
export const BURST_SIZE = 100

export type ScenarioName = 'capture' | 'identify' | 'alias' | 'group identify' | '100-event burst' | '~300 KB event' | 'historical migration'

export const SERVER_SDK_SCENARIOS: readonly ScenarioName[] = ['capture', 'identify', 'alias', 'group identify', '100-event burst', '~300 KB event', 'historical migration']

export function buildPlan(name: ScenarioName, runId: string, options: { gzip: boolean }): ScenarioPlan {
  const user = `${runId}-user`
  const stamp = { test_run_id: runId }
  const client: ClientOptions = { gzip: options.gzip, historical_migration: name === 'historical migration' }
  const plan = (operations: Operation[]): ScenarioPlan => ({ name, run_id: runId, client, operations })
  switch (name) {
    case 'capture':
      return plan([
        {
          op: 'capture', event: 'test event', distinct_id: user, uuid: newEventUuid(), timestamp: FIXED_TIMESTAMP, groups: { company: `${runId}-org` },
          properties: { ...stamp, plan: 'pro', n: 1, ratio: 0.5, flag: true, nothing: null, nested: { a: [1, 'two', { three: 3 }] }, unicode: 'héllo ✓ 😀' },
        },
        { op: 'capture', event: 'second event', distinct_id: user, uuid: newEventUuid(), properties: { ...stamp, seq: 2 } },
      ])
    case 'identify':
      return plan([{ op: 'identify', distinct_id: user, set: { email: `${runId}@example.com`, plan: 'pro' }, set_once: { first_seen: '2024-01-02' }, uuids: [newEventUuid(), newEventUuid()] }])
    case 'alias':
      return plan([{ op: 'alias', distinct_id: user, alias: `${runId}-anon`, uuid: newEventUuid() }])
    case 'group identify':
      return plan([{ op: 'group_identify', group_type: 'company', group_key: `${runId}-org`, properties: { name: 'Acme Inc', employees: 42 }, distinct_id: user, uuid: newEventUuid() }])
    case '100-event burst':
      return plan(Array.from({ length: BURST_SIZE }, (_, i) => ({ op: 'capture', event: 'burst event', distinct_id: user, uuid: newEventUuid(), properties: { ...stamp, i } }) as const))
    case '~300 KB event':
      return plan([{ op: 'capture', event: 'large event', distinct_id: user, uuid: newEventUuid(), properties: { ...stamp, blob: 'x'.repeat(LARGE_PROPERTY_BYTES), rows: Array.from({ length: 200 }, (_, i) => ({ i, s: 'y'.repeat(40) })) } }])
    case 'historical migration':
      return plan([{ op: 'capture', event: 'imported event', distinct_id: user, uuid: newEventUuid(), timestamp: FIXED_TIMESTAMP, properties: { ...stamp, source: 'import' } }])
  }
}

/** Property `$groups` the SDKs add for `groups` on a capture. */
export function groupsProperty(op: Extract<Operation, { op: 'capture' }>): Props {
  return op.groups === undefined ? {} : { $groups: op.groups }
}
