/**
 * Redis's own counters for the Redis benches: INFO commandstats (calls and
 * µs per command) and INFO cpu (redis-server CPU seconds), summed over the
 * nodes given (the masters of a cluster: replicas replay every write too, and
 * would count it twice), and a one-Redis or 3+3 cluster target started by the
 * project's scripts and stopped by them.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'

const SCRIPTS = join(resolve(dirname(fileURLToPath(import.meta.url))), '..', 'scripts')

export interface RedisCounters {
  /** Calls per command, lower-case (cmdstat_get → get). */
  readonly calls: Record<string, number>
  /** Microseconds inside Redis per command. */
  readonly usec: Record<string, number>
  /** used_cpu_user + used_cpu_sys, seconds. */
  readonly cpuSeconds: number
}

export type TargetKind = 'single' | 'cluster'

export interface RedisTarget {
  readonly kind: TargetKind
  /** REDIS_URL or REDIS_CLUSTER_NODES for capture. */
  readonly env: Record<string, string>
  /** host:port of each node that executes client commands (the one Redis, or the masters). */
  readonly writers: readonly { host: string; port: number }[]
  stop(): void
}

export function startTarget(kind: TargetKind, basePort: number): RedisTarget {
  const dir = mkdtempSync(join(os.tmpdir(), `bench-redis-${kind}-`))
  const script = kind === 'single' ? 'redis-up.sh' : 'redis-cluster-up.sh'
  const last = execFileSync(join(SCRIPTS, script), [dir, String(basePort)], { encoding: 'utf8' }).trim().split('\n').pop()!
  const stop = (): void => {
    execFileSync(join(SCRIPTS, kind === 'single' ? 'redis-down.sh' : 'redis-cluster-down.sh'), [dir], { stdio: 'ignore' })
    rmSync(dir, { recursive: true, force: true })
  }
  if (kind === 'single') return { kind, env: { REDIS_URL: last }, writers: [{ host: '127.0.0.1', port: basePort }], stop }
  // redis-cluster-up.sh makes the first three ports the masters (redis-cli --cluster create order).
  return { kind, env: { REDIS_CLUSTER_NODES: last }, writers: [0, 1, 2].map((i) => ({ host: '127.0.0.1', port: basePort + i })), stop }
}

export async function readCounters(nodes: readonly { host: string; port: number }[]): Promise<RedisCounters> {
  const calls: Record<string, number> = {}
  const usec: Record<string, number> = {}
  let cpuSeconds = 0
  for (const node of nodes) {
    const client = new Redis({ ...node, lazyConnect: true, maxRetriesPerRequest: 1 })
    try {
      await client.connect()
      const stats = await client.info('commandstats')
      for (const match of stats.matchAll(/cmdstat_([a-z|]+):calls=(\d+),usec=(\d+)/g)) {
        calls[match[1]!] = (calls[match[1]!] ?? 0) + Number(match[2])
        usec[match[1]!] = (usec[match[1]!] ?? 0) + Number(match[3])
      }
      const cpu = await client.info('cpu')
      cpuSeconds += Number(/used_cpu_user:([\d.]+)/.exec(cpu)?.[1] ?? 0) + Number(/used_cpu_sys:([\d.]+)/.exec(cpu)?.[1] ?? 0)
    } finally {
      client.disconnect()
    }
  }
  return { calls, usec, cpuSeconds }
}

/** after − before, per command, leaving out the commands `ignore` names. */
export function delta(before: RedisCounters, after: RedisCounters, ignore: ReadonlySet<string>): RedisCounters {
  const calls: Record<string, number> = {}
  const usec: Record<string, number> = {}
  for (const [command, count] of Object.entries(after.calls)) {
    if (ignore.has(command.split('|')[0]!)) continue
    const diff = count - (before.calls[command] ?? 0)
    if (diff === 0) continue
    calls[command] = diff
    usec[command] = (after.usec[command] ?? 0) - (before.usec[command] ?? 0)
  }
  return { calls, usec, cpuSeconds: after.cpuSeconds - before.cpuSeconds }
}

/** Every command Redis executed, Lua's inner ones included (Redis counts those under their own names too). */
export const totalCalls = (counters: RedisCounters): number => Object.values(counters.calls).reduce((sum, count) => sum + count, 0)

export const loadAverage = (): string => os.loadavg().map((value) => value.toFixed(2)).join(' / ')
