/**
 * The documented start command is what a service manager runs: SIGTERM sent
 * to the process it starts must reach the server, which drains and exits, so
 * the port closes and no process of the tree is left behind (an `npm start`
 * that ran the server under `sh -c "… && node …"` left it running,
 * reparented, after npm died).
 *
 * Runs the built server (dist/), as a self-hoster does after `npm ci`
 * (whose `prepare` step builds it); `npm test` builds first.
 */
import { after, afterEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { anEvent, eventually, postJson } from '../helpers/http-client.js'
import { isAlive, tryKill } from '../helpers/processes.js'
import { exitOf, spawnServer, type ServerCommand, type ServerProcess } from '../helpers/server-process.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const NPM_START: ServerCommand = { file: 'npm', args: ['start', '--silent'] }
const NODE_DIST: ServerCommand = { file: process.execPath, args: ['dist/main.js'] }
const BIN_SERVE: ServerCommand = { file: path.join(ROOT, 'bin/posthog-capture.js'), args: ['serve'] }

const running = new Set<ServerProcess>()
/** Every pid seen in a server's tree, so a process reparented away from it is still cleaned up. */
const seen = new Set<number>()
const dirs: string[] = []

afterEach(async () => {
  for (const server of running) {
    for (const pid of processTree(server.child.pid!)) seen.add(pid)
    for (const pid of seen) tryKill(pid)
    await server.exited
  }
  running.clear()
  seen.clear()
})
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

/** The pid and every descendant, from /proc (parent pid is field 4 of /proc/<pid>/stat). */
function processTree(root: number): number[] {
  const parentOf = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {
      // exited while we looked
    }
  }
  const tree = [root]
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, parent] of parentOf) if (parent === tree[i]) tree.push(pid)
  }
  return tree
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

async function start(command: ServerCommand, env: Record<string, string>): Promise<ServerProcess> {
  assert.ok(existsSync(path.join(ROOT, 'dist/main.js')), 'dist/ is missing: `npm ci` builds it, or run `npm run build`')
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'capture-start-'))
  dirs.push(dataDir)
  const server = await spawnServer({ dataDir, command, env: { npm_config_update_notifier: 'false', ...env } })
  running.add(server)
  return server
}

/** SIGTERM is sent once every worker serves: a signal to a worker still starting is another test's subject. */
async function bothWorkersServing(server: ServerProcess): Promise<void> {
  await eventually(() => server.logLines().filter((line) => line.msg === 'capture is serving').length >= 2, 20_000)
}

async function assertTermStopsEverything(server: ServerProcess, expectedProcesses: number): Promise<void> {
  const tree = processTree(server.child.pid!)
  for (const pid of tree) seen.add(pid)
  assert.ok(tree.length >= expectedProcesses, `expected at least ${expectedProcesses} processes, saw ${tree.length}`)
  const reply = await postJson(server.url, '/e/', anEvent())
  assert.equal(reply.status, 200, reply.text)

  server.child.kill('SIGTERM')
  const exit = await exitOf(server, 20_000)
  assert.deepEqual(exit, { code: 0, signal: null }, server.output())
  await eventually(async () => !(await portAccepts(server.port)), 5_000)
  await eventually(() => tree.every((pid) => !isAlive(pid)), 5_000)
  assert.deepEqual(tree.filter(isAlive), [], 'processes of the tree are still running')
}

describe('the documented start command', () => {
  it('npm start: SIGTERM to npm stops the server and its cluster workers, exit 0, port closed', async () => {
    const server = await start(NPM_START, { WORKERS: '2' })
    await bothWorkersServing(server)
    await assertTermStopsEverything(server, 4) // npm, primary, two workers
  })

  it('npm start execs the server: no shell stays between npm and node', async () => {
    const server = await start(NPM_START, {})
    const [, ...below] = processTree(server.child.pid!)
    for (const pid of below) seen.add(pid)
    const commands = below.map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '')
    assert.deepEqual(commands.map((cmd) => path.basename(cmd)), ['node'])
    await assertTermStopsEverything(server, 2)
  })

  it('posthog-capture serve: SIGTERM stops the server and its cluster workers, exit 0, port closed', async () => {
    const server = await start(BIN_SERVE, { WORKERS: '2' })
    await bothWorkersServing(server)
    await assertTermStopsEverything(server, 3) // primary, two workers
  })

  it('node dist/main.js (what a service unit runs): SIGTERM drains and exits 0', async () => {
    const server = await start(NODE_DIST, {})
    await assertTermStopsEverything(server, 1)
  })
})
