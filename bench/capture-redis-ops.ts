/**
 * Redis commands per event through a real capture (src/main.ts, WORKERS=1,
 * local-log sink), against one Redis and against a 3-master Redis Cluster,
 * with de-duplication off and on: a fixed number of unique events sent in
 * batches, and the deltas of INFO commandstats (calls per command, summed
 * over the masters) and INFO cpu around them. Rate limits are on in every
 * mode (per token, high enough never to refuse), as a production setup has
 * them, so "dedup off" still shows the take.
 *
 *   npx tsx bench/capture-redis-ops.ts [--events 10000] [--batches 10,100] [--concurrency 8] [--targets single,cluster] [--no-save]
 *
 * Counts are exact, not timings: the same workload gives the same calls on
 * any machine, bar the background quota refresh (ZRANGEBYSCORE), the cluster
 * client's slot-map refresh (CLUSTER) and the script loads, left out and named
 * below. Commands Lua runs inside Redis are counted by Redis under their own
 * names as well. Results: bench/results/<date>-<host>-capture-redis-ops.{md,json}.
 */
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { postJson } from '../test/helpers/http-client.js'
import { exitOf, spawnServer } from '../test/helpers/server-process.js'
import { cpuTicks } from './proc-stats.js'
import { delta, loadAverage, readCounters, startTarget, totalCalls, type RedisCounters, type TargetKind } from './redis-stats.js'
import { saveRun } from './save-run.js'

const BACKGROUND = new Set(['zrangebyscore', 'cluster', 'info', 'ping', 'client', 'script', 'config', 'readonly', 'hello', 'command', 'replconf'])
const TICKS_PER_SECOND = 100
const TOKEN = 'phc_bench_redis_ops'

interface Options { events: number; batches: number[]; concurrency: number; targets: TargetKind[]; save: boolean }
interface Cell { target: TargetKind; dedup: boolean; batch: number; events: number; requests: number; redis: RedisCounters; captureCpuSeconds: number }

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { events: 10_000, batches: [10, 100], concurrency: 8, targets: ['single', 'cluster'], save: true }
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1] ?? ''
    switch (argv[i]) {
      case '--events': options.events = Number(value); i++; break
      case '--batches': options.batches = value.split(',').map(Number); i++; break
      case '--concurrency': options.concurrency = Number(value); i++; break
      case '--targets': options.targets = value.split(',') as TargetKind[]; i++; break
      case '--no-save': options.save = false; break
      default: throw new Error(`unknown option ${argv[i]}`)
    }
  }
  return options
}

/** Sends `events` unique events in batches of `batch`, `concurrency` requests at a time; every reply must be 200. */
async function send(url: string, events: number, batch: number, concurrency: number): Promise<number> {
  let next = 0
  let requests = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < events) {
      const count = Math.min(batch, events - next)
      next += count
      const body = { api_key: TOKEN, batch: Array.from({ length: count }, () => ({ event: 'bench', distinct_id: randomUUID(), uuid: randomUUID(), properties: {} })) }
      const reply = await postJson(url, '/batch', body)
      if (reply.status !== 200) throw new Error(`capture answered ${reply.status}: ${reply.text}`)
      requests++
    }
  }))
  return requests
}

async function runCell(target: ReturnType<typeof startTarget>, dedup: boolean, batch: number, options: Options): Promise<Cell> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-redis-ops-'))
  const server = await spawnServer({
    dataDir,
    env: { WORKERS: '1', LOG_LEVEL: 'warn', DEDUP_ENABLED: String(dedup), RATE_LIMIT_TOKEN_EVENTS_PER_SECOND: '100000000', ...target.env },
  })
  try {
    await send(server.url, 200, batch, options.concurrency) // warm-up: connections, script loads
    const before = await readCounters(target.writers)
    const ticks = cpuTicks(server.child.pid!) ?? 0
    const requests = await send(server.url, options.events, batch, options.concurrency)
    const captureCpuSeconds = ((cpuTicks(server.child.pid!) ?? 0) - ticks) / TICKS_PER_SECOND
    const redis = delta(before, await readCounters(target.writers), BACKGROUND)
    return { target: target.kind, dedup, batch, events: options.events, requests, redis, captureCpuSeconds }
  } finally {
    server.child.kill('SIGTERM')
    await exitOf(server, 15_000)
    await rm(dataDir, { recursive: true, force: true })
  }
}

function report(cells: readonly Cell[], options: Options, loads: { start: string; end: string }): string {
  const byCommand = (cell: Cell): string => Object.entries(cell.redis.calls).sort().map(([command, calls]) => `${command} ${(calls / cell.events).toFixed(3)}`).join(', ')
  return [
    '# Redis commands per event through capture: one Redis vs a 3-master Redis Cluster',
    '',
    `${options.events} unique events per cell (fresh distinct_id and uuid each), sent in batches, ${options.concurrency} requests at a time, to one capture process (WORKERS=1, local-log sink), per-token rate limit on (never refusing). Load average at start ${loads.start}, at end ${loads.end}.`,
    '',
    '| target | dedup | batch | requests | Redis commands / event | / request | Redis CPU µs / event | capture CPU µs / event |',
    '|---|---|---|---|---|---|---|---|',
    ...cells.map((cell) => `| ${cell.target} | ${cell.dedup ? 'on' : 'off'} | ${cell.batch} | ${cell.requests} | ${(totalCalls(cell.redis) / cell.events).toFixed(3)} | ${(totalCalls(cell.redis) / cell.requests).toFixed(2)} | ${((cell.redis.cpuSeconds * 1e6) / cell.events).toFixed(2)} | ${((cell.captureCpuSeconds * 1e6) / cell.events).toFixed(1)} |`),
    '',
    'Per event, by command (Lua\'s inner commands counted again under their names; left out: ' + [...BACKGROUND].join(', ') + '):',
    '',
    ...cells.map((cell) => `- ${cell.target}, dedup ${cell.dedup ? 'on' : 'off'}, batch ${cell.batch}: ${byCommand(cell)}`),
  ].join('\n') + '\n'
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2))
  const loads = { start: loadAverage(), end: '' }
  const cells: Cell[] = []
  for (const kind of options.targets) {
    const target = startTarget(kind, 20_000 + Math.floor(Math.random() * 9000))
    try {
      for (const dedup of [false, true]) {
        for (const batch of options.batches) {
          const cell = await runCell(target, dedup, batch, options)
          process.stderr.write(`${kind} dedup ${dedup ? 'on' : 'off'} batch ${batch}: ${(totalCalls(cell.redis) / cell.events).toFixed(3)} commands per event\n`)
          cells.push(cell)
        }
      }
    } finally {
      target.stop()
    }
  }
  loads.end = loadAverage()
  const markdown = report(cells, options, loads)
  process.stdout.write(markdown)
  if (options.save) saveRun('capture-redis-ops', markdown, { options, loads, cells })
}

await main()
