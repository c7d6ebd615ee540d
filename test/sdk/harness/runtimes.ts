/**
 * SDK runtimes: where each SDK's runtime lives and how to tell it is missing.
 * Every check throws a RuntimeMissing naming the runtime and the setup command,
 * which fails the scenarios (never skips them).
 *
 * Locations (overridable for other machines):
 * - Python venv with posthog: .tmp/sdk-venv (SDK_PYTHON = its python)
 * - Go toolchain: `go` on PATH, else /usr/local/go/bin/go (SDK_GO); the driver binary is built into .tmp/sdk
 * - Chromium: /usr/bin/chromium (SDK_CHROMIUM)
 */
import { execFile } from 'node:child_process'
import { access, mkdir, readFile } from 'node:fs/promises'
import { constants } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const SDK_DIR = path.join(REPO_ROOT, 'test', 'sdk')
export const WORK_DIR = path.join(REPO_ROOT, '.tmp', 'sdk')
const SETUP = 'run `bash scripts/sdk-setup.sh` first'

export class RuntimeMissing extends Error {
  constructor(runtime: string, detail: string) {
    super(`${runtime} is not available (${detail}); ${SETUP}`)
    this.name = 'RuntimeMissing'
  }
}

/** Version of an npm package installed in the repo (reads its package.json, whatever its exports say). */
export async function npmPackageVersion(name: string): Promise<string> {
  const file = path.join(REPO_ROOT, 'node_modules', name, 'package.json')
  try {
    return (JSON.parse(await readFile(file, 'utf8')) as { version: string }).version
  } catch (err) {
    throw new RuntimeMissing(`npm package ${name}`, (err as Error).message)
  }
}

export interface PythonRuntime {
  readonly python: string
  readonly posthogVersion: string
  readonly pythonVersion: string
}

export async function findPython(): Promise<PythonRuntime> {
  const python = process.env.SDK_PYTHON ?? path.join(REPO_ROOT, '.tmp', 'sdk-venv', 'bin', 'python')
  try {
    const { stdout } = await run(python, ['-c', 'import sys, posthog.version as v; print(v.VERSION); print(sys.version.split()[0])'])
    const [posthogVersion = '', pythonVersion = ''] = stdout.trim().split('\n')
    return { python, posthogVersion, pythonVersion }
  } catch (err) {
    throw new RuntimeMissing(`posthog-python (venv python ${python})`, firstLine(err))
  }
}

export interface GoDriver {
  readonly binary: string
  readonly goVersion: string
  readonly posthogVersion: string
}

/** Builds test/sdk/go into .tmp/sdk/posthog-go-driver (incremental: the Go build cache makes rebuilds ~1 s). */
export async function buildGoDriver(): Promise<GoDriver> {
  const go = process.env.SDK_GO ?? (await findOnPath('go')) ?? '/usr/local/go/bin/go'
  const moduleDir = path.join(SDK_DIR, 'go')
  const binary = path.join(WORK_DIR, 'posthog-go-driver')
  await mkdir(WORK_DIR, { recursive: true })
  try {
    const { stdout: goVersion } = await run(go, ['env', 'GOVERSION'])
    await run(go, ['build', '-mod=readonly', '-o', binary, '.'], { cwd: moduleDir, env: { ...process.env, GOFLAGS: '-mod=readonly' }, timeout: 240_000 })
    const { stdout: version } = await run(go, ['list', '-m', '-f', '{{.Version}}', 'github.com/posthog/posthog-go'], { cwd: moduleDir })
    return { binary, goVersion: goVersion.trim(), posthogVersion: version.trim().replace(/^v/, '') }
  } catch (err) {
    throw new RuntimeMissing(`posthog-go (go toolchain '${go}' building ${moduleDir})`, firstLine(err))
  }
}

export async function findChromium(): Promise<string> {
  const chromium = process.env.SDK_CHROMIUM ?? '/usr/bin/chromium'
  try {
    await access(chromium, constants.X_OK)
    return chromium
  } catch (err) {
    throw new RuntimeMissing(`Chromium (${chromium})`, firstLine(err))
  }
}

/** e.g. `Chromium 156.0.8078.108`. */
export async function chromiumVersion(chromium: string): Promise<string> {
  try {
    const { stdout } = await run(chromium, ['--version'], { timeout: 30_000 })
    return /Chromium [\d.]+/.exec(stdout)?.[0] ?? stdout.trim()
  } catch (err) {
    throw new RuntimeMissing(`Chromium (${chromium})`, firstLine(err))
  }
}

async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name)
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate
  }
  return undefined
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string }
  const text = e.stderr?.trim() || e.message || String(err)
  return text.split('\n').slice(0, 3).join(' | ').slice(0, 400)
}
