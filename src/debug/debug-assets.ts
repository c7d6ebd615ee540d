/**
 * The debug page's files (assets/debug-ui/ at the repository root: the
 * HTML, one script, one stylesheet), read once at startup and served from
 * memory. Only the files found there are served, by exact name: no path
 * from the request ever reaches the file system. Nothing comes from a CDN
 * and no font is fetched: the page works from the service alone.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface Asset {
  readonly body: Buffer
  readonly contentType: string
}

/** Same depth from src/debug/ and dist/debug/: the folder beside both. */
const ASSET_DIR = fileURLToPath(new URL('../../assets/debug-ui/', import.meta.url))

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
}

export function loadDebugAssets(dir = ASSET_DIR): ReadonlyMap<string, Asset> {
  const assets = new Map<string, Asset>()
  for (const name of readdirSync(dir)) {
    const contentType = TYPES[extname(name)]
    if (contentType !== undefined) assets.set(name, { body: readFileSync(`${dir}/${name}`), contentType })
  }
  if (!assets.has('index.html')) throw new Error(`the debug UI's page is missing: no index.html in ${dir}`)
  return assets
}
