/**
 * Floor server: the least work any capture server must do per request, as the
 * yardstick capture is compared against in the same run. It reads the body,
 * gunzips it when it is gzip (magic bytes), JSON.parses it once, serialises
 * each event once into an envelope that carries the event as a JSON string
 * (the shape capture emits), and answers 200 with capture's success body.
 * No validation, no limits, no disk writes, no metrics.
 *
 * Env: ADDRESS (host:port), WORKERS (node:cluster workers sharing the port,
 * as capture does). Runs as plain JavaScript: bench/run.ts transpiles this file
 * with typescript so no loader hooks sit in the measured process.
 */
import cluster from 'node:cluster'
import http from 'node:http'
import { gunzipSync } from 'node:zlib'

const OK_BODY = Buffer.from('{"code":1,"status":"ok"}')
const BAD_BODY = Buffer.from('{"code":0,"status":"bad request"}')

/** Keeps the serialised output observable so no engine could skip producing it. */
let envelopeChars = 0

function eventsOf(json: unknown): { events: unknown[]; token: unknown; sentAt: unknown } {
  if (Array.isArray(json)) return { events: json, token: undefined, sentAt: undefined }
  const object = json as Record<string, unknown>
  if (Array.isArray(object.batch)) return { events: object.batch, token: object.api_key ?? object.token, sentAt: object.sent_at }
  return { events: [object], token: undefined, sentAt: undefined }
}

function serialise(body: Buffer, ip: string): void {
  const raw = body.length > 1 && body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body
  const { events, token, sentAt } = eventsOf(JSON.parse(raw.toString('utf8')))
  const now = new Date().toISOString()
  for (const item of events) {
    const event = item as Record<string, unknown>
    const properties = (event.properties ?? {}) as Record<string, unknown>
    envelopeChars += JSON.stringify({
      uuid: event.uuid,
      distinct_id: event.distinct_id ?? properties.distinct_id,
      ip,
      data: JSON.stringify(event),
      now,
      sent_at: sentAt ?? null,
      token: token ?? properties.token,
      event: event.event,
      timestamp: event.timestamp,
    }).length
  }
}

function serve(address: { host: string; port: number }): void {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      try {
        serialise(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), req.socket.remoteAddress ?? '')
      } catch {
        res.writeHead(400, { 'Content-Type': 'application/json', 'Content-Length': BAD_BODY.length }).end(BAD_BODY)
        return
      }
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': OK_BODY.length }).end(OK_BODY)
    })
  })
  server.keepAliveTimeout = 65_000
  server.listen(address.port, address.host, () => console.log(`floor is serving on ${address.host}:${address.port} (pid ${process.pid})`))
  const stop = (): void => {
    server.close(() => process.exit(0))
    server.closeAllConnections()
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.on('exit', () => void envelopeChars)
}

function parseAddress(value: string): { host: string; port: number } {
  const colon = value.lastIndexOf(':')
  return { host: value.slice(0, colon), port: Number(value.slice(colon + 1)) }
}

const address = parseAddress(process.env.ADDRESS ?? '127.0.0.1:3100')
const workers = Number(process.env.WORKERS ?? '1')

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork()
  let stopping = false
  const stop = (): void => {
    stopping = true
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM')
  }
  cluster.on('exit', () => {
    if (stopping && Object.keys(cluster.workers ?? {}).length === 0) process.exit(0)
  })
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
} else {
  serve(address)
}
