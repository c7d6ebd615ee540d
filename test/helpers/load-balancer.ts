/**
 * haproxy in front of capture instances, for the many-instance suites and the
 * Redis-ops bench: started and stopped through scripts/lb-up.sh and
 * scripts/lb-down.sh (the same script operators are shown in docs/scaling.md),
 * on a free 127.0.0.1 port, with a private directory for its config, log,
 * pid file and stats socket. serverStates() reads haproxy's own view of each
 * instance (UP / DOWN) from the stats socket.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { freePort } from './server-process.js'

const run = promisify(execFile)
const SCRIPTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts')

export interface LoadBalancer {
  readonly url: string
  readonly port: number
  readonly pid: number
  /** haproxy's state of each instance, by server name (capture1, capture2, …, in backend order). */
  serverStates(): Promise<Record<string, string>>
  /** haproxy's log (errors, retries, state changes only). */
  log(): Promise<string>
  stop(): Promise<void>
}

export interface LoadBalancerOptions {
  readonly backendPorts: readonly number[]
  /** Health-check interval; an instance is out after 2 failed checks in a row. Default 1000. */
  readonly checkIntervalMs?: number
}

export async function startLoadBalancer(options: LoadBalancerOptions): Promise<LoadBalancer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'capture-lb-'))
  const port = await freePort()
  const env = { ...process.env, LB_CHECK_INTERVAL_MS: String(options.checkIntervalMs ?? 1000) }
  try {
    await run(path.join(SCRIPTS, 'lb-up.sh'), [dir, String(port), ...options.backendPorts.map(String)], { env })
  } catch (err) {
    await run(path.join(SCRIPTS, 'lb-down.sh'), [dir]).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
    throw new Error(`lb-up.sh failed: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`)
  }
  const pid = Number(await readFile(path.join(dir, 'haproxy.pid'), 'utf8'))
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid,
    serverStates: async () => parseStates(await statsCommand(path.join(dir, 'haproxy.sock'), 'show stat')),
    log: () => readFile(path.join(dir, 'haproxy.log'), 'utf8'),
    stop: async () => {
      await run(path.join(SCRIPTS, 'lb-down.sh'), [dir])
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** One command on haproxy's stats socket; haproxy answers and closes. */
function statsCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    const socket = net.connect({ path: socketPath }, () => socket.write(`${command}\n`))
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (text += chunk))
    socket.on('error', reject)
    socket.on('close', () => resolve(text))
  })
}

/** The status column of each server row of `show stat` CSV (FRONTEND/BACKEND rows left out). */
function parseStates(csv: string): Record<string, string> {
  const [header, ...rows] = csv.trim().split('\n')
  const columns = (header ?? '').replace(/^# /, '').split(',')
  const name = columns.indexOf('svname')
  const status = columns.indexOf('status')
  const states: Record<string, string> = {}
  for (const row of rows) {
    const cells = row.split(',')
    const server = cells[name] ?? ''
    if (server !== 'FRONTEND' && server !== 'BACKEND' && server !== '') states[server] = cells[status] ?? ''
  }
  return states
}
