/**
 * The events posthog-python sends for an operation of a scenario plan, shared
 * by its classic and its Capture V1 suites. Every call takes an explicit uuid;
 * identify becomes $set / $set_once events, whose values sit at the top level
 * on the classic routes and inside properties in V1 (`setPlacement`).
 */
import type { ExpectedEvent, Placement } from '../harness/expect-events.js'
import { groupsProperty, type Operation } from '../harness/plan.js'

export function pythonExpectedEvents(op: Operation, historical: boolean, setPlacement: Placement): ExpectedEvent[] {
  switch (op.op) {
    case 'capture':
      return [{ event: op.event, distinctId: op.distinct_id, uuid: op.uuid, timestamp: op.timestamp, historical, properties: { ...op.properties, ...groupsProperty(op) } }]
    case 'identify': {
      const [setUuid, setOnceUuid] = op.uuids ?? []
      return [
        { event: '$set', distinctId: op.distinct_id, uuid: setUuid, historical, set: { placement: setPlacement, value: op.set } },
        { event: '$set_once', distinctId: op.distinct_id, uuid: setOnceUuid, historical, setOnce: { placement: setPlacement, value: op.set_once } },
      ]
    }
    case 'alias':
      return [{ event: '$create_alias', distinctId: op.alias, uuid: op.uuid, historical, properties: { distinct_id: op.alias, alias: op.distinct_id } }]
    case 'group_identify':
      return [{ event: '$groupidentify', distinctId: op.distinct_id, uuid: op.uuid, historical, properties: { $group_type: op.group_type, $group_key: op.group_key, $group_set: op.properties } }]
  }
}
