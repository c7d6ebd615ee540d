/**
 * Capture on a 3-broker Kafka cluster (replication 3, min.insync.replicas=2)
 * while brokers fail, with real processes: a cluster from
 * scripts/kafka/kafka-cluster-up.sh, two capture instances (their own
 * DATA_DIR each, KAFKA_HOSTS = the three brokers) and a bounded steady load
 * through both.
 *
 * - the leader of the busiest partition SIGKILLed, restarted 25 s later;
 * - a rolling restart (SIGTERM, start, back in the ISR; one broker at a time);
 * - the one broker KAFKA_HOSTS names (leader of a one-partition topic) SIGKILLed;
 * - two brokers down (fewer than min.insync.replicas): the spool takes the
 *   events and forwards them once the brokers are back.
 *
 * For each: every acknowledged uuid is in Kafka, no 5xx reply, and the spool
 * used only in the last case. With one broker lost there is no duplicate
 * either (idempotent producer) and capture never reads it as "Kafka
 * unreachable"; with two down, the duplicates that at-least-once allows (a
 * write the surviving leader kept but could not acknowledge, spooled and
 * forwarded again) are counted and reported.
 * The latency clients saw in each window is printed as a table row
 * (bench/results/2026-12-01-kafka-cluster-faults.md holds a run).
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { metricValue, request } from '../helpers/http-client.js'
import { createTopics, eventually, readTopics, runPrefix } from '../helpers/kafka.js'
import { NODE_IDS, startKafkaCluster, type KafkaCluster, type NodeId } from '../helpers/kafka-cluster.js'
import { exitOf, spawnServer, type ServerProcess } from '../helpers/server-process.js'
import { startSteadyLoad, windowStats, type SteadyLoad } from '../helpers/steady-load.js'

/** About 400 events/s through the two instances when Kafka answers promptly. */
const LOAD = { clientsPerInstance: 3, eventsPerRequest: 5, pauseMs: 60, keysPerClient: 16 }
const STEADY_MS = 10_000
const BROKER_DOWN_MS = 25_000

const cleanups: Array<() => Promise<unknown>> = []
let cluster: KafkaCluster

before(async () => {
  cluster = await startKafkaCluster()
  cleanups.push(() => cluster.stop())
})
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
})

interface Scenario {
  readonly topic: string
  readonly captures: readonly ServerProcess[]
  readonly load: SteadyLoad
}

interface ScenarioOptions {
  readonly partitions?: number
  readonly instances?: number
  /** KAFKA_HOSTS of the instances, once the topic exists (default: all three brokers). */
  readonly bootstrap?: (topic: string) => Promise<string>
}

async function startScenario(label: string, options: ScenarioOptions = {}): Promise<Scenario> {
  const topic = `${runPrefix(label)}_events`
  await createTopics(cluster.hosts, [topic], { partitions: options.partitions ?? 4, replicationFactor: 3, minInsyncReplicas: 2 })
  await cluster.waitInSync(topic)
  const hosts = options.bootstrap === undefined ? cluster.hosts : await options.bootstrap(topic)
  const captures: ServerProcess[] = []
  for (let i = 0; i < (options.instances ?? 2); i++) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), `capture-cluster-${label}-`))
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }))
    const server = await spawnServer({ dataDir, env: { KAFKA_HOSTS: hosts, KAFKA_TOPIC: topic, KAFKA_PRODUCER_ENGINE: 'batch', WORKERS: '1' } })
    cleanups.push(() => stopCapture(server))
    captures.push(server)
  }
  const load = startSteadyLoad(captures.map((c) => c.url), LOAD)
  await sleep(2000) // connections and metadata warm
  return { topic, captures, load }
}

async function stopCapture(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return
  server.child.kill('SIGTERM')
  await exitOf(server, 20_000)
}

interface Outcome {
  readonly acknowledged: number
  readonly missing: number
  readonly duplicates: number
  readonly spooled: number
  /** Time and reason of each "kafka unreachable" log line. */
  readonly unreachable: readonly string[]
  readonly fatalLogs: number
  readonly deliveryErrors: number
}

/**
 * With one broker of three gone, nothing is spooled and capture sends each
 * event once; librdkafka's own retries to the new leader are idempotent, so
 * Kafka holds no duplicate either.
 */
function assertOneBrokerLost(outcome: Outcome): void {
  assert.equal(outcome.missing, 0, `${outcome.missing} acknowledged events are not in Kafka`)
  assert.equal(outcome.spooled, 0, 'one broker of three lost: nothing may go to the spool')
  assert.deepEqual(outcome.unreachable, [], 'one broker of three lost is not "Kafka unreachable"')
  assert.equal(outcome.fatalLogs, 0, 'no fatal producer error (idempotence) on a leader change')
  assert.equal(outcome.duplicates, 0, 'retries to a new leader are idempotent: no duplicates without the spool')
}

