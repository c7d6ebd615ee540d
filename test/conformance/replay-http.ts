/**
 * Replay helper shared by the conformance suites: send a recorded request to
 * a running app byte for byte (node:http, so no header is added, dropped or
 * normalised the way fetch would).
 */
import http from 'node:http'
import { fileURLToPath } from 'node:url'

export interface ReplayRequest {
  readonly method: string
  /** Path and query, e.g. `/e/?compression=gzip-js`. */
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer
}

export interface ReplayResponse {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly text: string
}

export function send(baseUrl: string, request: ReplayRequest): Promise<ReplayResponse> {
  const url = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: request.path,
        headers: { ...request.headers, 'content-length': String(request.body.length) },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(request.body)
  })
}

export const OK_BODY = '{"code":1,"status":"ok"}'

/**
 * The recorded traffic the suites replay (upstream dump, SDK wire samples),
 * kept in the repository: test/fixtures/README.md says where each file came
 * from. Nothing outside the checkout is read, so a fresh clone passes.
 */
export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures', import.meta.url))
