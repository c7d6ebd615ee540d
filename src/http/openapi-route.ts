/**
 * `GET /openapi.json`: the OpenAPI 3.1 description of every route capture
 * answers, kept in the repository as docs/openapi.json (docs/api.md). It is
 * read once, when the first server is built, and served as those exact bytes:
 * a probe-cheap reply that never touches the disk again.
 *
 * test/http/openapi-document.test.ts and test/http/openapi.test.ts keep the
 * document in step with the route table and the error catalogue.
 */
import { readFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'

/** The same relative path from src/http/ (tsx) and dist/http/ (the build). */
export const OPENAPI_FILE = new URL('../../docs/openapi.json', import.meta.url)

let document: Buffer | undefined

/** The document's bytes; the first call reads the file (and throws if it is missing). */
export function openApiDocument(): Buffer {
  document ??= readFileSync(OPENAPI_FILE)
  return document
}

export function replyOpenApi(res: ServerResponse): void {
  const body = openApiDocument()
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length }).end(body)
}
