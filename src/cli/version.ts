/**
 * The version of this capture build: package.json's `version`, read once.
 * The file sits two levels above both src/cli and dist/cli, so the same URL
 * works from the source (tsx) and from the build.
 */
import { readFileSync } from 'node:fs'

let version: string | undefined

export function captureVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
  return version
}
