/**
 * The limiters end to end on a Redis Cluster: two capture processes
 * (src/main.ts, WORKERS=1, local-log sink, REDIS_CLUSTER_NODES) over a private
 * 3-master, 3-replica cluster (scripts/redis-cluster-up.sh). De-duplication
 * across the two processes, a rate limit and a billing quota; then the master
 * that holds the rate buckets and a third of the de-dup marks is SIGKILLed:
 * requests keep being answered (200, fail open, bounded latency), limits apply
 * again once its replica is promoted, and still once the old master is back
 * as a replica. Every process started here is stopped by pid, also on failure.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { rateKeys } from '../../src/limiters/rate-limiter.js'
import { keySlot } from '../../src/store/key-slot.js'
import { readLog } from '../../src/sinks/local-log/log-reader.js'
import { aBareEvent, eventually, json, metricValue, postJson, request, TOKEN, type Reply } from '../helpers/http-client.js'
import { ownRedisCluster, type OwnRedisCluster } from '../helpers/redis-cluster.js'
import { exitOf, spawnServer, type ServerProcess } from '../helpers/server-process.js'

const RESPONSE_TIMEOUT_MS = 500
const QUOTA_TOKEN = 'phc_cluster_quota_token'
let cluster: OwnRedisCluster | undefined
const servers: ServerProcess[] = []
const dataDirs: string[] = []

before(async () => {
  cluster = await ownRedisCluster()
  const env = {
    WORKERS: '1', LOG_LEVEL: 'warn', REDIS_CLUSTER_NODES: cluster.seeds, REDIS_RESPONSE_TIMEOUT_MS: String(RESPONSE_TIMEOUT_MS),
    RATE_LIMIT_DISTINCT_ID_EVENTS_PER_SECOND: '1', RATE_LIMIT_DISTINCT_ID_BURST: '3', QUOTA_REFRESH_INTERVAL_MS: '200',
  }
  for (let i = 0; i < 2; i++) dataDirs.push(await mkdtemp(path.join(os.tmpdir(), `capture-rc-${i}-`)))
  const spawned = await Promise.allSettled(dataDirs.map((dataDir) => spawnServer({ dataDir, env })))
  for (const result of spawned) if (result.status === 'fulfilled') servers.push(result.value)
  const failed = spawned.find((result) => result.status === 'rejected')
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
})
after(async () => {
  await Promise.all(servers.map(async (server) => {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGTERM')
    await exitOf(server, 15_000)
  }))
  await cluster?.stop()
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })))
})

const send = (server: ServerProcess, events: Record<string, unknown>[], token = TOKEN): Promise<Reply> => postJson(server.url, '/batch', { api_key: token, batch: events })
/** Events with fixed timestamps, so the same list sent twice is a retry. */
const retryable = (name: string, count: number) => Array.from({ length: count }, (_, i) => aBareEvent({ event: name, distinct_id: `d-${name}-${i}`, timestamp: '2025-01-01T00:00:00Z' }))
async function copies(name: string): Promise<number> {
  let count = 0
  for (const dir of dataDirs) for await (const record of readLog(dir)) if ((record.value as { event?: string }).event === name) count++
  return count
}
/** Spends a distinct id's burst of 3 through the first process, then asks the second for one more. */
async function overLimit(distinctId: string): Promise<number> {
  await send(servers[0]!, Array.from({ length: 3 }, () => aBareEvent({ distinct_id: distinctId })))
  return (await send(servers[1]!, [aBareEvent({ distinct_id: distinctId })])).status
}
async function dedupHolds(name: string): Promise<boolean> {
  const events = retryable(name, 30)
  await send(servers[0]!, events)
  await send(servers[1]!, events)
  return (await copies(name)) === 30
}
const connected = async (server: ServerProcess): Promise<boolean> =>
  metricValue((await request(server.url, '/metrics')).text, 'capture_store_connected', { store: 'redis' }) === 1

