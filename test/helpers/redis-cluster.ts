/**
 * A private Redis Cluster for the test/cluster suites: 3 masters and 3
 * replicas started by scripts/redis-cluster-up.sh on 12 consecutive free ports
 * (below the ephemeral range, so a port handed out meanwhile to another test
 * cannot collide), stopped by pid through scripts/redis-cluster-down.sh.
 * If redis-server is missing the script fails and so does the suite.
 * Nodes can be killed (SIGKILL, by pid) and restarted to test failover.
 */
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Cluster, Redis } from 'ioredis'
import { killAndWait } from './processes.js'

const run = promisify(execFile)
const SCRIPTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts')
const PORTS_USED = 12

export interface OwnRedisCluster {
  /** REDIS_CLUSTER_NODES value: host:port of the six nodes. */
  readonly seeds: string
  readonly ports: readonly number[]
  /** Port of the master serving `slot` right now (asks a live node). */
  masterOf(slot: number): Promise<number>
  /** SIGKILL the node on `port`, as a crash; resolves once the process is gone. */
  kill(port: number): Promise<void>
  /** Start the node on `port` again from its own config (it rejoins, as a replica if it was replaced). */
  restart(port: number): Promise<void>
  /** A plain client on one node, for INFO and CLUSTER commands. */
  node(port: number): Redis
  /** A cluster client for seeding and inspecting keys. */
  client(): Cluster
  stop(): Promise<void>
}

/** `password`: every node requires it (REDIS_CLUSTER_PASSWORD of the script). */
export async function ownRedisCluster(options: { password?: string } = {}): Promise<OwnRedisCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'capture-redis-cluster-'))
  const base = await freePortRun(PORTS_USED)
  const ports = Array.from({ length: 6 }, (_, index) => base + index)
  const clients: (Redis | Cluster)[] = []
  const pidOf = async (port: number): Promise<number> => Number((await readFile(path.join(dir, String(port), 'redis.pid'), 'utf8')).trim())
  const node = (port: number): Redis => {
    const client = new Redis({ host: '127.0.0.1', port, password: options.password, maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: false })
    client.on('error', () => {})
    clients.push(client)
    return client
  }
  try {
    const env = options.password === undefined ? process.env : { ...process.env, REDIS_CLUSTER_PASSWORD: options.password }
    await run(path.join(SCRIPTS, 'redis-cluster-up.sh'), [dir, String(base)], { env })
  } catch (err) {
    await run(path.join(SCRIPTS, 'redis-cluster-down.sh'), [dir]).catch(() => undefined)
    throw new Error(`scripts/redis-cluster-up.sh failed; these tests need Debian's redis-server: ${(err as { stderr?: string }).stderr ?? String(err)}`)
  }
  return {
    seeds: ports.map((port) => `127.0.0.1:${port}`).join(','),
    ports,
    async masterOf(slot) {
      for (const port of ports) {
        const client = node(port)
        try {
          const ranges = (await client.cluster('SLOTS')) as unknown as [number, number, [string, number]][]
          const range = ranges.find(([from, to]) => slot >= from && slot <= to)
          if (range !== undefined) return range[2][1]
        } catch {
          // a dead node; ask the next
        } finally {
          client.disconnect()
        }
      }
      throw new Error(`no live node knows the master of slot ${slot}`)
    },
    async kill(port) {
      await killAndWait(await pidOf(port))
    },
    async restart(port) {
      await new Promise<void>((resolve, reject) => {
        const child = spawn('redis-server', [path.join(dir, String(port), 'redis.conf')], { stdio: 'ignore' })
        child.once('error', reject)
        child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-server on ${port} exited ${code}`))))
      })
    },
    node,
    client() {
      const cluster = new Cluster([{ host: '127.0.0.1', port: base }], { redisOptions: { maxRetriesPerRequest: 1, password: options.password } })
      cluster.on('error', () => {})
      clients.push(cluster)
      return cluster
    },
    async stop() {
      for (const client of clients) client.disconnect()
      await run(path.join(SCRIPTS, 'redis-cluster-down.sh'), [dir])
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** A base port with `count` free ports from it, in 20000–30000 (below Linux's ephemeral range). */
async function freePortRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (10_000 - count))
    const free = await Promise.all(Array.from({ length: count }, (_, index) => canBind(base + index)))
    if (free.every(Boolean)) return base
  }
  throw new Error(`no run of ${count} free ports found in 20000–30000`)
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}
