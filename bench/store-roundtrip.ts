/**
 * The limiter's round trip against one Redis and against a 3-master Redis
 * Cluster (3 replicas), through the real stores (RedisStore,
 * RedisClusterStore). N concurrent callers each do what one request with
 * de-duplication and both rate limits on does: hasKeys of a batch of fresh
 * de-dup keys and the takeTokens of the token and distinct-id buckets, issued
 * together, then setKeys of the same keys (the commit). Reported per target
 * and batch size: requests/s, events/s, p50/p99 of a request's store time,
 * commands Redis executed per request and per event (INFO commandstats
 * deltas, summed over the masters; Lua's inner commands included), Redis CPU
 * per event and in cores (INFO cpu deltas), and this process's CPU.
 *
 * Then, on the single Redis, what one de-dup key costs Redis to set: as its
 * own SET PX, as a one-key call of the set-keys Lua (what "Lua per slot"
 * means on a cluster, where a slot rarely holds two keys of a turn), and as
 * part of 2- and 100-key Lua calls (one Redis).
 *
 *   npx tsx bench/store-roundtrip.ts [--seconds 8] [--callers 64] [--batches 10,100] [--targets single,cluster] [--no-save]
 *
 * Starts its own redis-server(s) through scripts/redis-up.sh and
 * scripts/redis-cluster-up.sh on ports from 20000–29000, and stops them.
 * Results: bench/results/<date>-<host>-store-roundtrip.{md,json}.
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { rateKeys } from '../src/limiters/rate-limiter.js'
import { createLogger } from '../src/observability/logger.js'
import { createMetrics } from '../src/observability/metrics.js'
import { createRedisClusterStore } from '../src/store/redis-cluster-store.js'
import { SET_KEYS } from '../src/store/redis-scripts.js'
import { createRedisStore } from '../src/store/redis-store.js'
import type { Store } from '../src/store/store.js'
import { ms } from '../src/units.js'
import { delta, loadAverage, readCounters, startTarget, totalCalls, type RedisCounters, type RedisTarget, type TargetKind } from './redis-stats.js'
import { saveRun } from './save-run.js'

interface Options { seconds: number; callers: number; batches: number[]; targets: TargetKind[]; save: boolean }

interface Cell {
  target: TargetKind
  batch: number
  requests: number
  seconds: number
  requestsPerSecond: number
  eventsPerSecond: number
  p50Ms: number
  p99Ms: number
  redis: RedisCounters
  clientCpuSeconds: number
}

const BACKGROUND = new Set(['info', 'cluster', 'ping', 'client', 'script', 'config', 'readonly', 'hello', 'command'])
const UNLIMITED = { perSecond: 1e9, burst: 1e9 }

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { seconds: 8, callers: 64, batches: [10, 100], targets: ['single', 'cluster'], save: true }
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1] ?? ''
    switch (argv[i]) {
      case '--seconds': options.seconds = Number(value); i++; break
      case '--callers': options.callers = Number(value); i++; break
      case '--batches': options.batches = value.split(',').map(Number); i++; break
      case '--targets': options.targets = value.split(',') as TargetKind[]; i++; break
      case '--no-save': options.save = false; break
      default: throw new Error(`unknown option ${argv[i]}`)
    }
  }
  return options
}

const dedupKey = (): string => `dedup:${randomBytes(16).toString('base64url').slice(0, 22)}`

async function openStore(target: RedisTarget): Promise<Store> {
  const deps = { logger: createLogger({ level: 'silent' }), metrics: createMetrics({ defaultMetrics: false }) }
  const common = { keyPrefix: 'bench:', connectTimeout: ms(5000), responseTimeout: ms(2000) }
  if (target.kind === 'single') return createRedisStore(deps, { url: target.env.REDIS_URL!, ...common })
  return createRedisClusterStore(deps, { nodes: target.writers.map((node) => ({ ...node })), ...common })
}

/** One request's store calls: check + take in one turn, then the commit. */
async function oneRequest(store: Store, caller: number, batch: number): Promise<void> {
  const keys = Array.from({ length: batch }, dedupKey)
  const token = `phc_bench_${caller}`
  const takes = [
    { key: rateKeys.token(token), cost: batch, ...UNLIMITED },
    { key: rateKeys.distinctId(token, randomBytes(6).toString('hex')), cost: batch, ...UNLIMITED },
  ]
  await Promise.all([store.hasKeys(keys), store.takeTokens(takes, Date.now())])
  await store.setKeys(keys, ms(60_000))
}

