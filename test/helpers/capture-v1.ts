/**
 * Builders for Capture V1 requests (docs/capture-v1.md): events, batches, the
 * required headers, and a POST that sends them over a real socket.
 */
import { randomUUID } from 'node:crypto'
import type { OutgoingHttpHeaders } from 'node:http'
import { request, TOKEN, type Reply } from './http-client.js'

export const V1_PATH = '/i/v1/analytics/events'
export const V1_REQUEST_ID = '01a215da-846f-7167-a3df-fb45dac0d650'

export interface V1Event {
  event: string
  uuid: string
  distinct_id: string
  timestamp: string
  session_id?: string | null
  window_id?: string | null
  options?: unknown
  properties?: unknown
}

export function aV1Event(overrides: Partial<V1Event> & Record<string, unknown> = {}): V1Event {
  return { event: 'v1 event', uuid: randomUUID(), distinct_id: 'user-1', timestamp: '2026-01-01T00:00:00.000Z', properties: { plan: 'pro' }, ...overrides }
}

export function aV1Batch(events: readonly unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { created_at: '2026-01-01T00:00:00.000Z', batch: events, ...extra }
}

export function v1Headers(overrides: Record<string, string | undefined> = {}): OutgoingHttpHeaders {
  const headers: Record<string, string | undefined> = {
    authorization: `Bearer ${TOKEN}`,
    'content-type': 'application/json',
    'posthog-sdk-info': 'posthog-node/5.70.0',
    'posthog-attempt': '1',
    'posthog-request-id': V1_REQUEST_ID,
    'posthog-request-timestamp': '2026-01-01T00:00:00.000Z',
    'user-agent': 'posthog-node/5.70.0',
    ...overrides,
  }
  for (const [name, value] of Object.entries(headers)) if (value === undefined) delete headers[name]
  return headers as OutgoingHttpHeaders
}

export function postV1(baseUrl: string, body: Buffer | string | Record<string, unknown>, headers: Record<string, string | undefined> = {}, path = V1_PATH): Promise<Reply> {
  const bytes = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body)
  return request(baseUrl, path, { method: 'POST', body: bytes, headers: v1Headers(headers) })
}

export interface V1ErrorBody {
  readonly error: string
  readonly error_description: string
  readonly error_uri: string
}

export type V1Results = Record<string, { result: string; details?: string }>

export const resultsOf = (reply: Reply): V1Results => (JSON.parse(reply.text) as { results: V1Results }).results
export const errorOf = (reply: Reply): V1ErrorBody => JSON.parse(reply.text) as V1ErrorBody
