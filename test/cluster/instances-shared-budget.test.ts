/**
 * Many instances, one budget (docs/scaling.md): three capture processes, one
 * DATA_DIR each, sharing a private redis-server, behind haproxy started by
 * scripts/lb-up.sh. Traffic goes to each instance directly and through the
 * balancer; what was written is read back from the three local logs.
 *
 * The tests run in order on one fleet; the last two hang one instance
 * (SIGSTOP, then SIGCONT) and kill another (SIGKILL) under traffic.
 * Figures (counts, rates, latencies) are printed as test diagnostics.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import { after, before, describe, it, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startFleet, type Fleet } from '../helpers/capture-fleet.js'
import { aBareEvent, eventually, json, postJson, type Reply } from '../helpers/http-client.js'
import { rawClient } from '../helpers/redis.js'

const PREFIX = 'fleet:'
const RATE = 100
const BURST = 100
const CHECK_INTERVAL_MS = 500
/** haproxy takes an instance out after 2 failed checks; one more interval covers the check in flight. */
const HEALTH_WINDOW_MS = CHECK_INTERVAL_MS * 3

let fleet: Fleet
let targets: { name: string; url: string }[]

before(async () => {
  fleet = await startFleet({
    size: 3,
    checkIntervalMs: CHECK_INTERVAL_MS,
    env: {
      REDIS_KEY_PREFIX: PREFIX,
      RATE_LIMIT_TOKEN_EVENTS_PER_SECOND: String(RATE),
      RATE_LIMIT_TOKEN_BURST: String(BURST),
      QUOTA_REFRESH_INTERVAL_MS: '200',
      // A loaded 2-core machine can stall an event loop past the default 1 s; a fail-open
      // would let events past the shared bucket and blur what this suite measures.
      REDIS_RESPONSE_TIMEOUT_MS: '5000',
    },
  })
  targets = [...fleet.instances.map((instance, i) => ({ name: `instance${i + 1}`, url: instance.url })), { name: 'balancer', url: fleet.lb.url }]
})

after(async () => {
  await fleet?.stop()
})

const batch = (token: string, events: Record<string, unknown>[]): Record<string, unknown> => ({ api_key: token, batch: events })
const tokenOf = (envelope: Record<string, unknown>): unknown => envelope.token

