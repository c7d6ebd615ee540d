/**
 * Replies: the precomputed success bodies, error bodies from the catalogue,
 * and the CORS headers every capture reply carries (upstream mirrors Origin
 * and the requested headers, and allows credentials).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { errorBody, type CaptureError } from '../errors/capture-error.js'

const OK_BODY = Buffer.from('{"code":1,"status":"ok"}')
const JSON_TYPE = 'application/json'
const DEFAULT_RETRY_AFTER_S = 5

export function corsHeaders(req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers.origin
  if (origin === undefined) return
  res.setHeader('Access-Control-Allow-Origin', origin)
  res.setHeader('Access-Control-Allow-Credentials', 'true')
  res.setHeader('Vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers')
}

export function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined
}

export function replyPreflight(req: IncomingMessage, res: ServerResponse): void {
  corsHeaders(req, res)
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS')
  const requested = req.headers['access-control-request-headers']
  if (requested !== undefined) res.setHeader('Access-Control-Allow-Headers', requested)
  res.setHeader('Content-Length', 0)
  res.writeHead(200).end()
}

export function replyOk(res: ServerResponse, quotaLimited: readonly string[], beacon: boolean): void {
  if (beacon) {
    res.writeHead(204).end()
    return
  }
  const body = quotaLimited.length === 0 ? OK_BODY : Buffer.from(JSON.stringify({ code: 1, status: 'ok', quota_limited: quotaLimited }))
  res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Content-Length': body.length }).end(body)
}

export function replyError(res: ServerResponse, err: CaptureError, options: { close: boolean }): void {
  const body = errorBody(err)
  const headers: Record<string, string | number> = { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(body) }
  // Every 503 says when to come back; codes without their own figure get a few seconds.
  const retryAfter = err.options.retryAfter ?? (err.status === 503 ? DEFAULT_RETRY_AFTER_S : undefined)
  if (retryAfter !== undefined) headers['Retry-After'] = Math.max(1, Math.ceil(retryAfter))
  if (options.close) headers.Connection = 'close'
  res.writeHead(err.status, headers).end(body)
}

export function replyText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) }).end(text)
}
