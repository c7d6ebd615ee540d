/**
 * Page server: the static site the browser scenarios load. It serves
 * posthog-js's own `array.full.js` from node_modules (the same file the
 * PostHog snippet loads from the CDN), the scenario pages the test registers,
 * and an empty `/bye` page to navigate to (which makes posthog-js send
 * `$pageleave` with sendBeacon). It runs on a different port from capture, so
 * every SDK request is cross-origin, as on a real site.
 *
 * It serves nothing on capture's behalf: no /flags, no remote config.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { REPO_ROOT } from '../harness/runtimes.js'

export const POSTHOG_JS_BUNDLE = path.join(REPO_ROOT, 'node_modules', 'posthog-js', 'dist', 'array.full.js')

export interface PageServer {
  readonly url: string
  /** Serves `html` at `pathname` until the server closes. */
  addPage(pathname: string, html: string): void
  close(): Promise<void>
}

export async function startPageServer(): Promise<PageServer> {
  const bundle = await readFile(POSTHOG_JS_BUNDLE)
  const pages = new Map<string, string>()
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://page').pathname
    if (pathname === '/posthog.js') {
      res.writeHead(200, { 'content-type': 'application/javascript', 'cache-control': 'no-store' }).end(bundle)
      return
    }
    if (pathname === '/favicon.ico') {
      res.writeHead(204).end()
      return
    }
    const html = pathname === '/bye' ? '<!doctype html><title>bye</title><p>left the page</p>' : pages.get(pathname)
    if (html === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    addPage: (pathname, html) => pages.set(pathname, html),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
