/**
 * Reading docs/openapi.json in tests: the parsed document, local `$ref`
 * resolution, every operation of every path, and the catalogue codes an
 * error response names (the `code` enum of the classic body, the `error`
 * enum of the Capture V1 body, and the codes of its examples).
 */
import { readFileSync } from 'node:fs'
import { OPENAPI_FILE } from '../../src/http/openapi-route.js'

export type Node = Record<string, unknown>

export const OPENAPI_BYTES = readFileSync(OPENAPI_FILE)
export const openapi = JSON.parse(OPENAPI_BYTES.toString('utf8')) as Node

export const HTTP_METHODS = ['get', 'head', 'post', 'put', 'delete', 'patch', 'options'] as const

/** Follows `$ref` (local JSON pointers only) until the node is not a reference. */
export function resolve(node: unknown): Node {
  let current = node as Node
  for (let hops = 0; typeof current.$ref === 'string'; hops++) {
    if (hops > 10) throw new Error(`$ref loop at ${String(current.$ref)}`)
    const pointer = current.$ref
    if (!pointer.startsWith('#/')) throw new Error(`not a local $ref: ${pointer}`)
    current = pointer
      .slice(2)
      .split('/')
      .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce<Node>((at, key) => {
        const next = at[key]
        if (next === undefined) throw new Error(`$ref ${pointer} points at nothing`)
        return next as Node
      }, openapi)
  }
  return current
}

export interface Operation {
  readonly path: string
  readonly method: (typeof HTTP_METHODS)[number]
  readonly operation: Node
}

export function operations(): Operation[] {
  const found: Operation[] = []
  for (const [path, item] of Object.entries(openapi.paths as Node)) {
    const pathItem = resolve(item)
    for (const method of HTTP_METHODS) {
      if (pathItem[method] !== undefined) found.push({ path, method, operation: resolve(pathItem[method]) })
    }
  }
  return found
}

/** Each response of an operation, resolved, by status. */
export function responsesOf(operation: Node): [status: string, response: Node][] {
  return Object.entries((operation.responses ?? {}) as Node).map(([status, response]) => [status, resolve(response)])
}

/** The codes a schema's error bodies may carry: `code` / `error` enums, through allOf/oneOf/anyOf. */
export function schemaCodes(schema: unknown): string[] {
  const node = resolve(schema)
  const codes: string[] = []
  const properties = (node.properties ?? {}) as Node
  for (const field of ['code', 'error']) {
    const values = (properties[field] as Node | undefined)?.enum
    if (Array.isArray(values)) codes.push(...(values as string[]))
  }
  for (const combinator of ['allOf', 'oneOf', 'anyOf']) {
    for (const part of (node[combinator] as unknown[] | undefined) ?? []) codes.push(...schemaCodes(part))
  }
  return codes
}

/** The JSON media types of a response, resolved. */
export function jsonContent(response: Node): Node | undefined {
  const content = response.content as Node | undefined
  return content?.['application/json'] === undefined ? undefined : resolve(content['application/json'])
}

/** The codes the examples of a response carry (`code` of a classic body, `error` of a V1 body). */
export function exampleCodes(media: Node): string[] {
  return Object.values((media.examples ?? {}) as Node).flatMap((example) => {
    const value = resolve(example).value as Node | undefined
    const code = value?.code ?? value?.error
    return typeof code === 'string' ? [code] : []
  })
}
