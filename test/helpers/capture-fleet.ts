/**
 * A fleet: N capture instances (src/main.ts, WORKERS=1, one DATA_DIR each,
 * local-log sink) sharing one private redis-server, behind haproxy — the
 * many-instances topology of docs/scaling.md on 127.0.0.1. For the
 * test/cluster suites and bench/instances-redis-ops.ts.
 *
 * The local log keeps the suite self-contained: what each instance wrote is
 * read back from its own DATA_DIR. stop() ends every process it started, by
 * pid (instances, haproxy, redis-server), also after a partial start.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { readLog } from '../../src/sinks/local-log/log-reader.js'
import { metricValue, request } from './http-client.js'
import { startLoadBalancer, type LoadBalancer } from './load-balancer.js'
import { ownRedis, type OwnRedis } from './redis.js'
import { exitOf, spawnServer, type ServerProcess } from './server-process.js'

export interface FleetOptions {
  readonly size: number
  /** Settings every instance gets (REDIS_URL, ADDRESS and DATA_DIR are the fleet's). */
  readonly env?: Record<string, string>
  readonly checkIntervalMs?: number
}

/** An envelope as stored, with the instance (index into `instances`) that wrote it. */
export interface StoredEnvelope {
  readonly instance: number
  readonly envelope: Record<string, unknown>
}

export interface Fleet {
  readonly redis: OwnRedis
  readonly instances: readonly ServerProcess[]
  readonly lb: LoadBalancer
  /** Every envelope in every instance's log (also the log of an instance that was killed). */
  envelopes(): Promise<StoredEnvelope[]>
  /** A counter summed over the instances still running. */
  metricSum(name: string, labels?: Record<string, string>): Promise<number>
  stop(): Promise<void>
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const started: { redis?: OwnRedis; instances: ServerProcess[]; dataDirs: string[]; lb?: LoadBalancer } = { instances: [], dataDirs: [] }
  const stop = (): Promise<void> => stopAll(started)
  try {
    const redis = (started.redis = await ownRedis())
    for (let i = 0; i < options.size; i++) started.dataDirs.push(await mkdtemp(path.join(os.tmpdir(), `capture-fleet-${i}-`)))
    const env = { WORKERS: '1', LOG_LEVEL: 'warn', TRUST_PROXY_HEADERS: '127.0.0.1', ...options.env, REDIS_URL: redis.url }
    // allSettled, not all: on one failed start the others must still be waited for and stopped.
    const spawned = await Promise.allSettled(started.dataDirs.map((dataDir) => spawnServer({ dataDir, env })))
    for (const result of spawned) if (result.status === 'fulfilled') started.instances.push(result.value)
    const failed = spawned.find((result) => result.status === 'rejected')
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
    const lb = (started.lb = await startLoadBalancer({ backendPorts: started.instances.map((s) => s.port), checkIntervalMs: options.checkIntervalMs }))
    const instances = started.instances
    return {
      redis,
      instances,
      lb,
      envelopes: () => readEnvelopes(started.dataDirs),
      metricSum: async (name, labels) => {
        let total = 0
        for (const instance of instances.filter(isRunning)) {
          const value = metricValue((await request(instance.url, '/metrics')).text, name, labels)
          total += Number.isNaN(value) ? 0 : value
        }
        return total
      },
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}

const isRunning = (server: ServerProcess): boolean => server.child.exitCode === null && server.child.signalCode === null

async function readEnvelopes(dataDirs: readonly string[]): Promise<StoredEnvelope[]> {
  const all: StoredEnvelope[] = []
  for (const [instance, dir] of dataDirs.entries()) {
    for await (const record of readLog(dir)) all.push({ instance, envelope: record.value as Record<string, unknown> })
  }
  return all
}

async function stopAll(started: { redis?: OwnRedis; instances: ServerProcess[]; dataDirs: string[]; lb?: LoadBalancer }): Promise<void> {
  await started.lb?.stop().catch(() => undefined)
  await Promise.all(
    started.instances.map(async (server) => {
      // SIGCONT first: a test may have left an instance stopped (SIGSTOP), which would not see the SIGTERM.
      if (isRunning(server)) {
        server.child.kill('SIGCONT')
        server.child.kill('SIGTERM')
      }
      await exitOf(server, 15_000)
    }),
  )
  await started.redis?.stop().catch(() => undefined)
  await Promise.all(started.dataDirs.map((dir) => rm(dir, { recursive: true, force: true })))
}
