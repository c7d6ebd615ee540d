/**
 * The HTTP front: node:http with our route table. It reads the body (bounded),
 * builds the request context, runs the pipeline and maps its outcome to a
 * reply. It never lets an exception escape a request: CaptureErrors become
 * their catalogue reply, anything else is logged and answers 500.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { Config } from '../config/config.js'
import { CaptureError, isCaptureError } from '../errors/capture-error.js'
import type { HealthRegistry } from '../observability/health.js'
import { maskToken, pathOf, type Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'
import { captureEvents, type CaptureInput, type CaptureOutcome, type PipelineDeps } from '../pipeline/capture-events.js'
import { captureRecordings } from '../pipeline/recordings/capture-recordings.js'
import { noReplayOverflow, type ReplayOverflow } from '../pipeline/recordings/replay-overflow.js'
import type { Clock } from '../clock.js'
import type { RequestContext } from '../pipeline/request-context.js'
import { parseQuerySentAt } from '../pipeline/timestamp.js'
import { readBody } from './body-reader.js'
import { handleClientErrors, refusedStatus, refuseMalformedHead } from './client-errors.js'
import { lingerOnClose } from './lingering-close.js'
import { clientIp, headerToken } from './request-meta.js'
import { corsHeaders, isPreflight, replyError, replyOk, replyPreflight, replyText } from './replies.js'
import { buildRoutes, DEBUG_ASSET_ROUTE, splitUrl, type Route, type RouteKind } from './routes.js'
import type { DebugHook } from './debug-hook.js'
import type { V1PipelineDeps } from '../pipeline/v1/capture-v1.js'
import { handleFlags } from './flags-route.js'
import { openApiDocument, replyOpenApi } from './openapi-route.js'
import { replyV1Error } from './v1-errors.js'
import { handleV1 } from './v1-route.js'

export interface ServerDeps {
  readonly config: Config
  readonly pipeline: PipelineDeps
  /** Capture V1; undefined when CAPTURE_V1_ENABLED=false (the path is then a 404). */
  readonly v1?: V1PipelineDeps
  /** Sessions whose recordings go to the replay overflow topic; none when absent. */
  readonly replayOverflow?: ReplayOverflow
  readonly health: HealthRegistry
  readonly metrics: Metrics
  readonly logger: Logger
  readonly clock: Clock
  /** Prometheus text for /metrics (aggregated across workers when clustered). */
  readonly metricsText: () => Promise<string>
  /** The /_debug UI; undefined when DEBUG_UI_TOKEN is unset (its paths are then 404s). */
  readonly debug?: DebugHook
}

export function createHttpServer(deps: ServerDeps): http.Server {
  const routes = buildRoutes(deps.config.limits, { exportPrometheus: deps.config.exportPrometheus, captureV1: deps.v1 !== undefined, flags: deps.config.flags.enabled, debugUi: deps.debug !== undefined })
  // Read once here, so a missing docs/openapi.json fails at startup rather than on a request.
  openApiDocument()
  const { headersMs, bodyTotalMs } = deps.config.timeouts
  const server = http.createServer(
    {
      headersTimeout: headersMs,
      // A backstop behind readBody's own whole-body budget, which answers first with a JSON 408.
      // node:http refuses to start when requestTimeout < headersTimeout.
      requestTimeout: headersMs + bodyTotalMs + 1000,
      // Node enforces both timeouts only on this sweep (default every 30 s), which would let a
      // slowloris client hold its connection up to 30 s past HTTP1_HEADER_READ_TIMEOUT_MS.
      connectionsCheckingInterval: Math.min(1000, Math.ceil(headersMs / 4)),
      // Checked in refuseMalformedHead instead, so the client gets the JSON error.
      requireHostHeader: false,
    },
    (req, res) => void handle(req, res, routes, deps),
  )
  server.keepAliveTimeout = deps.config.timeouts.keepAliveMs
  handleClientErrors(server, deps)
  return server
}

