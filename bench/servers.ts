/**
 * Starting and stopping the servers under test: capture (compiled dist/main.js,
 * rebuilt when src/ is newer) and the floor server (bench/floor-server.ts,
 * transpiled to plain JavaScript once per run). Each server runs in its own
 * process group with a fresh temporary DATA_DIR; stop() sends SIGTERM to the
 * primary and SIGKILLs, by pid, anything of its tree still alive after the grace
 * period, so a bench run never leaves a server behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import ts from 'typescript'
import { descendants } from './proc-stats.js'

/** `peer` is PostHog's Rust capture (a native binary built outside the repository, see bench/README.md), used by the Kafka bench. */
export type ServerKind = 'capture' | 'floor' | 'peer'
/** The servers the local-log bench (run.ts without --kafka) runs. */
export type LocalServerKind = Exclude<ServerKind, 'peer'>

export interface RunningServer {
  readonly kind: ServerKind
  readonly pid: number
  readonly port: number
  readonly logFile: string
  stop(): Promise<void>
}

function newestMtimeMs(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestMtimeMs(path))
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs)
  }
  return newest
}

/** Runs `npm run build` when dist/main.js is missing or older than any source file. */
export function ensureCaptureBuild(root: string, force: boolean): 'fresh' | 'rebuilt' {
  const entry = join(root, 'dist', 'main.js')
  let builtAt = 0
  try {
    builtAt = statSync(entry).mtimeMs
  } catch {
    builtAt = 0
  }
  if (!force && builtAt > 0 && builtAt >= newestMtimeMs(join(root, 'src'))) return 'fresh'
  process.stderr.write('bench: building capture (npm run build)\n')
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status}); fix the build or pass --no-build to bench the existing dist/`)
  return 'rebuilt'
}

/**
 * Transpiles the floor server and its work module to plain ES modules in `dir`
 * (they import only node: builtins and each other); returns the entry path.
 */
export function transpileFloor(root: string, dir: string): string {
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n')
  for (const name of ['floor-server', 'floor-work']) {
    const source = readFileSync(join(root, 'bench', `${name}.ts`), 'utf8')
    const output = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    })
    writeFileSync(join(dir, `${name}.js`), output.outputText)
  }
  return join(dir, 'floor-server.js')
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

export interface ServerSpec {
  readonly kind: ServerKind
  /** Node script (capture, floor) or the peer's binary. */
  readonly script: string
  readonly workers: number
  readonly port: number
  readonly dataDir: string
  readonly logFile: string
  readonly cwd: string
  /** Settings on top of the inherited environment (e.g. DEDUP_ENABLED); they win over it. */
  readonly env?: Readonly<Record<string, string>>
  /** When set, every process of the server writes a V8 CPU profile here on exit. */
  readonly cpuProfileDir?: string
  /** Extra node flags for the server (node:cluster workers inherit them), e.g. --max-semi-space-size=64. */
  readonly nodeArgs?: readonly string[]
}

const SERVING = /capture is serving|floor is serving/g

/** Spawns the server and resolves once every worker has said it is serving. */
export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  const log = openSync(spec.logFile, 'a')
  const profile = spec.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${spec.cpuProfileDir}`]
  const [command, args] = spec.kind === 'peer' ? [spec.script, []] : [process.execPath, [...(spec.nodeArgs ?? []), ...profile, spec.script]]
  const child = spawn(command, args, {
    cwd: spec.cwd,
    detached: true,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      ...spec.env,
      ADDRESS: `127.0.0.1:${spec.port}`,
      WORKERS: String(spec.workers),
      DATA_DIR: spec.dataDir,
      NODE_ENV: 'production',
    },
  })
  closeSync(log)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const server: RunningServer = {
    kind: spec.kind,
    pid: child.pid!,
    port: spec.port,
    logFile: spec.logFile,
    stop: () => stopTree(child, spec.script, exited),
  }
  try {
    await waitUntilServing(child, spec)
  } catch (err) {
    await server.stop()
    throw err
  }
  return server
}

async function waitUntilServing(child: ChildProcess, spec: ServerSpec): Promise<void> {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${spec.kind} exited during startup (${child.exitCode ?? child.signalCode}); see ${spec.logFile}`)
    }
    if (spec.kind === 'peer') {
      // The peer logs nothing at RUST_LOG=warn; it is ready when /_readiness answers 200.
      if ((await answers(spec.port)) === 200) return
    } else {
      const serving = (readFileSync(spec.logFile, 'utf8').match(SERVING) ?? []).length
      if (serving >= spec.workers && (await answers(spec.port)) !== undefined) return
    }
    await sleep(100)
  }
  throw new Error(`${spec.kind} did not start within 20 s; see ${spec.logFile}`)
}

/** The status /_readiness answers with, or undefined when nothing answers. */
async function answers(port: number): Promise<number | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/_readiness`, { signal: AbortSignal.timeout(1000) })
    await response.arrayBuffer()
    return response.status
  } catch {
    return undefined
  }
}

async function stopTree(child: ChildProcess, script: string, exited: Promise<void>): Promise<void> {
  const pid = child.pid!
  const tree = descendants(pid)
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
  const inTime = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)])
  for (const target of inTime ? tree : [pid, ...tree]) {
    // Only a process still running this server's script: never a recycled pid.
    if (!readCmdline(target).includes(script)) continue
    try {
      process.kill(target, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  await exited
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return ''
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
