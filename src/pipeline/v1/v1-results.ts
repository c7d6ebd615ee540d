/**
 * The per-event results of a Capture V1 reply, allocated once: a request's
 * results array holds references to these, never a new object per event.
 * `result`: ok | warning (accepted, person processing disabled) | drop (do not
 * resend) | retry (not persisted; safe to resend). `details` only when set.
 */
import type { DropCause, QuotaResource, V1ResultKind } from '../../observability/metrics.js'
import { resourceFor } from '../quota-resource.js'
import type { CaptureEvent } from '../validate-event.js'
import type { V1DropTag } from './validate-v1.js'

export type { V1ResultKind }

export interface V1Result {
  readonly result: V1ResultKind
  readonly details?: string
}

const result = (kind: V1ResultKind, details?: string): V1Result => (details === undefined ? { result: kind } : { result: kind, details })

const DROPS = new Map<string, V1Result>()
const drop = (details: string): V1Result => {
  let found = DROPS.get(details)
  if (found === undefined) DROPS.set(details, (found = result('drop', details)))
  return found
}

/** Upstream's tags for the scoped billing quotas; `events` refuses the whole request (402) instead. */
const QUOTA_TAGS: Record<QuotaResource, string> = {
  events: 'events_over_quota',
  recordings: 'recordings_over_quota',
  exceptions: 'exceptions_over_quota',
  surveys: 'survey_responses_over_quota',
  llm_events: 'llm_events_over_quota',
}

const overQuota = Object.fromEntries(Object.entries(QUOTA_TAGS).map(([resource, tag]) => [resource, drop(tag)])) as Record<QuotaResource, V1Result>

export const V1_RESULTS = {
  ok: result('ok'),
  personProcessingDisabled: result('warning', 'person_processing_disabled'),
  retryNotPersisted: result('retry', 'not_persisted'),
  /** The same uuid is being written by another request in this process right now. */
  retryInFlight: result('retry', 'not_persisted'),
  dropEventTooBig: drop('event_too_big'),
  dropRejected: drop('rejected'),
  overQuota,
  drop: (details: V1DropTag): V1Result => drop(details),
  /** A limiter's drop: quotas by resource; a duplicate is an event already durable (`ok`). */
  forDrop(cause: DropCause, event: CaptureEvent): V1Result {
    switch (cause) {
      case 'over_quota':
        return overQuota[resourceFor(event, 'events')]
      case 'duplicate':
        return V1_RESULTS.ok
      default:
        // DROP_EVENTS_BY_TOKEN_DISTINCT_ID: capture's own event restriction.
        return drop('event_restriction_drop')
    }
  },
}
