/**
 * Saves a bench script's report as bench/results/<date>-<host>-<name>.{md,json}
 * (the Markdown as printed, the JSON with every figure), as run.ts does for its own.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const RESULTS = join(resolve(dirname(fileURLToPath(import.meta.url))), 'results')

export function saveRun(name: string, markdown: string, record: unknown): void {
  mkdirSync(RESULTS, { recursive: true })
  const stem = join(RESULTS, `${new Date().toISOString().slice(0, 10)}-${os.hostname()}-${name}`)
  writeFileSync(`${stem}.md`, markdown)
  writeFileSync(`${stem}.json`, JSON.stringify(record, null, 2) + '\n')
  process.stderr.write(`saved ${stem}.{md,json}\n`)
}
