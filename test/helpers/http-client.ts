/**
 * HTTP client helpers for tests that talk to a real capture server over
 * 127.0.0.1: a node:http request that sends exactly the bytes and headers we
 * give it (no implicit compression or content type), a raw-socket exchange
 * for slow or malformed clients, and builders for events and error bodies.
 */
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import net from 'node:net'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'

export const TOKEN = 'phc_test_token_0123456789'

export interface Reply {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  readonly text: string
}

export interface RequestOptions {
  readonly method?: string
  readonly headers?: OutgoingHttpHeaders
  readonly body?: Buffer | string
  /** Send the body in these pieces with Transfer-Encoding: chunked (no Content-Length). */
  readonly chunks?: readonly (Buffer | string)[]
  readonly agent?: http.Agent | false
}

/** One request; resolves with the whole reply. Never rejects on a 4xx/5xx status. */
export function request(baseUrl: string, path: string, options: RequestOptions = {}): Promise<Reply> {
  const url = new URL(path, baseUrl)
  const headers: OutgoingHttpHeaders = { ...options.headers }
  const body = options.body === undefined ? undefined : Buffer.from(options.body)
  if (body !== undefined && headers['content-length'] === undefined) headers['content-length'] = body.length
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: options.method ?? 'GET', headers, agent: options.agent ?? false },
      (res) => {
        const parts: Buffer[] = []
        res.on('data', (chunk: Buffer) => parts.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const all = Buffer.concat(parts)
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: all, text: all.toString('utf8') })
        })
      },
    )
    req.on('error', reject)
    if (options.chunks !== undefined) {
      for (const chunk of options.chunks) req.write(chunk)
      req.end()
    } else {
      req.end(body)
    }
  })
}

export const post = (baseUrl: string, path: string, body: Buffer | string, headers: OutgoingHttpHeaders = {}): Promise<Reply> =>
  request(baseUrl, path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })

export const postJson = (baseUrl: string, path: string, value: unknown, headers: OutgoingHttpHeaders = {}): Promise<Reply> =>
  post(baseUrl, path, JSON.stringify(value), headers)

/** The reply body as JSON (throws with the text when it is not JSON). */
export function json<T = Record<string, unknown>>(reply: Reply): T {
  try {
    return JSON.parse(reply.text) as T
  } catch {
    throw new Error(`reply ${reply.status} is not JSON: ${reply.text.slice(0, 200)}`)
  }
}

export interface ErrorReply {
  readonly type: string
  readonly code: string
  readonly detail: string
  readonly attr: string | null
  readonly limit_bytes?: number
  readonly size_bytes?: number
}

/** The error body, after checking it has the documented shape. */
export function errorOf(reply: Reply): ErrorReply {
  const body = json<ErrorReply>(reply)
  for (const key of ['type', 'code', 'detail'] as const) {
    if (typeof body[key] !== 'string') throw new Error(`error body lacks string ${key}: ${reply.text.slice(0, 200)}`)
  }
  if (!('attr' in body) || (body.attr !== null && typeof body.attr !== 'string')) throw new Error(`error body lacks attr: ${reply.text.slice(0, 200)}`)
  return body
}

export interface TestEvent {
  event: string
  distinct_id: string
  uuid: string
  api_key?: string
  properties: Record<string, unknown>
  [key: string]: unknown
}

/** A valid event carrying its own token and a fresh uuid. */
export function anEvent(overrides: Partial<TestEvent> = {}): TestEvent {
  return { event: 'test_event', distinct_id: 'user-1', uuid: randomUUID(), api_key: TOKEN, properties: {}, ...overrides }
}

/** A valid event without any token (for batches that carry the token at the top). */
export function aBareEvent(overrides: Partial<TestEvent> = {}): TestEvent {
  const { api_key: _unused, ...event } = anEvent(overrides)
  return event as TestEvent
}

export interface RawExchange {
  /** Everything the server sent before closing (or before `idleMs` of silence). */
  readonly received: string
  /** True when the server closed (or reset) the connection. */
  readonly closed: boolean
}

/** Opens a raw TCP connection to 127.0.0.1:port. */
export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.off('error', reject)
      resolve(socket)
    })
    socket.once('error', reject)
  })
}

/** Collects what the server sends on `socket` until it closes or `maxMs` passes. */
export function collect(socket: net.Socket, maxMs: number): Promise<RawExchange> {
  return new Promise((resolve) => {
    let received = ''
    let done = false
    const finish = (closed: boolean): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve({ received, closed })
    }
    const timer = setTimeout(() => finish(false), maxMs)
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')))
    socket.on('close', () => finish(true))
    socket.on('error', () => finish(true))
  })
}

/** Writes `text` one piece at a time with `gapMs` between pieces; stops quietly if the socket closes. */
export async function dribble(socket: net.Socket, pieces: readonly string[], gapMs: number): Promise<void> {
  for (const piece of pieces) {
    if (socket.destroyed || !socket.writable) return
    socket.write(piece)
    await sleep(gapMs)
  }
}

/** Waits until `check` holds, polling; throws after `maxMs`. For waiting on state, never for asserting time. */
export async function eventually(check: () => boolean | Promise<boolean>, maxMs = 10_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + maxMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${maxMs} ms`)
    await sleep(everyMs)
  }
}

/** The value of an unlabelled-or-labelled sample in Prometheus text, summed over matching series. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0
  let found = false
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const seen = parseLabels(match[3] ?? '')
    if (!Object.entries(labels).every(([key, value]) => seen[key] === value)) continue
    total += Number(match[4])
    found = true
  }
  return found ? total : NaN
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {}
  for (const match of text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[match[1]!] = match[2]!
  return labels
}

/** Parses one HTTP/1.1 reply with a Content-Length body out of raw bytes read from a socket. */
export function parseRawReply(received: string): Reply {
  const headEnd = received.indexOf('\r\n\r\n')
  if (headEnd === -1) throw new Error(`no complete reply head in ${JSON.stringify(received.slice(0, 200))}`)
  const [statusLine, ...lines] = received.slice(0, headEnd).split('\r\n')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0)
  const headers: IncomingHttpHeaders = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  const length = Number(headers['content-length'] ?? received.length - headEnd - 4)
  const body = Buffer.from(received.slice(headEnd + 4, headEnd + 4 + length), 'latin1')
  return { status, headers, body, text: body.toString('utf8') }
}
