/**
 * The `$$client_ingestion_warning` event written when a recording is refused
 * because one snapshot item is larger than a whole recording message may be.
 * The client only sees a 413 (and posthog-js drops the batch); this event, on
 * the client-ingestion-warnings topic, is how the project owner learns that
 * part of a session was lost. PostHog's ingestion shows
 * `properties.$$client_ingestion_warning_message` in the project's ingestion
 * warnings; the other properties say which session and how large.
 */
import type { Topics } from '../../config/config.js'
import type { PreparedMessage } from '../ports.js'
import { prepareMessage } from '../prepare.js'
import type { Now } from '../../clock.js'
import type { CaptureEvent } from '../validate-event.js'
import type { SessionBatch } from './group-sessions.js'

export interface OversizeItem {
  readonly batch: SessionBatch
  /** Index of the item within its session batch. */
  readonly itemIndex: number
  readonly itemBytes: number
  readonly maxMessageBytes: number
  /** Snapshot items in the whole refused request. */
  readonly requestItems: number
}

export interface WarningContext {
  readonly token: string
  readonly ip: string
  readonly now: Now
  readonly topics: Topics
}

const EVENT = '$$client_ingestion_warning'

export function itemTooLargeWarning(oversize: OversizeItem, ctx: WarningContext, newUuid: () => string): PreparedMessage {
  const { batch } = oversize
  const uuid = newUuid()
  const properties = {
    $$client_ingestion_warning_message:
      `Session recording data was dropped: session ${batch.sessionId} sent a snapshot item of ${oversize.itemBytes} bytes, ` +
      `larger than the ${oversize.maxMessageBytes}-byte limit on one recording message (RECORDING_MESSAGE_MAX_BYTES); ` +
      `the request's ${oversize.requestItems} snapshot items were refused with 413.`,
    $session_id: batch.sessionId,
    $window_id: batch.windowId,
    $lib: batch.lib,
    $snapshot_item_index: oversize.itemIndex,
    $snapshot_item_bytes: oversize.itemBytes,
    $snapshot_message_max_bytes: oversize.maxMessageBytes,
    $snapshot_items_refused: oversize.requestItems,
  }
  const event: CaptureEvent = {
    uuid,
    event: EVENT,
    distinctId: batch.distinctId,
    token: ctx.token,
    properties,
    timestampMs: ctx.now.ms,
    cookieless: false,
    ip: ctx.ip,
    clientUuid: false,
    data: JSON.stringify({ token: ctx.token, distinct_id: batch.distinctId, uuid, event: EVENT, properties, timestamp: ctx.now.iso }),
  }
  return prepareMessage(event, 'normal', { now: ctx.now, historical: false, topics: ctx.topics })
}
