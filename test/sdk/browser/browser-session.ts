/**
 * A headless Chromium session (Debian's /usr/bin/chromium driven by
 * playwright-core, no downloaded browser) with a fresh profile, that records
 * every request the page makes to capture: method, URL, headers, body bytes,
 * Chromium's resource type ("ping" for sendBeacon) and the status it got.
 * Recording happens in the browser (DevTools protocol), so the SDK talks to
 * capture directly.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { chromium, type BrowserContext, type Page, type Request } from 'playwright-core'
import { CHROMIUM_ARGS } from '../../helpers/chromium.js'
import { SENT_LOG_KEY } from './scenario-page.js'

export interface ObservedRequest {
  readonly url: URL
  readonly method: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer | null
  /** Chromium's resource type: "fetch", "xhr", "ping" (sendBeacon), "preflight", … */
  readonly resourceType: string
  /** HTTP status, 0 while unanswered or when the request failed. */
  status: number
  failure?: string
}

export interface SentEvent {
  readonly uuid: string
  readonly event: string
  readonly properties: Record<string, unknown>
  readonly $set?: Record<string, unknown>
  readonly $set_once?: Record<string, unknown>
  readonly timestamp?: string
}

export interface BrowserSession {
  readonly page: Page
  /** Requests to capture's origin, in the order Chromium issued them. */
  readonly requests: readonly ObservedRequest[]
  /** Console errors and uncaught page errors. */
  readonly pageErrors: readonly string[]
  /** Every event posthog-js handed to the network (before_send log), in order. */
  sentEvents(): Promise<SentEvent[]>
  close(): Promise<void>
}

export async function openBrowserSession(options: { chromiumPath: string; captureUrl: string }): Promise<BrowserSession> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'capture-sdk-chromium-'))
  let context: BrowserContext
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: options.chromiumPath, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 })
  } catch (err) {
    await rm(profile, { recursive: true, force: true })
    throw err
  }
  const captureOrigin = new URL(options.captureUrl).origin
  const requests: ObservedRequest[] = []
  const byRequest = new Map<Request, ObservedRequest>()
  const pageErrors: string[] = []
  context.on('request', (request) => {
    const url = new URL(request.url())
    if (url.origin !== captureOrigin) return
    const observed: ObservedRequest = { url, method: request.method(), headers: request.headers(), body: request.postDataBuffer(), resourceType: request.resourceType(), status: 0 }
    requests.push(observed)
    byRequest.set(request, observed)
  })
  context.on('requestfinished', (request) => {
    const observed = byRequest.get(request)
    if (observed) void request.response().then((response) => (observed.status = response?.status() ?? 0), () => undefined)
  })
  context.on('requestfailed', (request) => {
    const observed = byRequest.get(request)
    if (observed) observed.failure = request.failure()?.errorText ?? 'failed'
  })
  const page = context.pages()[0] ?? (await context.newPage())
  page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`)
  })
  return {
    page,
    requests,
    pageErrors,
    // A string expression: this file is typed without the DOM library.
    sentEvents: async () => (await page.evaluate(`JSON.parse(localStorage.getItem(${JSON.stringify(SENT_LOG_KEY)}) || '[]')`)) as SentEvent[],
    close: async () => {
      await context.close()
      await rm(profile, { recursive: true, force: true })
    },
  }
}