async function handle(req: IncomingMessage, res: ServerResponse, routes: Map<string, Route>, deps: ServerDeps): Promise<void> {
  const started = process.hrtime.bigint()
  const { path, query } = splitUrl(req.url ?? '/')
  const route = routes.get(path) ?? (deps.debug?.ownsAsset(path) === true ? DEBUG_ASSET_ROUTE : undefined)
  const routeName = route?.name ?? 'unknown'
  deps.metrics.inflightRequests.inc()
  try {
    closeWhenDraining(res, deps)
    if (refuseMalformedHead(req, res, deps)) return
    if (route === undefined) throw new CaptureError('not_found', { detail: `No endpoint at ${path}.` })
    await dispatch(req, res, route, query, deps)
  } catch (err) {
    fail(req, res, err, deps, route?.kind)
  } finally {
    deps.metrics.inflightRequests.dec()
    deps.metrics.requests.inc({ route: routeName, method: req.method ?? 'UNKNOWN', status: res.statusCode })
    deps.metrics.requestDuration.observe({ route: routeName }, Number(process.hrtime.bigint() - started) / 1e9)
  }
}

async function dispatch(req: IncomingMessage, res: ServerResponse, route: Route, query: URLSearchParams | undefined, deps: ServerDeps): Promise<void> {
  switch (route.kind) {
    case 'events':
    case 'recordings':
      return handleCapture(req, res, route, query, deps)
    case 'capture_v1':
      return handleV1(req, res, { pipeline: deps.v1!, clock: deps.clock, metrics: deps.metrics, stallMs: deps.config.timeouts.bodyMs, totalMs: deps.config.timeouts.bodyTotalMs, clientIp: (r) => clientIp(r, deps.config.trustProxyHeaders) })
    case 'flags':
    case 'decide':
      return handleFlags(req, res, route.kind, query, { bodyLimit: route.bodyLimit, stallMs: deps.config.timeouts.bodyMs, totalMs: deps.config.timeouts.bodyTotalMs, routeName: route.name })
    case 'readiness':
      return probe(req, res, deps.health.ready(), deps.health.ready() ? 'capture' : `not ready: ${deps.health.lifecycle()}`)
    case 'liveness':
      return probe(req, res, deps.health.live(), deps.health.live() ? 'ok' : 'not live')
    case 'health': {
      const snapshot = deps.health.snapshot()
      allowMethods(req, ['GET', 'HEAD'])
      return replyText(res, snapshot.status === 'healthy' ? 200 : 503, JSON.stringify(snapshot), 'application/json')
    }
    case 'metrics':
      allowMethods(req, ['GET', 'HEAD'])
      return replyText(res, 200, await deps.metricsText(), 'text/plain; version=0.0.4; charset=utf-8')
    case 'openapi':
      allowMethods(req, ['GET', 'HEAD'])
      return replyOpenApi(res)
    case 'debug':
      return deps.debug!.handle(req, res)
  }
}

function probe(req: IncomingMessage, res: ServerResponse, healthy: boolean, text: string): void {
  allowMethods(req, ['GET', 'HEAD'])
  replyText(res, healthy ? 200 : 503, text)
}

function allowMethods(req: IncomingMessage, allowed: readonly string[]): void {
  if (!allowed.includes(req.method ?? '')) {
    throw new CaptureError('method_not_allowed', { detail: `${req.method} is not allowed here; use ${allowed.join(', ')}.` })
  }
}

async function handleCapture(req: IncomingMessage, res: ServerResponse, route: Route, query: URLSearchParams | undefined, deps: ServerDeps): Promise<void> {
  corsHeaders(req, res)
  if (isPreflight(req)) return replyPreflight(req, res)
  if (req.method === 'OPTIONS') return replyOk(res, [], false)
  allowMethods(req, ['GET', 'POST'])
  const { bodyMs, bodyTotalMs } = deps.config.timeouts
  const body = await readBody(req, { limit: route.bodyLimit, stallMs: bodyMs, totalMs: bodyTotalMs, routeName: route.name })
  deps.metrics.payloadBytes.observe({ route: route.kind === 'recordings' ? 'recordings' : 'events', stage: 'raw' }, body.length)
  const outcome = await runPipeline(
    req,
    route,
    {
      body,
      maxDecodedBytes: route.decodedLimit,
      ctx: requestContext(req, route, query, deps),
      hints: {
        queryData: query?.get('data') ?? undefined,
        queryCompression: query?.get('compression') ?? undefined,
        contentType: req.headers['content-type'],
        contentEncoding: req.headers['content-encoding'],
        legacyPath: route.legacyPath,
      },
    },
    deps,
  )
  closeWhenDraining(res, deps)
  replyOk(res, outcome.quotaLimited, query?.get('beacon') === '1')
}

