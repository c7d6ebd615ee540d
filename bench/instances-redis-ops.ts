/**
 * Redis work per event behind several instances: three capture instances
 * behind haproxy sharing one redis-server (the fleet of test/cluster), a fixed
 * number of unique events sent through the balancer, and the deltas of Redis's
 * own INFO commandstats (calls per command) and INFO cpu (redis-server CPU
 * time, less its idle rate) over them. Modes: de-duplication off, on, and on with a per-token rate
 * limit high enough never to refuse (so it is checked, not hit).
 *
 *   npx tsx bench/instances-redis-ops.ts [--events 20000] [--batches 1,10,100] [--concurrency 8] [--no-save]
 *
 * Counts are exact, not timings: the same workload gives the same calls on any
 * machine, except the background quota refresh (one ZRANGEBYSCORE per resource
 * and instance every QUOTA_REFRESH_INTERVAL_MS), shown in its own column.
 * Commands a Lua script runs inside Redis are counted by Redis under their own
 * names as well as under EVALSHA. Results: bench/results/<date>-<host>-instances-redis-ops.{md,json}.
 */
import { execFileSync } from 'node:child_process'
import http from 'node:http'
import os from 'node:os'
import { randomUUID } from 'node:crypto'
import { startFleet, type Fleet } from '../test/helpers/capture-fleet.js'
import { rawClient } from '../test/helpers/redis.js'
import { cpuTicks } from './proc-stats.js'
import { saveRun } from './save-run.js'

type Mode = 'dedup off' | 'dedup on' | 'dedup on + rate limit'
const MODES: Record<Mode, Record<string, string>> = {
  'dedup off': { DEDUP_ENABLED: 'false' },
  'dedup on': { DEDUP_ENABLED: 'true' },
  'dedup on + rate limit': { DEDUP_ENABLED: 'true', RATE_LIMIT_TOKEN_EVENTS_PER_SECOND: '100000000' },
}
/** Not on the request path: the quota refresh, the store's health probe, connection set-up. */
const IDLE_MS = 3000
const BACKGROUND = new Set(['zrangebyscore', 'ping', 'select', 'client', 'script'])
/** What the Lua scripts (src/store/redis-scripts.ts) call inside Redis: not commands capture sends. */
const INSIDE_LUA = new Set(['set', 'hset', 'hmget', 'pexpire'])
/** This script's own reads of the counters. */
const MEASUREMENT = new Set(['info', 'hello'])

interface Cell {
  mode: Mode
  batch: number
  events: number
  requests: number
  seconds: number
  calls: Record<string, number>
  requestPathCalls: number
  commandsSent: number
  backgroundCalls: number
  redisCpuUs: number
  /** haproxy's own CPU (utime + stime) over the cell. */
  balancerCpuUs: number
  /** The three capture processes' CPU over the cell (local-log sink, de-dup as the mode says). */
  captureCpuUs: number
}

const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
const cpuUsOf = (pids: readonly number[]): number => pids.reduce((total, pid) => total + (cpuTicks(pid) ?? 0), 0) * TICK_US

function parseArgs(argv: string[]): { events: number; batches: number[]; concurrency: number; save: boolean } {
  const value = (name: string, fallback: string): string => {
    const at = argv.indexOf(name)
    return at === -1 ? fallback : (argv[at + 1] ?? fallback)
  }
  return {
    events: Number(value('--events', '20000')),
    batches: value('--batches', '1,10,100').split(',').map(Number),
    concurrency: Number(value('--concurrency', '8')),
    save: !argv.includes('--no-save'),
  }
}

async function redisCounters(fleet: Fleet): Promise<{ calls: Record<string, number>; cpuUs: number }> {
  const raw = rawClient(fleet.redis.url)
  try {
    const stats = await raw.info('commandstats')
    const cpu = await raw.info('cpu')
    const calls: Record<string, number> = {}
    for (const match of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]!] = Number(match[2])
    const seconds = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0)
    return { calls, cpuUs: (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6 }
  } finally {
    raw.disconnect()
  }
}

