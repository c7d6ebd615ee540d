/**
 * The HTTP edge of Capture V1 (`POST /i/v1/analytics/events[/]`): its own
 * CORS (origin and requested headers mirrored, credentials allowed, methods
 * POST and OPTIONS), `Date` (receive time) and the echoed `PostHog-Request-Id`
 * on every reply, headers checked before the body is read, the body read
 * with CAPTURE_V1_MAX_COMPRESSED_BODY_BYTES, then the pipeline and the
 * `{"results": {uuid: …}}` reply. Errors are thrown as CaptureErrors; the
 * server hands them back to replyV1Error (v1-errors.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Clock } from '../clock.js'
import { CaptureError } from '../errors/capture-error.js'
import type { Metrics } from '../observability/metrics.js'
import { captureV1, type V1Outcome, type V1PipelineDeps } from '../pipeline/v1/capture-v1.js'
import { readV1Headers } from '../pipeline/v1/v1-headers.js'
import type { V1Result } from '../pipeline/v1/v1-results.js'
import type { Millis } from '../units.js'
import { readBody } from './body-reader.js'

export interface V1RouteDeps {
  readonly pipeline: V1PipelineDeps
  readonly clock: Clock
  readonly metrics: Metrics
  readonly stallMs: Millis
  /** Budget for the whole body (BODY_READ_TIMEOUT_MS). */
  readonly totalMs: Millis
  readonly clientIp: (req: IncomingMessage) => string
}

/** Headers every V1 reply carries, errors included; set before anything can fail. */
export function v1CommonHeaders(req: IncomingMessage, res: ServerResponse, receivedMs: number): void {
  res.setHeader('Date', new Date(receivedMs).toUTCString())
  const requestId = req.headers['posthog-request-id']
  if (typeof requestId === 'string') res.setHeader('PostHog-Request-Id', requestId)
  const origin = req.headers.origin
  if (origin !== undefined) {
    res.setHeader('Access-Control-Allow-Origin', origin)
    res.setHeader('Access-Control-Allow-Credentials', 'true')
    res.setHeader('Vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers')
  }
}

export async function handleV1(req: IncomingMessage, res: ServerResponse, deps: V1RouteDeps): Promise<void> {
  const now = deps.clock()
  v1CommonHeaders(req, res, now.ms)
  if (req.method === 'OPTIONS') return replyPreflight(req, res)
  if (req.method !== 'POST') throw new CaptureError('method_not_allowed', { detail: `${req.method} is not allowed on Capture V1; use POST.` })
  const headers = readV1Headers(req.headers)
  const limit = deps.pipeline.config.v1.maxCompressedBytes
  const body = await readBody(req, { limit, stallMs: deps.stallMs, totalMs: deps.totalMs, routeName: '/i/v1/analytics/events' })
  deps.metrics.payloadBytes.observe({ route: 'events', stage: 'raw' }, body.length)
  const outcome = await captureV1({ body, headers, now, ip: deps.clientIp(req) }, deps.pipeline)
  replyResults(res, outcome)
}

function replyPreflight(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS')
  const requested = req.headers['access-control-request-headers']
  if (requested !== undefined) res.setHeader('Access-Control-Allow-Headers', requested)
  res.setHeader('Content-Length', 0)
  res.writeHead(200).end()
}

const RESULT_JSON = new Map<V1Result, string>()
const resultJson = (result: V1Result): string => {
  let json = RESULT_JSON.get(result)
  if (json === undefined) RESULT_JSON.set(result, (json = JSON.stringify(result)))
  return json
}

/** `{"results": {uuid: result}}` in request order, built as text (uuids need no escaping). */
export function resultsBody(outcome: V1Outcome): string {
  let body = '{"results":{'
  for (let index = 0; index < outcome.uuids.length; index++) {
    if (index > 0) body += ','
    body += `"${outcome.uuids[index]}":${resultJson(outcome.results[index]!)}`
  }
  return `${body}}}`
}

function replyResults(res: ServerResponse, outcome: V1Outcome): void {
  const body = resultsBody(outcome)
  const headers: Record<string, string | number> = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }
  if (outcome.retryAfterSeconds !== undefined) headers['Retry-After'] = outcome.retryAfterSeconds
  res.writeHead(200, headers).end(body)
}
