/**
 * Wire proxy: a small HTTP proxy between a server SDK and capture that records
 * every request (path, headers, raw body, the events it carries, the status
 * the SDK got) and, when a fault is set, answers in capture's place.
 *
 * Invariants:
 * - Without a fault it is transparent: method, path, headers and body bytes go
 *   to capture unchanged and capture's status, headers and body come back.
 * - A fault answers *without forwarding* by default, so capture never sees a
 *   failed attempt: a 503-then-200 retry must then land each uuid exactly once
 *   even without de-duplication. A fault with `forwardFirst` lets capture
 *   store the request and then replaces its reply (a reply lost on the way
 *   back): only capture's de-duplication can keep the retry from landing twice.
 * - Lives in the test only; capture itself is never modified.
 */
import http, { type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { execFileSync } from 'node:child_process'
import { gunzipSync, inflateSync } from 'node:zlib'
import { decompress as decompressZstd } from 'fzstd'
import { isRecord } from './arrivals.js'
import { RUN_ID_PATTERN } from './run-id.js'

export interface WireRequest {
  readonly seq: number
  /** When the proxy had the whole request (epoch ms). */
  readonly receivedAtMs: number
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  /** The JSON payload after undoing gzip / form / base64, when that worked. */
  readonly payload: unknown
  /** The events in the payload (batch, array or single event). */
  readonly events: readonly Record<string, unknown>[]
  /** Status the SDK received; 0 when the connection failed. */
  status: number
  /** Whether capture received the request (a fault may answer before or after forwarding). */
  forwarded: boolean
  /** Capture's own status when it was forwarded. */
  upstreamStatus?: number
}

export interface FaultAnswer {
  readonly status: number
  /** Forward to capture first, then answer `status` instead of capture's reply. */
  readonly forwardFirst?: boolean
}

/** A fault answers for capture (a bare number: that status, without forwarding); undefined lets the request through. */
export type Fault = (request: WireRequest, ingestAttempt: number) => number | FaultAnswer | undefined

export interface WireProxy {
  readonly url: string
  readonly requests: readonly WireRequest[]
  /** Requests on capture's event routes whose events belong to `runId`. */
  requestsFor(runId: string): WireRequest[]
  setFault(fault: Fault | undefined): void
  close(): Promise<void>
}

const INGEST_PATH = /^\/(e|batch|i\/v0\/e|capture|track|engage|i\/v1\/analytics\/events)\/?$/

export function isIngestPath(path: string): boolean {
  return INGEST_PATH.test(path)
}

export async function startWireProxy(targetUrl: string): Promise<WireProxy> {
  const target = new URL(targetUrl)
  const requests: WireRequest[] = []
  let fault: Fault | undefined
  let ingestAttempts = 0
  const agent = new http.Agent({ keepAlive: true })
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = []
    req.on('data', (chunk: Buffer) => parts.push(chunk))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://proxy')
      const body = Buffer.concat(parts)
      const payload = decodePayload(body, req.headers, url.searchParams)
      const request: WireRequest = {
        seq: requests.length,
        receivedAtMs: Date.now(),
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        payload,
        events: eventsOf(payload),
        status: 0,
        forwarded: false,
      }
      requests.push(request)
      const answer = isIngestPath(request.path) && fault ? fault(request, ++ingestAttempts) : undefined
      const injected: FaultAnswer | undefined = typeof answer === 'number' ? { status: answer } : answer
      if (injected === undefined) forward(request, req, res, { target, agent })
      else if (injected.forwardFirst) forward(request, req, res, { target, agent, replaceStatus: injected.status })
      else answerFault(request, res, injected.status)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    requestsFor: (runId) => requests.filter((r) => isIngestPath(r.path) && r.events.some((e) => eventRunIds(e).includes(runId))),
    setFault: (next) => {
      fault = next
      ingestAttempts = 0
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      agent.destroy()
    },
  }
}

function answerFault(request: WireRequest, res: http.ServerResponse, status: number): void {
  request.status = status
  const reply = Buffer.from(JSON.stringify({ type: 'test_fault', code: 'injected_by_wire_proxy', detail: `wire proxy answered ${status}`, attr: null }))
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': reply.length }).end(reply)
}

interface Via {
  readonly target: URL
  readonly agent: http.Agent
  /** Answer this instead of capture's reply, once capture has answered. */
  readonly replaceStatus?: number
}

function forward(request: WireRequest, req: http.IncomingMessage, res: http.ServerResponse, via: Via): void {
  const headers = { ...req.headers, host: via.target.host }
  const upstream = http.request(
    { host: via.target.hostname, port: via.target.port, method: request.method, path: req.url, headers, agent: via.agent },
    (reply) => {
      request.forwarded = true
      request.upstreamStatus = reply.statusCode ?? 0
      if (via.replaceStatus !== undefined) {
        reply.resume()
        reply.on('end', () => answerFault(request, res, via.replaceStatus!))
        return
      }
      request.status = request.upstreamStatus
      res.writeHead(request.status, reply.headers)
      reply.pipe(res)
    },
  )
  upstream.on('error', () => {
    request.status = 502
    if (!res.headersSent) res.writeHead(502).end()
    else res.destroy()
  })
  upstream.end(request.body)
}

/**
 * Test-side decoding, independent of capture's: gzip (by header or magic bytes), deflate (zlib) and
 * zstd (the zstd CLI) by Content-Encoding, form `data=`, base64.
 */
export function decodePayload(body: Buffer, headers: IncomingHttpHeaders, query: URLSearchParams): unknown {
  try {
    let bytes = body
    if (headers['content-encoding'] === 'gzip' || (bytes[0] === 0x1f && bytes[1] === 0x8b)) bytes = gunzipSync(bytes)
    else if (headers['content-encoding'] === 'deflate') bytes = inflateSync(bytes)
    else if (headers['content-encoding'] === 'zstd') bytes = unzstd(bytes)
    let text = bytes.toString('utf8')
    const contentType = String(headers['content-type'] ?? '')
    if (contentType.includes('application/x-www-form-urlencoded') || text.startsWith('data=')) text = new URLSearchParams(text).get('data') ?? ''
    else if (body.length === 0 && query.has('data')) text = query.get('data') ?? ''
    const trimmed = text.trimStart()
    if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) text = Buffer.from(text, 'base64').toString('utf8')
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The zstd CLI when the machine has it (a decoder other than capture's); else fzstd. */
function unzstd(bytes: Buffer): Buffer {
  try {
    return execFileSync('zstd', ['-d', '-c', '-q'], { input: bytes, maxBuffer: 256 * 1024 * 1024 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    return Buffer.from(decompressZstd(bytes))
  }
}

function eventsOf(payload: unknown): Record<string, unknown>[] {
  if (Array.isArray(payload)) return payload.filter(isRecord)
  if (!isRecord(payload)) return []
  if (Array.isArray(payload.batch)) return payload.batch.filter(isRecord)
  return [payload]
}

function eventRunIds(event: Record<string, unknown>): string[] {
  const properties = isRecord(event.properties) ? event.properties : {}
  const ids: string[] = []
  if (typeof properties.test_run_id === 'string') ids.push(properties.test_run_id)
  for (const candidate of [event.distinct_id, properties.distinct_id]) {
    if (typeof candidate === 'string') {
      const match = RUN_ID_PATTERN.exec(candidate)
      if (match) ids.push(match[0])
    }
  }
  return ids
}
