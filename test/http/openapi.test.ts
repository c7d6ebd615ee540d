/**
 * docs/openapi.json against a real capture over 127.0.0.1, every route on:
 * `/openapi.json` serves the file byte for byte; every path answers the
 * methods the document gives it and 405 to the others; and every request
 * example the document shows is accepted as it stands (200), so the examples
 * are real payloads, not prose; the debug stream and ops snapshot carry
 * exactly the fields their schemas declare.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import http, { type OutgoingHttpHeaders } from 'node:http'
import { OPENAPI_FILE } from '../../src/http/openapi-route.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { anEvent, json, postJson, request, TOKEN, type Reply } from '../helpers/http-client.js'
import { HTTP_METHODS, OPENAPI_BYTES, openapi, operations, resolve, type Node, type Operation } from '../helpers/openapi.js'

const DEBUG_TOKEN = 'openapi-test-debug-token-0123456789'

/** A path with its parameters filled from their examples (`/_debug/assets/{file}` → a real asset). */
function concrete(path: string): string {
  const item = resolve((openapi.paths as Node)[path])
  const parameters = ((item.parameters ?? []) as unknown[]).map(resolve)
  return path.replace(/\{(\w+)\}/g, (_, name: string) => String(parameters.find((p) => p.name === name)?.example))
}

/** True when the operation's 200 is a server-sent-events stream (it never ends by itself). */
function isStream(operation: Node | undefined): boolean {
  const ok = operation === undefined ? undefined : resolve((operation.responses as Node)['200'] ?? {})
  return Object.keys((ok?.content ?? {}) as Node).some((type) => type.startsWith('text/event-stream'))
}

/**
 * A CORS preflight for OPTIONS (what browsers send). The debug routes get DEBUG_UI_TOKEN, so
 * their answer is the method's and not the 401 every method gets without it; except the event
 * stream's GET, which would then never end (its 401 shows it is routed).
 */
function probe(t: TestApp, path: string, method: (typeof HTTP_METHODS)[number]): Promise<Reply> {
  const headers: OutgoingHttpHeaders = method === 'options' ? { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } : {}
  const pathItem = resolve((openapi.paths as Node)[path])
  if (path.startsWith('/_debug') && !(method === 'get' && isStream(pathItem.get as Node | undefined))) headers.authorization = `Bearer ${DEBUG_TOKEN}`
  return request(t.url, concrete(path), { method: method.toUpperCase(), headers })
}

/** The header parameters an operation requires, set to their examples. */
function requiredHeaders(operation: Node): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {}
  for (const parameter of ((operation.parameters ?? []) as unknown[]).map(resolve)) {
    if (parameter.in === 'header' && parameter.required === true) headers[String(parameter.name).toLowerCase()] = String(parameter.example)
  }
  return headers
}

interface Sample {
  readonly name: string
  readonly body: string
  readonly headers: OutgoingHttpHeaders
}

/** Each request example of an operation as the bytes and headers a client would send. */
function samples({ operation }: Operation): Sample[] {
  if (operation.requestBody === undefined) return []
  const content = resolve(operation.requestBody).content as Node
  const found: Sample[] = []
  for (const [mediaType, media] of Object.entries(content)) {
    for (const [name, example] of Object.entries((resolve(media).examples ?? {}) as Node)) {
      const value = resolve(example).value
      const body = mediaType === 'application/x-www-form-urlencoded' ? new URLSearchParams(value as Record<string, string>).toString() : JSON.stringify(value)
      found.push({ name: `${mediaType} ${name}`, body, headers: { 'content-type': mediaType } })
    }
  }
  return found
}

/** The first `event: <kind>` message of the debug stream, parsed, once `send` has run after the stream opened. */
function firstStreamMessage(url: string, kind: string, send: () => Promise<unknown>): Promise<Node> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/_debug/events`, { headers: { authorization: `Bearer ${DEBUG_TOKEN}` } }, (res) => {
      let text = ''
      let sent = false
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk
        if (!sent && text.includes(': connected')) {
          sent = true
          send().catch(reject)
        }
        const match = new RegExp(`event: ${kind}\ndata: (.*)\n\n`).exec(text)
        if (match) {
          clearTimeout(timer)
          req.destroy()
          resolve(JSON.parse(match[1]!) as Node)
        }
      })
    })
    const timer = setTimeout(() => {
      req.destroy()
      reject(new Error(`no ${kind} message on the debug stream within 10 s`))
    }, 10_000)
    req.on('error', (err) => {
      if (!req.destroyed) reject(err)
    })
  })
}

/** The property names a component schema declares, sorted. */
const declared = (schema: string): string[] => Object.keys(resolve({ $ref: `#/components/schemas/${schema}` }).properties as Node).sort()

