/**
 * Which billing quota an event counts against (upstream check_and_filter):
 * the scoped resources first — `$exception` → exceptions, `survey sent|shown|dismissed`
 * without `$product_tour_id` → surveys, `$ai_*` → llm_events — and every other
 * event against the route's global resource (events, or recordings on /s).
 * Pure; the quota limiter and Capture V1's per-event results both use it.
 */
import type { QuotaResource } from '../observability/metrics.js'
import type { LimitRequest } from './ports.js'
import type { CaptureEvent } from './validate-event.js'

const SURVEY_EVENTS = new Set(['survey sent', 'survey shown', 'survey dismissed'])

export function resourceFor(event: CaptureEvent, route: LimitRequest['route']): QuotaResource {
  if (route === 'recordings') return 'recordings'
  const name = event.event
  if (name === '$exception') return 'exceptions'
  if (name.startsWith('$ai_')) return 'llm_events'
  if (SURVEY_EVENTS.has(name) && event.properties.$product_tour_id === undefined) return 'surveys'
  return 'events'
}
