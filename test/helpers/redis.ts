/**
 * Redis for integration tests. Suites that need Redis call requireRedisUrl():
 * with REDIS_URL unset or unreachable it throws, so the suite FAILS rather
 * than skipping (a green run must mean the limits were really tested).
 * ownRedis() starts a private redis-server through scripts/redis-up.sh, for
 * tests that kill and restart it without disturbing other suites.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { freePort } from './server-process.js'

const run = promisify(execFile)
const SCRIPTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts')

/** REDIS_URL, after checking that it answers PING; throws a clear error otherwise. */
export async function requireRedisUrl(): Promise<string> {
  const url = process.env.REDIS_URL
  if (url === undefined || url === '') throw new Error('REDIS_URL is not set: start Redis with scripts/redis-up.sh DIR PORT and export REDIS_URL (see docs/limits.md)')
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.ping()
  } catch (err) {
    throw new Error(`Redis at REDIS_URL=${url} does not answer PING (${(err as Error).message}); these tests need a real Redis`)
  } finally {
    client.disconnect()
  }
  return url
}

/** A key prefix no other test uses, so suites share one Redis without seeing each other. */
export const randomPrefix = (): string => `test:${randomBytes(6).toString('hex')}:`

/** A plain client for seeding (billing's ZADD) and inspecting keys. */
export function rawClient(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  return client
}

export interface OwnRedis {
  readonly url: string
  readonly port: number
  /** SIGKILL, as a crash. */
  kill(): Promise<void>
  /** SIGSTOP / SIGCONT: a server that hangs (connections stay open, nothing answers). */
  pause(): Promise<void>
  resume(): Promise<void>
  /** Start again on the same port (empty: no persistence). */
  start(): Promise<void>
  stop(): Promise<void>
}

/** A private redis-server on a free port; `started: false` only reserves the port (start it later). */
export async function ownRedis(options: { started?: boolean } = {}): Promise<OwnRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'capture-redis-'))
  const port = await freePort()
  const start = async (): Promise<void> => void (await run(path.join(SCRIPTS, 'redis-up.sh'), [dir, String(port)]))
  if (options.started !== false) await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: async () => void (await run(path.join(SCRIPTS, 'redis-down.sh'), [dir, '--kill'])),
    pause: async () => void process.kill(Number(await readFile(path.join(dir, 'redis.pid'), 'utf8')), 'SIGSTOP'),
    resume: async () => void process.kill(Number(await readFile(path.join(dir, 'redis.pid'), 'utf8')), 'SIGCONT'),
    start,
    stop: async () => {
      await run(path.join(SCRIPTS, 'redis-down.sh'), [dir])
      await rm(dir, { recursive: true, force: true })
    },
  }
}
