/**
 * Malformed HTTP: requests node:http's parser refuses before any handler runs
 * (bad header names or bytes, obs-fold, bad chunk sizes, Content-Length with
 * Transfer-Encoding, bad request targets or versions, an HTTP/2 preface, a
 * head over 16 KiB, a head that never completes), an `Expect` we do not
 * support, more headers than we read, and an HTTP/1.1 request without Host.
 *
 * Each gets the catalogue's JSON error where a reply is still possible (the
 * socket is writable and no reply has started on it), always `Connection:
 * close`, and is counted in capture_http_malformed_requests_total{reason}.
 * Without this, node answers an empty 400/431/417 or, past maxHeadersCount,
 * silently drops the remaining headers (a trusted X-Forwarded-For among them).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { CaptureError, errorBody } from '../errors/capture-error.js'
import type { CaptureCode } from '../errors/codes.js'
import type { Logger } from '../observability/logger.js'
import type { MalformedReason, Metrics } from '../observability/metrics.js'
import { lingerOnClose } from './lingering-close.js'
import { replyError } from './replies.js'

/** The most request headers capture reads; a request with more is refused with 431. */
export const MAX_REQUEST_HEADERS = 1000

interface Refusal {
  readonly reason: MalformedReason
  readonly code: CaptureCode
  readonly detail: string
}

/** llhttp's error codes (and node's head timeout) → why, which catalogue code, what to tell the client. */
const REFUSALS: Readonly<Record<string, Refusal>> = {
  HPE_INVALID_HEADER_TOKEN: { reason: 'invalid_header', code: 'malformed_request', detail: 'A header name or value holds a character HTTP does not allow, or a header line is folded (obs-fold).' },
  HPE_HEADER_OVERFLOW: { reason: 'header_overflow', code: 'headers_too_large', detail: 'The request line and headers are larger than 16 KiB.' },
  HPE_INVALID_CHUNK_SIZE: { reason: 'invalid_chunk', code: 'malformed_request', detail: 'A chunk size of the chunked body is not a hexadecimal number.' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { reason: 'invalid_chunk', code: 'malformed_request', detail: 'The chunk extensions of the chunked body are too large.' },
  HPE_INVALID_TRANSFER_ENCODING: { reason: 'invalid_framing', code: 'malformed_request', detail: 'Transfer-Encoding is not valid, or is sent together with Content-Length.' },
  HPE_UNEXPECTED_CONTENT_LENGTH: { reason: 'invalid_framing', code: 'malformed_request', detail: 'Content-Length is repeated, or sent together with Transfer-Encoding.' },
  HPE_INVALID_CONTENT_LENGTH: { reason: 'invalid_framing', code: 'malformed_request', detail: 'Content-Length is not a decimal number.' },
  HPE_INVALID_URL: { reason: 'invalid_target', code: 'malformed_request', detail: 'The request target holds characters that must be percent-encoded (non-ASCII, spaces or controls).' },
  HPE_INVALID_METHOD: { reason: 'invalid_request_line', code: 'malformed_request', detail: 'The request does not start with an HTTP method.' },
  HPE_INVALID_CONSTANT: { reason: 'invalid_request_line', code: 'malformed_request', detail: 'The request line does not end with an HTTP version such as HTTP/1.1.' },
  HPE_INVALID_VERSION: { reason: 'invalid_version', code: 'http_version_not_supported', detail: 'Only HTTP/1.0 and HTTP/1.1 are served, with CRLF line ends.' },
  HPE_PAUSED_H2_UPGRADE: { reason: 'http2_preface', code: 'http_version_not_supported', detail: 'HTTP/2 without TLS is not served; send HTTP/1.1.' },
  ERR_HTTP_REQUEST_TIMEOUT: { reason: 'head_timeout', code: 'request_timeout', detail: 'The request headers did not arrive in time.' },
}
const OTHER: Refusal = { reason: 'other', code: 'malformed_request', detail: 'The request is not valid HTTP/1.1.' }

/** Sockets whose request was refused here, with the status sent; the request handler must not reply again. */
const refusedSockets = new WeakMap<object, number>()
export const refusedStatus = (socket: object): number | undefined => refusedSockets.get(socket)

interface ClientErrorDeps {
  readonly metrics: Metrics
  readonly logger: Logger
}

export function handleClientErrors(server: Server, deps: ClientErrorDeps): void {
  server.maxHeadersCount = MAX_REQUEST_HEADERS + 1
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => onClientError(err, socket, deps))
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    refuse(req, res, { reason: 'unsupported_expect', code: 'expectation_failed', detail: `Expect: ${String(req.headers.expect).slice(0, 100)} is not supported; only 100-continue is.` }, deps)
  })
}

/**
 * Head checks node leaves to us: more headers than capture reads, and an HTTP/1.1 request
 * without Host (node's own check answers an empty 400, so the server turns it off).
 * True when the request has been answered.
 */
export function refuseMalformedHead(req: IncomingMessage, res: ServerResponse, deps: ClientErrorDeps): boolean {
  // node keeps at most maxHeadersCount (MAX_REQUEST_HEADERS + 1) name/value pairs, so one too many is visible.
  if (req.rawHeaders.length > MAX_REQUEST_HEADERS * 2) {
    refuse(req, res, { reason: 'too_many_headers', code: 'too_many_headers', detail: `The request has more than ${MAX_REQUEST_HEADERS} headers.` }, deps)
    return true
  }
  if (req.headers.host === undefined && req.httpVersionMinor === 1 && req.httpVersionMajor === 1) {
    refuse(req, res, { reason: 'missing_host', code: 'malformed_request', detail: 'An HTTP/1.1 request must carry a Host header.' }, deps)
    return true
  }
  return false
}

function refuse(req: IncomingMessage, res: ServerResponse, refusal: Refusal, deps: ClientErrorDeps): void {
  const error = count(refusal, deps)
  deps.logger[error.spec.level]({ code: error.code, reason: refusal.reason, method: req.method }, error.message)
  lingerOnClose(req)
  replyError(res, error, { close: true })
  res.once('finish', () => req.socket.destroySoon())
}

function onClientError(err: NodeJS.ErrnoException, socket: Duplex, deps: ClientErrorDeps): void {
  // A reset or a write on a closed socket is the client leaving, not a malformed request.
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || !socket.writable) {
    socket.destroy()
    return
  }
  const refusal = REFUSALS[err.code ?? ''] ?? OTHER
  const error = count(refusal, deps)
  deps.logger[error.spec.level]({ code: error.code, reason: refusal.reason, parser: err.code }, error.message)
  // Once a reply has started on this connection (a pipelined request), a second one would corrupt it.
  if ((socket as Socket).bytesWritten > 0 && hasReplyInFlight(socket)) {
    socket.destroy()
    return
  }
  refusedSockets.set(socket, error.status)
  const body = errorBody(error)
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_TEXT[error.status] ?? 'Bad Request'}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

function count(refusal: Refusal, deps: ClientErrorDeps): CaptureError {
  const error = new CaptureError(refusal.code, { detail: refusal.detail })
  deps.metrics.malformedRequests.inc({ reason: refusal.reason })
  deps.metrics.requestErrors.inc({ code: error.code })
  return error
}

/**
 * node:http keeps the response being written on the socket as `_httpMessage` (internal,
 * stable since node 0.x); without it we could not tell a finished keep-alive reply from one
 * half sent. When it is missing we assume a reply is in flight and stay silent.
 */
function hasReplyInFlight(socket: Duplex): boolean {
  const current = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage
  return current === undefined || (current !== null && current.headersSent)
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
  505: 'HTTP Version Not Supported',
}
