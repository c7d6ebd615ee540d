/**
 * Headless Chromium for the browser suites: Debian's /usr/bin/chromium (or
 * SDK_CHROMIUM) driven by playwright-core, never a downloaded browser, with
 * a fresh profile that close() removes.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

/** The flags the wire-sample recordings used on this kind of machine. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export interface Chromium {
  readonly context: BrowserContext
  readonly page: Page
  /** Console errors and uncaught page errors. */
  readonly pageErrors: readonly string[]
  close(): Promise<void>
}

export async function openChromium(options: { chromiumPath: string; viewport?: { width: number; height: number } }): Promise<Chromium> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'capture-chromium-'))
  let context: BrowserContext
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: options.chromiumPath, headless: true, args: CHROMIUM_ARGS, timeout: 60_000, viewport: options.viewport ?? { width: 1280, height: 900 } })
  } catch (err) {
    await rm(profile, { recursive: true, force: true })
    throw err
  }
  const page = context.pages()[0] ?? (await context.newPage())
  const pageErrors: string[] = []
  page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`)
  })
  return {
    context,
    page,
    pageErrors,
    close: async () => {
      await context.close()
      await rm(profile, { recursive: true, force: true })
    },
  }
}
