/**
 * Run ids and event uuids. Every scenario run gets its own id, stamped into
 * each event's `properties.test_run_id` and into every distinct_id it uses, so
 * its events can be picked out of a sink shared with other runs.
 */
import { randomBytes } from 'node:crypto'
import { v7 as uuidv7 } from 'uuid'

/** `run-<time36>-<random36>`: lowercase alphanumerics and two hyphens, nothing else. */
export const RUN_ID_PATTERN = /run-[0-9a-z]+-[0-9a-z]+/

export function newRunId(): string {
  return `run-${Date.now().toString(36)}-${BigInt(`0x${randomBytes(6).toString('hex')}`).toString(36)}`
}

export function newEventUuid(): string {
  return uuidv7()
}