function runPipeline(req: IncomingMessage, route: Route, input: CaptureInput, deps: ServerDeps): Promise<CaptureOutcome> {
  if (route.kind !== 'recordings') return captureEvents(input, deps.pipeline)
  const recordingDeps = { ...deps.pipeline, replayOverflow: deps.replayOverflow ?? noReplayOverflow }
  return captureRecordings({ ...input, userAgent: req.headers['user-agent'] }, recordingDeps)
}

function requestContext(req: IncomingMessage, route: Route, query: URLSearchParams | undefined, deps: ServerDeps): RequestContext {
  return {
    now: deps.clock(),
    ip: clientIp(req, deps.config.trustProxyHeaders),
    isEngage: route.isEngage,
    headerToken: headerToken(req.headers),
    querySentAtMs: parseQuerySentAt(query?.get('_') ?? query?.get('sent_at')),
  }
}

/**
 * What a refusal logs: never the query (?data=, ?token=) nor the detail, which can quote the
 * client's payload (a JSON parser message, a distinct_id); the header token only masked.
 */
function refusalLog(req: IncomingMessage, error: CaptureError, kind: RouteKind | undefined): Record<string, unknown> {
  // On /_debug the Authorization header holds DEBUG_UI_TOKEN (even when the UI is off and the
  // path is a 404): not a word of it goes to the log.
  const token = kind === 'debug' || pathOf(req.url).startsWith('/_debug') ? undefined : headerToken(req.headers)
  return {
    code: error.code, status: error.status, method: req.method, path: pathOf(req.url), attr: error.options.attr,
    token: token === undefined ? undefined : maskToken(token),
    err: error.spec.level === 'error' ? (error.cause ?? error) : undefined,
  }
}

/**
 * While draining, every reply ends its connection, including replies to requests that were
 * already in flight when draining began; otherwise a keep-alive client holds shutdown open
 * until SHUTDOWN_TIMEOUT_MS.
 */
function closeWhenDraining(res: ServerResponse, deps: ServerDeps): void {
  if (deps.health.lifecycle() === 'draining' && !res.headersSent) res.setHeader('Connection', 'close')
}

function fail(req: IncomingMessage, res: ServerResponse, err: unknown, deps: ServerDeps, kind: RouteKind | undefined): void {
  // The parser refused this connection mid-body and client-errors.ts has answered and counted it.
  const refused = refusedStatus(req.socket)
  if (refused !== undefined) {
    res.statusCode = refused
    return
  }
  const error = isCaptureError(err) ? err : new CaptureError('internal_error', { cause: err })
  deps.metrics.requestErrors.inc({ code: error.code })
  deps.logger[error.spec.level](refusalLog(req, error, kind), error.spec.message)
  if (deps.debug !== undefined && kind !== 'debug') tellDebugger(req, error, deps.debug)
  if (res.headersSent) {
    res.destroy()
    return
  }
  // A body we stopped reading, or a client we gave up on, cannot keep the connection.
  const close = error.code === 'body_too_large' || error.code === 'request_timeout' || !req.complete
  closeWhenDraining(res, deps)
  // Unread body bytes would turn our close into an RST that destroys the reply (EPIPE at the client).
  if (close && error.code !== 'request_timeout') lingerOnClose(req)
  if (kind === 'capture_v1') replyV1Error(res, error, { close })
  else replyError(res, error, { close })
  if (close) res.once('finish', () => req.socket.destroySoon())
}

/** The live debugger shows refused capture requests: route, code, status and the reason given to the client. */
function tellDebugger(req: IncomingMessage, error: CaptureError, debug: DebugHook): void {
  debug.refused({ route: pathOf(req.url), method: req.method ?? 'UNKNOWN', code: error.code, status: error.status, reason: error.message, token: headerToken(req.headers) })
}