/** Stops the load, waits until Kafka holds every acknowledged uuid (at most 90 s), and counts. */
async function finishScenario(scenario: Scenario): Promise<Outcome> {
  await scenario.load.stop()
  const acked = scenario.load.acknowledged()
  let counts = new Map<string, number>()
  await eventually('every acknowledged uuid in Kafka', async () => {
    counts = new Map()
    for (const record of await readTopics(cluster.hosts, [scenario.topic], 20_000)) {
      const uuid = record.headers.uuid!
      counts.set(uuid, (counts.get(uuid) ?? 0) + 1)
    }
    return [...acked].every((uuid) => counts.has(uuid))
  }, 90_000, 2000).catch(() => undefined)
  let spooled = 0
  let deliveryErrors = 0
  for (const capture of scenario.captures) {
    const metrics = (await request(capture.url, '/metrics')).text
    spooled += metricValue(metrics, 'capture_spool_written_total') || 0
    deliveryErrors += metricValue(metrics, 'capture_kafka_delivery_errors_total') || 0
  }
  const logs = scenario.captures.flatMap((c) => c.logLines())
  const unreachable = logs.filter((line) => line.msg === 'kafka unreachable').map((line) => `${String(line.time)} ${String(line.reason)}`)
  const fatalLogs = logs.filter((line) => /fatal error/.test(String(line.msg))).length
  for (const capture of scenario.captures) await stopCapture(capture)
  return {
    acknowledged: acked.size,
    missing: [...acked].filter((uuid) => !counts.has(uuid)).length,
    duplicates: [...counts.values()].reduce((sum, n) => sum + n - 1, 0),
    spooled,
    unreachable,
    fatalLogs,
    deliveryErrors,
  }
}

/** One row of the fault table (printed; the note in bench/results copies them). */
function report(fault: string, window: string, load: SteadyLoad, fromMs: number, toMs: number, extra = ''): void {
  const s = windowStats(load.records, fromMs, toMs)
  const refused = Object.entries(s.refused).map(([status, n]) => `${status}×${n}`).join(' ') || 'none'
  process.stdout.write(`# | ${fault} | ${window} (${((toMs - fromMs) / 1000).toFixed(1)} s) | ${s.requests} req / ${s.events} ev | ` +
    `${s.p50Ms} / ${s.p99Ms} / ${s.maxMs} ms | gap ${s.longestGapMs} ms | non-200: ${refused}${extra} |\n`)
}

function reportOutcome(fault: string, o: Outcome): void {
  process.stdout.write(`# ${fault}: ${o.acknowledged} acknowledged, ${o.missing} missing, ${o.duplicates} duplicates, ` +
    `${o.spooled} spooled, ${o.deliveryErrors} delivery errors, ${o.unreachable.length} "kafka unreachable" (${o.unreachable.join('; ') || '-'}) and ${o.fatalLogs} fatal-error log lines\n`)
}

/** The node leading the partition with the most messages so far. */
async function leaderOfBusiestPartition(topic: string): Promise<{ node: NodeId; partition: number }> {
  const marks = await cluster.highWatermarks(topic)
  const busiest = [...marks.entries()].sort((a, b) => b[1] - a[1])[0]![0]
  const state = (await cluster.partitions(topic)).find((p) => p.partition === busiest)!
  assert.ok(NODE_IDS.includes(state.leader as NodeId), `partition ${busiest} has no leader`)
  return { node: state.leader as NodeId, partition: busiest }
}

function assertNoServerErrors(load: SteadyLoad): void {
  const s = windowStats(load.records, 0, Number.MAX_SAFE_INTEGER)
  assert.ok(s.requests > 0, 'the load sent nothing')
  assert.equal(s.serverErrors, 0, `5xx or failed connections: ${JSON.stringify(s.refused)}`)
  assert.deepEqual(s.refused, {}, 'every request is answered 200')
}