describe('the OpenAPI description', () => {
  let t: TestApp
  before(async () => {
    t = await startTestApp({ env: { DEBUG_UI_TOKEN: DEBUG_TOKEN, EXPORT_PROMETHEUS: 'true', CAPTURE_V1_ENABLED: 'true', FLAGS_ENDPOINTS_ENABLED: 'true' } })
  })
  after(() => t.close())

  it('is served at /openapi.json byte for byte as docs/openapi.json, as application/json', async () => {
    const reply = await request(t.url, '/openapi.json')
    assert.equal(reply.status, 200)
    assert.equal(reply.headers['content-type'], 'application/json')
    assert.ok(reply.body.equals(readFileSync(OPENAPI_FILE)), 'the body differs from docs/openapi.json')
    assert.ok(reply.body.equals(OPENAPI_BYTES))
  })

  it('answers HEAD /openapi.json with the length of the document and no body', async () => {
    const reply = await request(t.url, '/openapi.json', { method: 'HEAD' })
    assert.equal(reply.status, 200)
    assert.equal(Number(reply.headers['content-length']), OPENAPI_BYTES.length)
    assert.equal(reply.body.length, 0)
  })

  it('gets every documented method answered on every path, and 405 for the others', async () => {
    const wrong: string[] = []
    for (const [path, item] of Object.entries(openapi.paths as Node)) {
      const pathItem = resolve(item)
      for (const method of HTTP_METHODS) {
        const reply = await probe(t, path, method)
        const documented = pathItem[method] !== undefined
        if (documented && (reply.status === 404 || reply.status === 405)) wrong.push(`${method.toUpperCase()} ${path}: documented, answered ${reply.status}`)
        if (!documented && reply.status !== 405) wrong.push(`${method.toUpperCase()} ${path}: not documented, answered ${reply.status}`)
      }
    }
    assert.deepEqual(wrong, [])
  })

  it('refuses an undocumented method with the catalogue code the document lists for 405', async () => {
    for (const { path, method } of [{ path: '/batch', method: 'PUT' }, { path: '/health', method: 'POST' }, { path: '/flags', method: 'DELETE' }]) {
      const reply = await request(t.url, path, { method })
      assert.equal(reply.status, 405)
      assert.equal(json(reply).code, 'method_not_allowed')
    }
    const v1 = await request(t.url, '/i/v1/analytics/events', { method: 'GET' })
    assert.equal(v1.status, 405)
    assert.equal(json(v1).error, 'method_not_allowed')
  })

  it('describes the debug stream\'s event messages with exactly the fields the server sends', async () => {
    const message = await firstStreamMessage(t.url, 'event', () => postJson(t.url, '/batch', { api_key: TOKEN, batch: [anEvent()] }))
    assert.deepEqual(Object.keys(message).sort(), declared('DebugEvent'))
  })

  it('describes the debug stream\'s refusal messages with the fields the server sends', async () => {
    const message = await firstStreamMessage(t.url, 'refused', () => request(t.url, '/batch', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{' }))
    const required = resolve({ $ref: '#/components/schemas/DebugRefusal' }).required as string[]
    assert.deepEqual(Object.keys(message).filter((key) => !declared('DebugRefusal').includes(key)), [])
    assert.deepEqual(required.filter((key) => !(key in message)), [])
  })

  it('describes the operations snapshot with exactly the fields the server sends', async () => {
    const reply = await request(t.url, '/_debug/ops.json', { headers: { authorization: `Bearer ${DEBUG_TOKEN}` } })
    assert.equal(reply.status, 200)
    assert.deepEqual(Object.keys(json(reply)).sort(), declared('DebugOps'))
  })

  for (const op of operations().filter((candidate) => samples(candidate).length > 0)) {
    for (const sample of samples(op)) {
      it(`accepts the ${sample.name} example on ${op.method.toUpperCase()} ${op.path}`, async () => {
        const v1 = op.path.startsWith('/i/v1/')
        const headers = v1 ? { ...requiredHeaders(op.operation), authorization: `Bearer ${TOKEN}`, ...sample.headers } : sample.headers
        const reply = await request(t.url, op.path, { method: op.method.toUpperCase(), headers, body: sample.body })
        assert.equal(reply.status, 200, reply.text)
        if (v1) assert.ok(Object.values(json<{ results: Record<string, { result: string }> }>(reply).results).every((r) => r.result === 'ok'), reply.text)
        else if (!op.path.startsWith('/flags') && !op.path.startsWith('/decide')) assert.equal(json(reply).code, 1)
      })
    }
  }
})
