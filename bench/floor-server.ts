/**
 * Floor server: the least work any capture server must do per request, as the
 * yardstick capture is compared against in the same run. It reads the body,
 * does floor-work.ts (gunzip if gzip, JSON.parse once, serialise each event
 * once into an envelope carrying the event as a JSON string) and answers 200
 * with capture's success body. No validation, no limits, no disk, no metrics.
 *
 * Env: ADDRESS (host:port), WORKERS (node:cluster workers sharing the port,
 * as capture does). Runs as plain JavaScript: bench/run.ts transpiles this file
 * and floor-work.ts with typescript so no loader hooks sit in the measured process.
 */
import cluster from 'node:cluster'
import http from 'node:http'
import { serialiseRequest } from './floor-work.js'

const OK_BODY = Buffer.from('{"code":1,"status":"ok"}')
const BAD_BODY = Buffer.from('{"code":0,"status":"bad request"}')

/** Keeps the serialised output observable so no engine could skip producing it. */
let envelopeChars = 0
const count = (envelope: string): void => {
  envelopeChars += envelope.length
}

function serve(address: { host: string; port: number }): void {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      try {
        serialiseRequest(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), req.socket.remoteAddress ?? '', count)
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