describe('limiters on a Redis Cluster', () => {
  it('de-duplicates across two capture processes, with marks on every master', async () => {
    await eventually(async () => (await connected(servers[0]!)) && (await connected(servers[1]!)), 10_000, 100)
    const events = retryable('dedup_two_processes', 30)
    assert.equal((await send(servers[0]!, events)).status, 200)
    assert.equal((await send(servers[1]!, events)).status, 200)
    assert.equal(await copies('dedup_two_processes'), 30)
    // Every master holds some marks, and so (once replicated) does every replica: 6 nodes with keys.
    const nodesWithKeys = async () => (await Promise.all(cluster!.ports.map(async (port) => /keys=[1-9]/.test(await cluster!.node(port).info('keyspace'))))).filter(Boolean).length
    await eventually(async () => (await nodesWithKeys()) === 6, 5000, 100)
  })

  it('holds a per-distinct-id rate limit across both processes (429)', async () => {
    assert.equal(await overLimit('limited-once'), 429)
  })

  it('drops the events of a project that billing put over quota, in both processes', async () => {
    await cluster!.client().zadd('@posthog/quota-limits/events', Math.floor(Date.now() / 1000) + 3600, QUOTA_TOKEN)
    for (const server of servers) {
      await eventually(async () => (await send(server, [aBareEvent({ event: 'quota_probe' })], QUOTA_TOKEN)).text.includes('quota_limited'), 5000, 100)
      assert.deepEqual(json(await send(server, [aBareEvent({ event: 'over_quota' })], QUOTA_TOKEN)), { code: 1, status: 'ok', quota_limited: ['events'] })
    }
    assert.equal(await copies('over_quota'), 0)
  })

  it('keeps answering with a master SIGKILLed, then limits again once its replica is promoted', async (t) => {
    const slot = keySlot(rateKeys.token(TOKEN))
    const victim = await cluster!.masterOf(slot)
    const load = steadyLoad(servers)
    await sleep(300)
    const killedAt = Date.now()
    await cluster!.kill(victim)
    let promoted = 0
    await eventually(async () => {
      promoted = await cluster!.masterOf(slot).catch(() => victim)
      return promoted !== victim
    }, 20_000, 100)
    const promotedAfter = Date.now() - killedAt
    let attempt = 0
    await eventually(async () => (await overLimit(`after-failover-${attempt++}`)) === 429, 20_000, 100)
    const limitsAfter = Date.now() - killedAt
    await sleep(300)
    const replies = await load.stop()
    t.diagnostic(`killed master 127.0.0.1:${victim}; replica ${promoted} promoted after ${promotedAfter} ms; rate limit applied again after ${limitsAfter} ms`)
    t.diagnostic(`during the fault: ${replies.length} requests, statuses ${JSON.stringify(countBy(replies.map((reply) => reply.status)))}, latency p50 ${percentile(replies, 0.5)} ms, max ${percentile(replies, 1)} ms`)
    assert.deepEqual(replies.filter((reply) => reply.status !== 200), [], 'every request answered 200 (fail open)')
    assert.ok(percentile(replies, 1) < 4 * RESPONSE_TIMEOUT_MS + 1000, `latency bounded by the response timeout; max ${percentile(replies, 1)} ms`)
    // The 429 above proves one process follows the promoted replica; de-dup needs both (and every
    // slot of the dead master), so wait until both say their slot map is whole again.
    await eventually(async () => (await connected(servers[0]!)) && (await connected(servers[1]!)), 10_000, 100)
    assert.ok(await dedupHolds('after_failover'))

    await cluster!.restart(victim)
    await eventually(async () => /role:slave/.test(await cluster!.node(victim).info('replication').catch(() => '')), 20_000, 200)
    await eventually(async () => /master_link_status:up/.test(await cluster!.node(victim).info('replication').catch(() => '')), 20_000, 200)
    assert.equal(await overLimit('after-rejoin'), 429)
    assert.ok(await dedupHolds('after_rejoin'))
  })
})

interface Timed {
  readonly status: number
  readonly ms: number
}

/** One request at a time per process, new distinct ids (never rate limited), until stopped. */
function steadyLoad(targets: readonly ServerProcess[]): { stop(): Promise<Timed[]> } {
  const replies: Timed[] = []
  let running = true
  let n = 0
  const loops = targets.map(async (server) => {
    while (running) {
      const started = Date.now()
      const id = n++
      const reply = await send(server, Array.from({ length: 10 }, (_, i) => aBareEvent({ event: 'during_failover', distinct_id: `steady-${id}-${i}` }))).catch(() => ({ status: 0 }))
      replies.push({ status: reply.status, ms: Date.now() - started })
      await sleep(20)
    }
  })
  return {
    async stop() {
      running = false
      await Promise.all(loops)
      return replies
    },
  }
}

function percentile(replies: readonly Timed[], q: number): number {
  const sorted = replies.map((reply) => reply.ms).sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0
}

function countBy(values: readonly number[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1
  return counts
}