/** Sends `events` unique events in batches of `batch` through the balancer, `concurrency` at a time, keep-alive. */
async function send(url: string, events: number, batch: number, concurrency: number, token: string): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency })
  let next = 0
  let requests = 0
  const worker = async (): Promise<void> => {
    while (next < events) {
      const count = Math.min(batch, events - next)
      next += count
      const body = JSON.stringify({ api_key: token, batch: Array.from({ length: count }, () => ({ event: 'redis_ops', distinct_id: randomUUID(), uuid: randomUUID(), properties: {} })) })
      const status = await post(url, body, agent)
      if (status !== 200) throw new Error(`status ${status} from ${url}`)
      requests++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  agent.destroy()
  return requests
}

function post(url: string, body: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/batch`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function measure(mode: Mode, batches: number[], events: number, concurrency: number): Promise<Cell[]> {
  const fleet = await startFleet({ size: 3, env: { ...MODES[mode], REDIS_RESPONSE_TIMEOUT_MS: '5000' } })
  const cells: Cell[] = []
  try {
    await send(fleet.lb.url, 300, 10, concurrency, 'phc_bench_warmup')
    const idleFrom = await redisCounters(fleet)
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS))
    // redis-server's own housekeeping (serverCron) and the instances' background calls, per second.
    const idleCpuUsPerSecond = ((await redisCounters(fleet)).cpuUs - idleFrom.cpuUs) / (IDLE_MS / 1000)
    for (const batch of batches) {
      const before = await redisCounters(fleet)
      const capturePids = fleet.instances.map((instance) => instance.child.pid!)
      const balancerBefore = cpuUsOf([fleet.lb.pid])
      const captureBefore = cpuUsOf(capturePids)
      const started = process.hrtime.bigint()
      const requests = await send(fleet.lb.url, events, batch, concurrency, `phc_bench_${batch}`)
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const balancerCpuUs = cpuUsOf([fleet.lb.pid]) - balancerBefore
      const captureCpuUs = cpuUsOf(capturePids) - captureBefore
      await new Promise((resolve) => setTimeout(resolve, 1000)) // de-dup commits follow the replies
      const afterwards = await redisCounters(fleet)
      const calls: Record<string, number> = {}
      for (const [name, n] of Object.entries(afterwards.calls)) if (!MEASUREMENT.has(name) && n - (before.calls[name] ?? 0) > 0) calls[name] = n - (before.calls[name] ?? 0)
      const sum = (pick: (name: string) => boolean): number => Object.entries(calls).filter(([name]) => pick(name)).reduce((a, [, n]) => a + n, 0)
      const requestPathCalls = sum((name) => !BACKGROUND.has(name))
      const commandsSent = sum((name) => !BACKGROUND.has(name) && !INSIDE_LUA.has(name))
      cells.push({ mode, batch, events, requests, seconds, calls, requestPathCalls, commandsSent, backgroundCalls: sum((name) => BACKGROUND.has(name)), redisCpuUs: Math.max(0, afterwards.cpuUs - before.cpuUs - idleCpuUsPerSecond * (seconds + 1)), balancerCpuUs, captureCpuUs })
      process.stderr.write(`${mode}, batch ${batch}: ${JSON.stringify(calls)}\n`)
    }
  } finally {
    await fleet.stop()
  }
  return cells
}

function render(cells: Cell[], options: { events: number; concurrency: number }, load: { start: number[]; end: number[] }): string {
  const f = (n: number, digits = 2): string => n.toFixed(digits)
  const lines = [
    `# Redis work per event, three instances behind haproxy (${new Date().toISOString()}, ${os.hostname()}, ${os.cpus().length} cores, load average ${load.start.map((l) => f(l, 1)).join(' ')} at start, ${load.end.map((l) => f(l, 1)).join(' ')} at end)`,
    '',
    `\`npx tsx bench/instances-redis-ops.ts --events ${options.events} --concurrency ${options.concurrency}\`: ${options.events} unique events per cell through haproxy (round robin over 3 capture instances, WORKERS=1 each, one redis-server), ${options.concurrency} keep-alive connections. Calls are Redis's INFO commandstats deltas; commands sent are what capture puts on the wire (MGET, EVALSHA; ioredis merges the calls of one event-loop turn, so fewer than one of each per request); commands run inside a Lua script (SET, HMGET, HSET, PEXPIRE) are counted by Redis too and appear in the calls per event. Background: the quota refresh and health probes; this script's own INFO calls are left out. redis-server CPU is INFO cpu (user + sys) over the cell less its idle rate (measured for 3 s before the cells of each mode); on a busy machine it is inflated by contention, the call counts are not. haproxy and capture CPU are utime + stime of their processes over the cell (capture: the three instances, local-log sink, fsync per group commit).`,
    '',
    '| mode | events per request | requests | events/s | commands sent per request | Redis calls per event (with those inside Lua) | background calls | redis-server CPU per event | redis-server CPU busy | haproxy CPU per request | capture CPU per event | calls by command |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ]
  for (const c of cells) {
    const commands = Object.entries(c.calls).map(([name, n]) => `${name} ${n}`).join(', ')
    const busy = c.redisCpuUs / (c.seconds * 1e6)
    lines.push(`| ${c.mode} | ${c.batch} | ${c.requests} | ${f(c.events / c.seconds, 0)} | ${f(c.commandsSent / c.requests)} | ${f(c.requestPathCalls / c.events)} | ${c.backgroundCalls} | ${f(c.redisCpuUs / c.events, 1)} µs | ${f(busy * 100, 0)} % | ${f(c.balancerCpuUs / c.requests, 1)} µs | ${f(c.captureCpuUs / c.events, 1)} µs | ${commands} |`)
  }
  return lines.join('\n') + '\n'
}

const options = parseArgs(process.argv.slice(2))
const loadStart = os.loadavg()
const cells: Cell[] = []
for (const mode of Object.keys(MODES) as Mode[]) cells.push(...(await measure(mode, options.batches, options.events, options.concurrency)))
const load = { start: loadStart, end: os.loadavg() }
const markdown = render(cells, options, load)
process.stdout.write(markdown)
if (options.save) saveRun('instances-redis-ops', markdown, { options, load, node: process.version, cells })
