/**
 * docs/openapi.json against what it describes: a valid OpenAPI 3.1 document
 * (checked by @seriousme/openapi-schema-validator against the official
 * schema); exactly the paths of the route table with every option on, plus
 * the debug assets the debug module matches by prefix; and the error
 * catalogue both ways: every code appears, under its own status, with an
 * example, and the document names no code the catalogue lacks.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { Validator } from '@seriousme/openapi-schema-validator'
import { loadConfig } from '../../src/config/config.js'
import { ASSET_PREFIX } from '../../src/debug/debug-endpoints.js'
import { codes } from '../../src/errors/codes.js'
import { buildRoutes } from '../../src/http/routes.js'
import { exampleCodes, jsonContent, openapi, operations, responsesOf, schemaCodes, type Node } from '../helpers/openapi.js'

const catalogue = new Set(Object.keys(codes))
const status = (code: string): number | undefined => (catalogue.has(code) ? codes[code as keyof typeof codes].status : undefined)

/**
 * Every error response of every operation, with the codes its schema lists and its examples
 * carry. A probe's 503 is its answer (not ready, unhealthy), not a refusal: it has no code.
 */
function errorResponses(): { where: string; status: number; listed: string[]; examples: string[] }[] {
  return operations().flatMap(({ path, method, operation }) =>
    responsesOf(operation)
      .filter(([code]) => Number(code) >= 400 && !(code === '503' && (operation.tags as string[]).includes('health')))
      .map(([code, response]) => {
        const media = jsonContent(response)
        return {
          where: `${method.toUpperCase()} ${path} ${code}`,
          status: Number(code),
          listed: media === undefined ? [] : schemaCodes(media.schema),
          examples: media === undefined ? [] : exampleCodes(media),
        }
      }),
  )
}

describe('docs/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    assert.match(String(openapi.openapi), /^3\.1\.\d+$/)
    const result = await new Validator().validate(structuredClone(openapi))
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2))
  })

  it('carries the version of package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    assert.equal((openapi.info as Node).version, pkg.version)
  })

  it('describes every path of the route table with every option on, and no other', () => {
    const routes = buildRoutes(loadConfig({}).limits, { exportPrometheus: true, captureV1: true, flags: true, debugUi: true })
    const fixed = Object.keys(openapi.paths as Node).filter((path) => !path.includes('{'))
    assert.deepEqual(fixed.sort(), [...routes.keys()].sort())
  })

  it('templates only the debug assets, which the debug module matches by prefix', () => {
    const templated = Object.keys(openapi.paths as Node).filter((path) => path.includes('{'))
    assert.deepEqual(templated, [`${ASSET_PREFIX}{file}`])
  })

  it('names every code of the error catalogue', () => {
    const named = new Set(errorResponses().flatMap((response) => response.listed))
    assert.deepEqual([...catalogue].filter((code) => !named.has(code)), [])
  })

  it('names no code the catalogue lacks', () => {
    const unknown = errorResponses().flatMap(({ where, listed, examples }) =>
      [...listed, ...examples].filter((code) => !catalogue.has(code)).map((code) => `${where}: ${code}`))
    assert.deepEqual(unknown, [])
  })

  it('lists each code under the status the catalogue gives it', () => {
    const misplaced = errorResponses().flatMap(({ where, status: replyStatus, listed }) =>
      listed.filter((code) => catalogue.has(code) && status(code) !== replyStatus).map((code) => `${where}: ${code} is ${status(code)}`))
    assert.deepEqual(misplaced, [])
  })

  it('gives every listed code an example, and every example a listed code', () => {
    const mismatched = errorResponses().flatMap(({ where, listed, examples }) => [
      ...listed.filter((code) => !examples.includes(code)).map((code) => `${where}: no example of ${code}`),
      ...examples.filter((code) => !listed.includes(code)).map((code) => `${where}: example ${code} is not listed`),
    ])
    assert.deepEqual(mismatched, [])
  })

  it('lists on every operation with a body the refusals any request can get before its route runs', () => {
    const anywhere = ['malformed_request', 'request_timeout', 'expectation_failed', 'headers_too_large', 'too_many_headers', 'internal_error', 'http_version_not_supported']
    const missing = operations()
      .filter(({ method }) => method !== 'head')
      .flatMap(({ path, method, operation }) => {
        const listed = new Set(responsesOf(operation).flatMap(([, response]) => schemaCodes(jsonContent(response)?.schema ?? {})))
        return anywhere.filter((code) => !listed.has(code)).map((code) => `${method.toUpperCase()} ${path}: ${code}`)
      })
    assert.deepEqual(missing, [])
  })

  it('gives every error response a JSON body from the catalogue', () => {
    assert.deepEqual(errorResponses().filter((response) => response.listed.length === 0).map((response) => response.where), [])
  })
})
