/**
 * Scenario results for the compatibility matrix. Each SDK test file declares
 * its scenarios through `scenario()` (a node:test `it` that also records pass
 * or fail) and writes test/sdk/results/<sdk>.json when it ends;
 * test/sdk/report/write-compatibility.ts merges those files into
 * results/matrix.json and the table in docs/compatibility.md.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, it } from 'node:test'

export const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'results')

export interface ScenarioResult {
  readonly sdk: string
  readonly version: string
  readonly scenario: string
  readonly result: 'pass' | 'fail'
  /** What the scenario covered (wire facts), or the first line of the failure. */
  readonly detail: string
  readonly target: string
  readonly durationMs: number
}

export interface ResultFile {
  readonly sdk: string
  readonly version: string
  readonly target: string
  readonly runtime: string
  readonly finishedAt: string
  readonly results: readonly ScenarioResult[]
}

export interface SdkUnderTest {
  readonly sdk: string
  version: string
  runtime: string
  target: string
}

/** What a passing scenario reports for the matrix. */
export type ScenarioBody = () => Promise<string | void>

export interface ResultLog {
  /** A node:test case whose outcome is recorded in the matrix. */
  scenario(name: string, body: ScenarioBody, options?: { timeout?: number }): void
}

export function createResultLog(sut: SdkUnderTest): ResultLog {
  const results: ScenarioResult[] = []
  const record = (scenario: string, result: 'pass' | 'fail', detail: string, started: number): void => {
    results.push({ sdk: sut.sdk, version: sut.version, scenario, result, detail, target: sut.target, durationMs: Date.now() - started })
  }
  after(async () => {
    const file: ResultFile = { sdk: sut.sdk, version: sut.version, target: sut.target, runtime: sut.runtime, finishedAt: new Date().toISOString(), results }
    await mkdir(RESULTS_DIR, { recursive: true })
    await writeFile(path.join(RESULTS_DIR, `${sut.sdk}.json`), `${JSON.stringify(file, null, 2)}\n`)
  })
  return {
    scenario(name, body, options = {}) {
      it(name, { timeout: options.timeout ?? 60_000 }, async () => {
        const started = Date.now()
        try {
          const detail = await body()
          record(name, 'pass', detail ?? '', started)
        } catch (err) {
          record(name, 'fail', firstLine(err), started)
          throw err
        }
      })
    },
  }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean)
  return lines.slice(0, 2).join(' ').slice(0, 300)
}