describe('capture on a 3-broker Kafka cluster', { timeout: 600_000 }, () => {
  it('loses nothing and spools nothing when the leader of the busiest partition is SIGKILLed and restarted', async () => {
    const scenario = await startScenario('leaderkill')
    const steadyFrom = Date.now()
    await sleep(STEADY_MS)
    const { node, partition } = await leaderOfBusiestPartition(scenario.topic)
    const pid = await cluster.pid(node)
    assert.ok(pid !== undefined, `node ${node} is not running`)
    const killedAt = Date.now()
    await cluster.kill(node)
    assert.equal(await cluster.pid(node), undefined, `node ${node} (pid ${pid}) survived SIGKILL`)
    await sleep(BROKER_DOWN_MS)
    const restartAt = Date.now()
    await cluster.start(node)
    await cluster.waitInSync(scenario.topic, 90_000)
    const inSyncAt = Date.now()
    await sleep(5000)
    const endAt = Date.now()
    const outcome = await finishScenario(scenario)

    const fault = `leader of partition ${partition} (node ${node}) SIGKILLed`
    report(fault, 'steady', scenario.load, steadyFrom, killedAt)
    report(fault, 'first 10 s after the kill', scenario.load, killedAt, killedAt + 10_000)
    report(fault, 'broker down', scenario.load, killedAt, restartAt)
    report(fault, 'restart until back in the ISR', scenario.load, restartAt, inSyncAt)
    report(fault, 'after', scenario.load, inSyncAt, endAt)
    reportOutcome(fault, outcome)
    assertNoServerErrors(scenario.load)
    assertOneBrokerLost(outcome)
  })

  it('loses nothing and spools nothing during a rolling restart of all three brokers', async () => {
    const scenario = await startScenario('rolling')
    const steadyFrom = Date.now()
    await sleep(STEADY_MS)
    const windows: Array<{ node: NodeId; from: number; to: number }> = []
    for (const node of NODE_IDS) {
      const from = Date.now()
      await cluster.shutdown(node)
      await cluster.start(node)
      await cluster.waitInSync(scenario.topic, 90_000)
      windows.push({ node, from, to: Date.now() })
    }
    await sleep(5000)
    const endAt = Date.now()
    const outcome = await finishScenario(scenario)

    report('rolling restart', 'steady', scenario.load, steadyFrom, windows[0]!.from)
    for (const w of windows) report('rolling restart', `node ${w.node}: SIGTERM until back in the ISR`, scenario.load, w.from, w.to)
    report('rolling restart', 'whole restart', scenario.load, windows[0]!.from, windows.at(-1)!.to)
    report('rolling restart', 'after', scenario.load, windows.at(-1)!.to, endAt)
    reportOutcome('rolling restart', outcome)
    assertNoServerErrors(scenario.load)
    assertOneBrokerLost(outcome)
  })

  it('does not take the loss of the one broker KAFKA_HOSTS names, the leader of the only partition, for "Kafka unreachable"', async () => {
    // The bootstrap list is only a starting point: capture learns the other brokers from
    // the metadata and stays connected to them when the one it was given dies.
    let leader: NodeId | undefined
    const scenario = await startScenario('onlyleader', {
      partitions: 1,
      instances: 1,
      bootstrap: async (topic) => {
        leader = (await cluster.partitions(topic))[0]!.leader as NodeId
        return cluster.hosts.split(',')[leader - 1]!
      },
    })
    await sleep(3000)
    const killedAt = Date.now()
    await cluster.kill(leader!)
    await sleep(15_000)
    const endAt = Date.now()
    await cluster.start(leader!)
    await cluster.waitInSync(scenario.topic, 90_000)
    const outcome = await finishScenario(scenario)

    const fault = `the one bootstrap broker (node ${leader}, leader of the one partition) SIGKILLed`
    report(fault, 'broker down (15 s)', scenario.load, killedAt, endAt)
    reportOutcome(fault, outcome)
    assertNoServerErrors(scenario.load)
    assertOneBrokerLost(outcome)
  })

  it('spools while two brokers are down (fewer than min.insync.replicas) and forwards everything once they are back', async () => {
    const scenario = await startScenario('twodown')
    const steadyFrom = Date.now()
    await sleep(STEADY_MS)
    const down: NodeId[] = [1, 2]
    const killedAt = Date.now()
    for (const node of down) await cluster.kill(node)
    await sleep(BROKER_DOWN_MS + 5000)
    const restartAt = Date.now()
    for (const node of down) await cluster.start(node)
    await cluster.waitInSync(scenario.topic, 90_000)
    const inSyncAt = Date.now()
    await eventually('both spools forwarded', async () => {
      for (const capture of scenario.captures) {
        if (metricValue((await request(capture.url, '/metrics')).text, 'capture_spool_bytes') !== 0) return false
      }
      return true
    }, 90_000, 1000)
    const drainedAt = Date.now()
    await sleep(3000)
    const endAt = Date.now()
    const outcome = await finishScenario(scenario)

    const fault = `nodes ${down.join(' and ')} SIGKILLed`
    report(fault, 'steady', scenario.load, steadyFrom, killedAt)
    report(fault, 'two brokers down', scenario.load, killedAt, restartAt)
    report(fault, 'restart until back in the ISR', scenario.load, restartAt, inSyncAt)
    report(fault, 'until the spools are forwarded', scenario.load, inSyncAt, drainedAt)
    report(fault, 'after', scenario.load, drainedAt, endAt)
    reportOutcome(fault, outcome)
    assertNoServerErrors(scenario.load)
    assert.equal(outcome.missing, 0, `${outcome.missing} acknowledged events are not in Kafka`)
    assert.ok(outcome.spooled > 0, 'with fewer than min.insync.replicas brokers up the spool takes the events')
  })
})
