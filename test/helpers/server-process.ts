/**
 * The real server as a child process (`node --import tsx src/main.ts`, or a
 * given command such as `npm start`) on a free 127.0.0.1 port, for tests
 * that need signals, crashes or cluster workers. Output is captured so tests
 * can read the JSON log lines.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from './http-client.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export interface ServerProcess {
  readonly child: ChildProcess
  readonly port: number
  readonly url: string
  /** Everything written to stdout and stderr so far. */
  output(): string
  /** pino lines from stdout, parsed. */
  logLines(): Record<string, unknown>[]
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** A port that was free a moment ago (the OS picks it; we close and reuse it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** How the server is started: from source by default; a test of the documented start command passes its own. */
export interface ServerCommand {
  readonly file: string
  readonly args: readonly string[]
}

const FROM_SOURCE: ServerCommand = { file: process.execPath, args: ['--import', 'tsx', 'src/main.ts'] }

export async function spawnServer(options: { dataDir: string; env?: Record<string, string>; command?: ServerCommand }): Promise<ServerProcess> {
  const port = await freePort()
  const command = options.command ?? FROM_SOURCE
  const child = spawn(command.file, [...command.args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ADDRESS: `127.0.0.1:${port}`,
      DATA_DIR: options.dataDir,
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  const server: ServerProcess = {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => stdout + stderr,
    logLines: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    exited,
  }
  await waitUntilReady(server)
  return server
}

/** Polls /_readiness until 200; fails with the process output if it exits or takes over 30 s. */
export async function waitUntilReady(server: ServerProcess, maxMs = 30_000): Promise<void> {
  let exited = false
  void server.exited.then(() => (exited = true))
  const deadline = Date.now() + maxMs
  while (Date.now() < deadline) {
    if (exited) throw new Error(`server exited before it was ready:\n${server.output()}`)
    try {
      if ((await request(server.url, '/_readiness')).status === 200) return
    } catch {
      // not listening yet
    }
    await sleep(50)
  }
  server.child.kill('SIGKILL')
  throw new Error(`server not ready after ${maxMs} ms:\n${server.output()}`)
}

/** Waits for the exit, killing the process if it takes longer than `maxMs`. */
export async function exitOf(server: ServerProcess, maxMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const timer = setTimeout(() => server.child.kill('SIGKILL'), maxMs)
  try {
    return await server.exited
  } finally {
    clearTimeout(timer)
  }
}
