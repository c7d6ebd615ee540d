/**
 * The route table: every path capture answers, precomputed at startup. Paths
 * match exactly (with or without one trailing slash); the query string never
 * affects routing.
 */
import type { HttpLimits } from '../config/config.js'

export type RouteKind = 'events' | 'recordings' | 'capture_v1' | 'flags' | 'decide' | 'readiness' | 'liveness' | 'health' | 'metrics' | 'debug' | 'openapi'

export interface Route {
  readonly kind: RouteKind
  /** Label for metrics: the path without its trailing slash. */
  readonly name: string
  readonly bodyLimit: number
  /** Cap on the decoded payload: DECODED_PER_BODY_BYTE × bodyLimit, at most DECODED_BODY_MAX_BYTES. */
  readonly decodedLimit: number
  /** Upstream applies a second base64 pass on these legacy paths. */
  readonly legacyPath: boolean
  readonly isEngage: boolean
}

/**
 * How much larger than its body limit a route's decoded payload may be: real gzip'd batches
 * inflate 5–20×; a bomb must not get the global DECODED_BODY_MAX_BYTES on a 2 MiB route.
 */
export const DECODED_PER_BODY_BYTE = 10

export function buildRoutes(limits: HttpLimits, options: { exportPrometheus: boolean; captureV1?: boolean; flags?: boolean; debugUi?: boolean }): Map<string, Route> {
  const table = new Map<string, Route>()
  const add = (path: string, route: Omit<Route, 'name' | 'decodedLimit'>): void => {
    const entry = { ...route, name: path, decodedLimit: Math.min(limits.decodedBytes, DECODED_PER_BODY_BYTE * route.bodyLimit) }
    table.set(path, entry)
    if (path !== '/') table.set(`${path}/`, entry)
  }
  const events = (path: string, bodyLimit: number, legacyPath: boolean): void =>
    add(path, { kind: 'events', bodyLimit, legacyPath, isEngage: path === '/engage' })
  events('/e', limits.eventBodyBytes, true)
  events('/engage', limits.eventBodyBytes, true)
  events('/track', limits.eventBodyBytes, true)
  events('/capture', limits.eventBodyBytes, true)
  events('/i/v0/e', limits.eventBodyBytes, false)
  events('/batch', limits.batchBodyBytes, false)
  // Session recordings; no legacy second base64 pass (upstream's /s has none).
  add('/s', { kind: 'recordings', bodyLimit: limits.recordingBodyBytes, legacyPath: false, isEngage: false })
  add('/capture/recording', { kind: 'recordings', bodyLimit: limits.recordingBodyBytes, legacyPath: false, isEngage: false })
  // Capture V1 (http/v1-route.ts) reads its own body limit from config.v1.
  if (options.captureV1 === true) add('/i/v1/analytics/events', { kind: 'capture_v1', bodyLimit: 0, legacyPath: false, isEngage: false })
  if (options.flags === true) {
    add('/flags', { kind: 'flags', bodyLimit: limits.eventBodyBytes, legacyPath: false, isEngage: false })
    add('/decide', { kind: 'decide', bodyLimit: limits.eventBodyBytes, legacyPath: false, isEngage: false })
  }
  const probe = (path: string, kind: RouteKind): void => add(path, { kind, bodyLimit: 0, legacyPath: false, isEngage: false })
  probe('/', 'readiness')
  probe('/_readiness', 'readiness')
  probe('/_liveness', 'liveness')
  probe('/health', 'health')
  if (options.exportPrometheus) probe('/metrics', 'metrics')
  probe('/openapi.json', 'openapi')
  // The debug UI (DEBUG_UI_TOKEN set); its assets, under /_debug/assets/, are matched by the debug module.
  if (options.debugUi === true) for (const path of DEBUG_PATHS) probe(path, 'debug')
  return table
}

const DEBUG_PATHS = ['/_debug', '/_debug/events', '/_debug/ops.json']

/** The route of every /_debug/assets/<file> path (one metrics label for all of them). */
export const DEBUG_ASSET_ROUTE: Route = { kind: 'debug', name: '/_debug/assets', bodyLimit: 0, decodedLimit: 0, legacyPath: false, isEngage: false }

/** Splits `/e/?a=1` into path and query without allocating a URL object. */
export function splitUrl(url: string): { path: string; query: URLSearchParams | undefined } {
  const mark = url.indexOf('?')
  if (mark === -1) return { path: url, query: undefined }
  return { path: url.slice(0, mark), query: new URLSearchParams(url.slice(mark + 1)) }
}