async function runCell(store: Store, target: RedisTarget, batch: number, options: Options): Promise<Cell> {
  const drive = async (untilMs: number, latencies?: number[]): Promise<void> => {
    await Promise.all(Array.from({ length: options.callers }, async (_, caller) => {
      while (Date.now() < untilMs) {
        const started = process.hrtime.bigint()
        await oneRequest(store, caller, batch)
        latencies?.push(Number(process.hrtime.bigint() - started) / 1e6)
      }
    }))
  }
  await drive(Date.now() + 1000)
  const latencies: number[] = []
  const before = await readCounters(target.writers)
  const cpuBefore = process.cpuUsage()
  const started = Date.now()
  await drive(started + options.seconds * 1000, latencies)
  const seconds = (Date.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  const redis = delta(before, await readCounters(target.writers), BACKGROUND)
  latencies.sort((a, b) => a - b)
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!
  return {
    target: target.kind, batch, requests: latencies.length, seconds,
    requestsPerSecond: latencies.length / seconds, eventsPerSecond: (latencies.length * batch) / seconds,
    p50Ms: at(0.5), p99Ms: at(0.99), redis, clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
  }
}

/** Redis CPU (INFO cpu: parsing, I/O and execution) and time inside commands (INFO commandstats usec) per key set. */
interface SetCost { readonly how: string; readonly keysPerCall: number; readonly redisUsPerKey: number; readonly commandUsPerKey: number }

/** Redis CPU per key set, by how the keys are sent: 100 000 keys, pipelines of 1000 calls. */
async function setCosts(target: RedisTarget): Promise<SetCost[]> {
  const client = new Redis(target.env.REDIS_URL!, { scripts: { benchSetKeys: { lua: SET_KEYS } } }) as Redis & { benchSetKeys(n: number, keys: string[], ttl: number): unknown }
  const KEYS = 100_000
  const ways: { how: string; keysPerCall: number; add(pipeline: ReturnType<Redis['pipeline']> & { benchSetKeys(n: number, keys: string[], ttl: number): unknown }, keys: string[]): void }[] = [
    { how: 'SET key 1 PX ttl', keysPerCall: 1, add: (pipeline, keys) => void pipeline.set(keys[0]!, '1', 'PX', 60_000) },
    { how: 'set-keys Lua, 1 key', keysPerCall: 1, add: (pipeline, keys) => void pipeline.benchSetKeys(1, keys, 60_000) },
    { how: 'set-keys Lua, 2 keys', keysPerCall: 2, add: (pipeline, keys) => void pipeline.benchSetKeys(2, keys, 60_000) },
    { how: 'set-keys Lua, 100 keys', keysPerCall: 100, add: (pipeline, keys) => void pipeline.benchSetKeys(100, keys, 60_000) },
  ]
  const costs: SetCost[] = []
  try {
    await client.benchSetKeys(1, ['warm-up'], 1000)
    for (const way of ways) {
      const before = await readCounters(target.writers)
      for (let sent = 0; sent < KEYS;) {
        const pipeline = client.pipeline() as Parameters<typeof way.add>[0]
        for (let call = 0; call < 1000 && sent < KEYS; call++, sent += way.keysPerCall) way.add(pipeline, Array.from({ length: way.keysPerCall }, dedupKey))
        await pipeline.exec()
      }
      const used = delta(before, await readCounters(target.writers), BACKGROUND)
      const commandUs = Object.values(used.usec).reduce((sum, usec) => sum + usec, 0) - (used.usec.set ?? 0) * (way.how.startsWith('set-keys') ? 1 : 0)
      costs.push({ how: way.how, keysPerCall: way.keysPerCall, redisUsPerKey: (used.cpuSeconds * 1e6) / KEYS, commandUsPerKey: commandUs / KEYS })
    }
  } finally {
    client.disconnect()
  }
  return costs
}

function report(cells: readonly Cell[], costs: readonly SetCost[], options: Options, loads: { start: string; end: string }): string {
  const perCommand = (cell: Cell): string => Object.entries(cell.redis.calls).sort().map(([command, calls]) => `${command} ${(calls / cell.requests).toFixed(2)}`).join(', ')
  const lines = [
    '# Store round trip: one Redis vs a 3-master Redis Cluster',
    '',
    `${options.callers} concurrent callers, ${options.seconds} s per cell after 1 s of warm-up; each request: hasKeys(batch fresh keys) + takeTokens(token and distinct-id buckets) in one turn, then setKeys(the same keys). Load average at start ${loads.start}, at end ${loads.end}.`,
    '',
    '| target | batch | requests/s | events/s | p50 ms | p99 ms | Redis commands / request | / event | Redis CPU µs / event | Redis cores | client CPU µs / event |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...cells.map((cell) => {
      const events = cell.requests * cell.batch
      return `| ${cell.target} | ${cell.batch} | ${cell.requestsPerSecond.toFixed(0)} | ${cell.eventsPerSecond.toFixed(0)} | ${cell.p50Ms.toFixed(2)} | ${cell.p99Ms.toFixed(2)} | ${(totalCalls(cell.redis) / cell.requests).toFixed(2)} | ${(totalCalls(cell.redis) / events).toFixed(2)} | ${((cell.redis.cpuSeconds * 1e6) / events).toFixed(2)} | ${(cell.redis.cpuSeconds / cell.seconds).toFixed(2)} | ${((cell.clientCpuSeconds * 1e6) / events).toFixed(2)} |`
    }),
    '',
    'Commands Redis executed per request, by command (Lua\'s inner HMGET/HSET/PEXPIRE and SET counted again under their names):',
    '',
    ...cells.map((cell) => `- ${cell.target}, batch ${cell.batch}: ${perCommand(cell)}`),
  ]
  if (costs.length > 0) {
    lines.push('', 'What one de-dup key costs Redis to set, one Redis, 100 000 keys in pipelines of 1000 calls (CPU: INFO cpu; in commands: INFO commandstats usec, the inner SETs of a script included in its EVALSHA):', '',
      '| how | keys per call | Redis CPU µs / key | in commands µs / key |', '|---|---|---|---|')
    for (const cost of costs) lines.push(`| ${cost.how} | ${cost.keysPerCall} | ${cost.redisUsPerKey.toFixed(2)} | ${cost.commandUsPerKey.toFixed(2)} |`)
  }
  return lines.join('\n') + '\n'
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2))
  const loads = { start: loadAverage(), end: '' }
  const cells: Cell[] = []
  let costs: SetCost[] = []
  for (const kind of options.targets) {
    const target = startTarget(kind, 20_000 + Math.floor(Math.random() * 9000))
    try {
      const store = await openStore(target)
      try {
        for (const batch of options.batches) {
          const cell = await runCell(store, target, batch, options)
          process.stderr.write(`${kind} batch ${batch}: ${cell.requestsPerSecond.toFixed(0)} requests/s, p99 ${cell.p99Ms.toFixed(2)} ms\n`)
          cells.push(cell)
        }
      } finally {
        await store.close()
      }
      if (kind === 'single') costs = await setCosts(target)
    } finally {
      target.stop()
    }
  }
  loads.end = loadAverage()
  const markdown = report(cells, costs, options, loads)
  process.stdout.write(markdown)
  if (options.save) saveRun('store-roundtrip', markdown, { options, loads, cells, costs })
}

await main()