async function dedupMarks(): Promise<number> {
  const raw = rawClient(fleet.redis.url)
  try {
    let cursor = '0'
    let count = 0
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${PREFIX}dedup:*`, 'COUNT', 1000)
      cursor = next
      count += keys.length
    } while (cursor !== '0')
    return count
  } finally {
    raw.disconnect()
  }
}

describe('three instances behind haproxy sharing one Redis', () => {
  it('writes an event once in total when it is sent through every instance and the balancer', async (t: TestContext) => {
    const token = 'phc_fleet_dedup'
    const events = Array.from({ length: 10 }, (_, i) => aBareEvent({ event: 'fleet_dedup', distinct_id: `u${i}`, timestamp: '2026-12-01T10:00:00.000Z' }))
    assert.equal((await postJson(targets[0]!.url, '/batch', batch(token, events))).status, 200)
    // The marks are written just after the reply; wait for them so the copies below meet them.
    await eventually(async () => (await dedupMarks()) >= events.length, 10_000, 50)
    const copies = [...targets.slice(1), targets[3]!, targets[3]!]
    for (const target of copies) assert.equal((await postJson(target.url, '/batch', batch(token, events))).status, 200, target.name)

    const written = (await fleet.envelopes()).filter(({ envelope }) => tokenOf(envelope) === token)
    const perUuid = new Map<string, number>()
    for (const { envelope } of written) perUuid.set(String(envelope.uuid), (perUuid.get(String(envelope.uuid)) ?? 0) + 1)
    assert.deepEqual([...perUuid.keys()].sort(), events.map((e) => e.uuid).sort(), 'every uuid written')
    assert.ok([...perUuid.values()].every((n) => n === 1), 'each uuid once across the three logs')
    const duplicates = await fleet.metricSum('capture_events_dropped_total', { cause: 'duplicate' })
    assert.equal(duplicates, events.length * copies.length)
    t.diagnostic(`dedup: ${events.length} events sent ${1 + copies.length} times (each instance, then the balancer ×3): ${written.length} written, ${duplicates} counted as duplicates`)
  })

  it('holds a per-token rate limit across instances within 5 % of rate × seconds + burst', async (t: TestContext) => {
    const token = 'phc_fleet_rate'
    const size = 5
    const durationMs = 6000
    const everyMs = 1000 / 15 // 4 senders × 15 requests/s × 5 events = 300 events/s offered, 3× the limit
    const accepted = new Map<string, number>()
    const statuses = new Map<number, number>()
    let firstSend = Infinity
    let lastSend = 0
    const startAt = Date.now() + 50
    await Promise.all(
      targets.map(async (target) => {
        for (let n = 0; ; n++) {
          const due = startAt + n * everyMs
          if (due >= startAt + durationMs) return
          await sleep(Math.max(0, due - Date.now()))
          const sentAt = Date.now()
          firstSend = Math.min(firstSend, sentAt)
          lastSend = Math.max(lastSend, sentAt)
          const events = Array.from({ length: size }, (_, i) => aBareEvent({ event: 'fleet_rate', distinct_id: `${target.name}-${n}-${i}` }))
          const reply = await postJson(target.url, '/batch', batch(token, events))
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1)
          if (reply.status === 200) accepted.set(target.name, (accepted.get(target.name) ?? 0) + size)
        }
      }),
    )
    const total = [...accepted.values()].reduce((a, b) => a + b, 0)
    const seconds = (lastSend - firstSend) / 1000
    const expected = BURST + RATE * seconds
    const failOpen = await fleet.metricSum('capture_limiter_fail_open_total', { limiter: 'rate_limit' })
    t.diagnostic(`rate: limit ${RATE}/s burst ${BURST}; ${seconds.toFixed(2)} s of 300 events/s offered over 4 targets; accepted ${total} (expected ${expected.toFixed(0)}, ${((total / expected - 1) * 100).toFixed(1)} %); per target ${JSON.stringify(Object.fromEntries(accepted))}; statuses ${JSON.stringify(Object.fromEntries(statuses))}; fail-open ${failOpen}`)
    assert.equal(failOpen, 0, 'no rate-limit call failed open')
    assert.deepEqual([...statuses.keys()].sort(), [200, 429])
    // Tolerance: the instances share the host clock, so the bucket's own window is the
    // client's send window shifted by one request latency at each end (tens of ms, ±a few
    // events at 100/s); at most one batch (5 events) is left unspent when the window ends;
    // demand is 3× supply, so the bucket never sits full and wastes nothing. 5 % (±35 events
    // here) covers that with room for a loaded machine; an unshared budget would admit 3×.
    assert.ok(Math.abs(total - expected) <= expected * 0.05, `accepted ${total}, expected ${expected.toFixed(0)} ± 5 %`)
    const written = (await fleet.envelopes()).filter(({ envelope }) => tokenOf(envelope) === token).length
    assert.equal(written, total, 'every accepted event, and only those, written')
    for (const target of targets) assert.ok((accepted.get(target.name) ?? 0) > 0, `${target.name} admitted some`)
  })

  it('honours a billing quota on every instance', async (t: TestContext) => {
    const token = 'phc_fleet_quota'
    const raw = rawClient(fleet.redis.url)
    try {
      await raw.zadd(`${PREFIX}@posthog/quota-limits/events`, Math.floor(Date.now() / 1000) + 3600, token)
    } finally {
      raw.disconnect()
    }
    const limited = (reply: Reply): boolean => reply.status === 200 && JSON.stringify(json(reply).quota_limited) === '["events"]'
    const startedAt = Date.now()
    for (const target of targets.slice(0, 3)) {
      await eventually(async () => limited(await postJson(target.url, '/batch', batch(token, [aBareEvent({ event: 'quota_probe' })]))), 5000, 50)
    }
    t.diagnostic(`quota: every instance limited ${Date.now() - startedAt} ms after the ZADD (refresh every 200 ms)`)
    for (const target of targets) {
      const reply = await postJson(target.url, '/batch', batch(token, [aBareEvent({ event: 'over_quota' })]))
      assert.ok(limited(reply), `${target.name}: ${reply.status} ${reply.text}`)
      const other = await postJson(target.url, '/batch', batch('phc_fleet_unlimited', [aBareEvent({ event: 'not_limited' })]))
      assert.deepEqual(json(other), { code: 1, status: 'ok' }, `${target.name}: another token is not limited`)
    }
    const stored = await fleet.envelopes()
    assert.equal(stored.filter(({ envelope }) => envelope.event === 'over_quota').length, 0)
    assert.equal(stored.filter(({ envelope }) => envelope.event === 'not_limited').length, targets.length)
  })

  it('passes the client address through the balancer in X-Forwarded-For', async () => {
    // Loopback takes any 127/8 source address, so a "client" at 127.0.0.2 reaches haproxy at 127.0.0.1.
    const uuid = randomUUID()
    const status = await postFrom('127.0.0.2', fleet.lb.port, JSON.stringify(batch('phc_fleet_xff', [aBareEvent({ event: 'via_balancer', uuid })])))
    assert.equal(status, 200)
    const stored = (await fleet.envelopes()).filter(({ envelope }) => envelope.uuid === uuid)
    assert.equal(stored.length, 1)
    assert.equal(stored[0]!.envelope.ip, '127.0.0.2', 'the client, not the balancer (TRUST_PROXY_HEADERS=127.0.0.1)')
  })

  it('routes around an instance that hangs (SIGSTOP) and takes it back when it answers again', async (t: TestContext) => {
    const hung = fleet.instances[1]!
    const run = await trafficAcrossFault(t, {
      label: 'hang',
      server: 'capture2',
      fault: () => void hung.child.kill('SIGSTOP'),
      recover: () => void hung.child.kill('SIGCONT'),
    })
    assertRoutedAround(run)
    await assertAcknowledgedWritten(t, run)
  })

  it('routes around an instance killed with SIGKILL: no 5xx past the health-check window, every acknowledged event written', async (t: TestContext) => {
    const victim = fleet.instances[2]!
    const run = await trafficAcrossFault(t, { label: 'kill', server: 'capture3', fault: () => void victim.child.kill('SIGKILL') })
    await victim.exited
    assertRoutedAround(run)
    await assertAcknowledgedWritten(t, run)
  })
})

interface Outcome {
  readonly sentAt: number
  readonly doneAt: number
  readonly status: number
  readonly uuids: string[]
  readonly error?: string
}

interface FaultRun {
  readonly label: string
  readonly outcomes: Outcome[]
  readonly faultAt: number
}

/** No 5xx or failed request outside [fault, fault + window]; no other refusals; traffic served after the window. */
function assertRoutedAround(run: FaultRun): void {
  const failed = run.outcomes.filter((o) => o.status >= 500 || o.status === 0)
  for (const o of failed) assert.ok(o.sentAt >= run.faultAt - 100 && o.sentAt <= run.faultAt + HEALTH_WINDOW_MS, `${run.label}: a ${o.status} sent ${o.sentAt - run.faultAt} ms from the fault (${o.error ?? ''})`)
  assert.deepEqual([...new Set(run.outcomes.map((o) => o.status))].filter((s) => s !== 200 && s < 500 && s !== 0), [], 'no other statuses')
  assert.ok(run.outcomes.filter((o) => o.status === 200 && o.sentAt > run.faultAt + HEALTH_WINDOW_MS).length > 0, 'traffic is served after the window')
}

async function assertAcknowledgedWritten(t: TestContext, run: FaultRun): Promise<void> {
  const written = new Map<string, number>()
  for (const { envelope } of await fleet.envelopes()) if (envelope.event === `fault_${run.label}`) written.set(String(envelope.uuid), (written.get(String(envelope.uuid)) ?? 0) + 1)
  const acked = run.outcomes.filter((o) => o.status === 200)
  const missing = acked.flatMap((o) => o.uuids).filter((uuid) => !written.has(uuid))
  assert.deepEqual(missing, [], 'every acknowledged event is in some instance log')
  const failed = run.outcomes.length - acked.length
  const twice = [...written.values()].filter((n) => n > 1).length
  t.diagnostic(`${run.label}: ${run.outcomes.length} requests (${acked.length} acknowledged, ${failed} 5xx/errors), ${acked.length * 2} events acknowledged, all found in the logs; ${twice} written twice`)
}

/**
 * 4 paced clients through the balancer; `fault` hits one instance 2 s in; traffic goes on
 * 3 s past haproxy marking it down, then `recover` (if any) and 2 s more once it is up again.
 */
async function trafficAcrossFault(t: TestContext, options: { label: string; server: string; fault: () => void; recover?: () => void }): Promise<FaultRun> {
  const outcomes: Outcome[] = []
  let running = true
  let sequence = 0
  const client = async (): Promise<void> => {
    while (running) {
      const n = sequence++
      const events = [aBareEvent({ event: `fault_${options.label}`, uuid: randomUUID() }), aBareEvent({ event: `fault_${options.label}`, uuid: randomUUID() })]
      const sentAt = Date.now()
      // A token per request: this test is about routing, not the shared rate limit.
      const reply = await postJson(fleet.lb.url, '/batch', batch(`phc_${options.label}_${n}`, events)).catch((err: Error) => err)
      const doneAt = Date.now()
      const uuids = events.map((e) => e.uuid)
      outcomes.push(reply instanceof Error ? { sentAt, doneAt, status: 0, uuids, error: reply.message } : { sentAt, doneAt, status: reply.status, uuids })
      await sleep(25)
    }
  }
  const clients = Array.from({ length: 4 }, client)
  await sleep(2000)
  const faultAt = Date.now()
  options.fault()
  await eventually(async () => (await fleet.lb.serverStates())[options.server] !== 'UP', 10_000, 20)
  const downMs = Date.now() - faultAt
  await sleep(3000)
  let upMs: number | undefined
  if (options.recover !== undefined) {
    const recoverAt = Date.now()
    options.recover()
    await eventually(async () => (await fleet.lb.serverStates())[options.server] === 'UP', 10_000, 20)
    upMs = Date.now() - recoverAt
    await sleep(2000)
  }
  running = false
  await Promise.all(clients)
  const latency = (from: number, to: number): string => summarise(outcomes.filter((o) => o.sentAt >= from && o.sentAt < to).map((o) => o.doneAt - o.sentAt))
  t.diagnostic(`${options.label}: haproxy marked ${options.server} down ${downMs} ms after the fault${upMs === undefined ? '' : `, up again ${upMs} ms after it answered`} (checks every ${CHECK_INTERVAL_MS} ms, 2 to fall, 2 to rise; window stated ${HEALTH_WINDOW_MS} ms)`)
  t.diagnostic(`${options.label} latency ms: before ${latency(0, faultAt)}; fault → down ${latency(faultAt, faultAt + downMs)}; after ${latency(faultAt + downMs, Infinity)}`)
  assert.ok(downMs <= HEALTH_WINDOW_MS * 2, `marked down after ${downMs} ms`)
  if (upMs !== undefined) assert.ok(upMs <= HEALTH_WINDOW_MS * 2, `back up after ${upMs} ms`)
  return { label: options.label, outcomes, faultAt }
}

function postFrom(localAddress: string, port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, localAddress, path: '/batch', method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end(body)
  })
}

function summarise(values: number[]): string {
  if (values.length === 0) return 'n=0'
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
  return `n=${sorted.length} p50=${at(0.5)} p99=${at(0.99)} max=${sorted[sorted.length - 1]}`
}
