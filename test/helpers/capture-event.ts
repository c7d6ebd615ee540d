/** Builders for validated CaptureEvents and LimitRequests, for limiter unit tests. */
import { randomUUID } from 'node:crypto'
import type { LimitRequest } from '../../src/pipeline/ports.js'
import type { CaptureEvent } from '../../src/pipeline/validate-event.js'

export const LIMIT_TOKEN = 'phc_limits_token'
export const T0_MS = Date.UTC(2025, 0, 1)

export function aCaptureEvent(overrides: Partial<CaptureEvent> = {}): CaptureEvent {
  return {
    uuid: randomUUID(),
    event: '$pageview',
    distinctId: 'user-1',
    token: LIMIT_TOKEN,
    properties: {},
    timestampMs: T0_MS - 1000,
    cookieless: false,
    ip: '127.0.0.1',
    clientUuid: true,
    data: '{}',
    ...overrides,
  }
}

export function aLimitRequest(events: readonly CaptureEvent[], overrides: Partial<LimitRequest> = {}): LimitRequest {
  return { events, token: LIMIT_TOKEN, historical: false, route: 'events', nowMs: T0_MS, ...overrides }
}
