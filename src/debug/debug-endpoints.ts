/**
 * The /_debug routes: the page, its assets, the event stream and the ops
 * snapshot (docs/debug-ui.md). The route table holds the fixed paths; the
 * asset prefix is matched here.
 *
 * Safety: every answer, a 401 included, carries headers that keep the page
 * out of frames and off other origins' scripts (CSP frame-ancestors 'none',
 * X-Frame-Options: DENY, no CORS headers), is never cached, and sends no
 * Referer. Every path but the login link requires the token or its cookie;
 * the login link answers 303 so the token leaves the address bar and history.
 * All routes are GET (or HEAD): nothing here changes state, so there is
 * nothing to forge across sites, and the cookie is SameSite=Strict anyway.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { CaptureError } from '../errors/capture-error.js'
import type { Asset } from './debug-assets.js'
import type { DebugAuth } from './debug-auth.js'
import type { ViewerFilter } from './debug-records.js'
import type { DebugRelay } from './debug-relay.js'
import type { ViewerHub } from './viewer-hub.js'

export const DEBUG_PREFIX = '/_debug'
export const ASSET_PREFIX = '/_debug/assets/'

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'Cross-Origin-Resource-Policy': 'same-origin',
}

export interface EndpointDeps {
  readonly auth: DebugAuth
  readonly assets: ReadonlyMap<string, Asset>
  readonly hub: ViewerHub
  readonly relay: DebugRelay
}

export async function handleDebug(req: IncomingMessage, res: ServerResponse, deps: EndpointDeps): Promise<void> {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value)
  const { path, query } = splitPath(req.url ?? '/')
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new CaptureError('method_not_allowed', { detail: `${req.method} is not allowed here; use GET.` })
  const page = path === DEBUG_PREFIX || path === `${DEBUG_PREFIX}/`
  const loginToken = query.get('token')
  if (page && loginToken !== null) return login(req, res, loginToken, deps.auth)
  if (!deps.auth.isAuthorised(req)) {
    res.setHeader('WWW-Authenticate', 'Bearer realm="capture debug UI"')
    throw new CaptureError('debug_unauthorized')
  }
  if (page) return sendAsset(res, deps.assets.get('index.html')!)
  if (path.startsWith(ASSET_PREFIX)) {
    const asset = deps.assets.get(path.slice(ASSET_PREFIX.length))
    if (asset === undefined || path.slice(ASSET_PREFIX.length) === 'index.html') throw new CaptureError('not_found', { detail: `No debug asset at ${path}.` })
    return sendAsset(res, asset)
  }
  if (path === `${DEBUG_PREFIX}/events` || path === `${DEBUG_PREFIX}/events/`) {
    // A HEAD stream would never end: the stream is GET only.
    if (req.method !== 'GET') throw new CaptureError('method_not_allowed', { detail: 'The event stream is GET only.' })
    return openStream(res, filterOf(query), deps.hub)
  }
  if (path === `${DEBUG_PREFIX}/ops.json` || path === `${DEBUG_PREFIX}/ops.json/`) return sendJson(res, JSON.stringify(await deps.relay.opsSnapshot()))
  throw new CaptureError('not_found', { detail: `No endpoint at ${path}.` })
}

function login(req: IncomingMessage, res: ServerResponse, token: string, auth: DebugAuth): void {
  if (!auth.isToken(token)) throw new CaptureError('debug_unauthorized', { detail: 'The token in the link is not DEBUG_UI_TOKEN.' })
  const secure = (req.socket as Partial<TLSSocket>).encrypted === true || req.headers['x-forwarded-proto'] === 'https'
  res.writeHead(303, { Location: `${DEBUG_PREFIX}/`, 'Set-Cookie': auth.cookie(secure), 'Content-Length': 0 }).end()
}

function openStream(res: ServerResponse, filter: ViewerFilter, hub: ViewerHub): void {
  if (!hub.canAdd()) throw new CaptureError('debug_viewers_full')
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'X-Accel-Buffering': 'no' })
  hub.add(res, filter)
}

/** Exact-match filters; an empty parameter means "any". */
function filterOf(query: URLSearchParams): ViewerFilter {
  const value = (name: string): string | undefined => {
    const raw = query.get(name)
    return raw === null || raw === '' ? undefined : raw
  }
  return { token: value('token'), event: value('event'), distinctId: value('distinct_id') }
}

function sendAsset(res: ServerResponse, asset: Asset): void {
  res.writeHead(200, { 'Content-Type': asset.contentType, 'Content-Length': asset.body.length }).end(asset.body)
}

function sendJson(res: ServerResponse, text: string): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text)
}

function splitPath(url: string): { path: string; query: URLSearchParams } {
  const mark = url.indexOf('?')
  return mark === -1 ? { path: url, query: new URLSearchParams() } : { path: url.slice(0, mark), query: new URLSearchParams(url.slice(mark + 1)) }
}
