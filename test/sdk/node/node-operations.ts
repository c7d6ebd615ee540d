/**
 * How posthog-node performs a plan operation, and the events it sends for it:
 * shared by the classic (/batch) and the Capture V1 suites, whose events are
 * the same (V1 changes the transport, not what the SDK captures).
 */
import type { PostHog } from 'posthog-node'
import type { ExpectedEvent } from '../harness/expect-events.js'
import { groupsProperty, type Operation } from '../harness/plan.js'

export function perform(client: PostHog, op: Operation): void {
  switch (op.op) {
    case 'capture':
      client.capture({ distinctId: op.distinct_id, event: op.event, properties: op.properties, uuid: op.uuid, groups: op.groups, timestamp: op.timestamp === undefined ? undefined : new Date(op.timestamp) })
      return
    case 'identify':
      client.identify({ distinctId: op.distinct_id, properties: { $set: op.set, $set_once: op.set_once } })
      return
    case 'alias':
      client.alias({ distinctId: op.distinct_id, alias: op.alias })
      return
    case 'group_identify':
      // No distinctId: posthog-node's default `$<type>_<key>` is what users get.
      client.groupIdentify({ groupType: op.group_type, groupKey: op.group_key, properties: op.properties })
      return
  }
}

/** The events posthog-node sends for an operation (identify/alias/group calls take no uuid in this SDK). */
export function expectedEvents(op: Operation, historical: boolean): ExpectedEvent[] {
  switch (op.op) {
    case 'capture':
      return [{ event: op.event, distinctId: op.distinct_id, uuid: op.uuid, timestamp: op.timestamp, historical, properties: { ...op.properties, ...groupsProperty(op) } }]
    case 'identify':
      return [{ event: '$identify', distinctId: op.distinct_id, historical, set: { placement: 'properties', value: op.set }, setOnce: { placement: 'properties', value: op.set_once } }]
    case 'alias':
      return [{ event: '$create_alias', distinctId: op.distinct_id, historical, properties: { distinct_id: op.distinct_id, alias: op.alias } }]
    case 'group_identify':
      return [{ event: '$groupidentify', distinctId: `$${op.group_type}_${op.group_key}`, historical, properties: { $group_type: op.group_type, $group_key: op.group_key, $group_set: op.properties } }]
  }
}
