/**
 * The quiet flags endpoints: `/flags` (posthog-node 5, posthog-python 7,
 * posthog-js, the JVM core call `POST /flags/?v=2` on identify even with flags
 * off) and the older `/decide`. Capture evaluates no flags; it answers "no
 * flags" in the shape each version reads, so a capture-only deployment does
 * not make SDKs log errors on a 404. FLAGS_ENDPOINTS_ENABLED=false turns them
 * back into 404s. docs/flags.md lists the shapes.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { CaptureError } from '../errors/capture-error.js'
import type { Millis } from '../units.js'
import { readBody } from './body-reader.js'
import { corsHeaders, isPreflight, replyPreflight, replyText } from './replies.js'

export type FlagsEndpoint = 'flags' | 'decide'

/** Without flags there is no session recording, autocapture or surveys config to hand out either. */
const DECIDE_CONFIG = {
  config: { enable_collect_everything: true },
  sessionRecording: false,
  supportedCompression: ['gzip', 'gzip-js'],
  toolbarParams: {},
  isAuthenticated: false,
  siteApps: [],
  surveys: false,
  heatmaps: false,
  capturePerformance: false,
  autocaptureExceptions: false,
}

/** The body for an endpoint and its `v` query parameter (absent = 1 for /decide, 1 for /flags). */
export function noFlagsBody(endpoint: FlagsEndpoint, version: number, requestId: string): Record<string, unknown> {
  const v1Map = { featureFlags: {}, featureFlagPayloads: {}, errorsWhileComputingFlags: false }
  if (endpoint === 'flags') {
    return version >= 2 ? { flags: {}, errorsWhileComputingFlags: false, quotaLimited: [], requestId } : { ...v1Map, quotaLimited: [], requestId }
  }
  if (version >= 4) return { ...DECIDE_CONFIG, flags: {}, errorsWhileComputingFlags: false, quotaLimited: [], requestId }
  if (version === 3) return { ...DECIDE_CONFIG, ...v1Map, quotaLimited: [] }
  if (version === 2) return { ...DECIDE_CONFIG, featureFlags: {} }
  return { ...DECIDE_CONFIG, featureFlags: [] }
}

export function parseFlagsVersion(query: URLSearchParams | undefined): number {
  const value = Number(query?.get('v') ?? '1')
  return Number.isInteger(value) && value >= 1 ? value : 1
}

export async function handleFlags(
  req: IncomingMessage,
  res: ServerResponse,
  endpoint: FlagsEndpoint,
  query: URLSearchParams | undefined,
  limits: { bodyLimit: number; stallMs: Millis; totalMs?: Millis; routeName: string },
): Promise<void> {
  corsHeaders(req, res)
  if (isPreflight(req)) return replyPreflight(req, res)
  if (req.method !== 'GET' && req.method !== 'POST') {
    throw new CaptureError('method_not_allowed', { detail: `${req.method} is not allowed here; use GET, POST.` })
  }
  // Read (and discard) the body so the connection stays reusable; its content does not matter.
  await readBody(req, { limit: limits.bodyLimit, stallMs: limits.stallMs, totalMs: limits.totalMs, routeName: limits.routeName })
  replyText(res, 200, JSON.stringify(noFlagsBody(endpoint, parseFlagsVersion(query), randomUUID())), 'application/json')
}
